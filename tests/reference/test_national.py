"""The national inter-firm network generator: valid, deterministic, calibrated, measured right."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from kiban.dataset import Dataset
from kiban.dataset.io import read_dataset
from kiban.dataset.validate import validate
from kiban.errors import GeneratorError
from kiban.reference.national import generate_national, network_statistics
from tests.cli.conftest import fails, succeeds


@pytest.fixture(scope="module")
def national() -> Dataset:
    return generate_national(20_000, seed=7)


@pytest.fixture(scope="module")
def statistics(national: Dataset) -> pl.DataFrame:
    return network_statistics(national)


def _achieved(statistics: pl.DataFrame, name: str) -> float:
    return float(statistics.filter(statistic=name)["achieved"].item())


def test_the_same_seed_gives_the_same_network_and_another_seed_another() -> None:
    a, b, c = (generate_national(2_000, seed) for seed in (3, 3, 4))
    for name in ("firms", "supplies"):
        assert_frame_equal(a[name], b[name])
    assert not a.supplies.select("supplier_id", "customer_id").equals(
        c.supplies.select("supplier_id", "customer_id")
    )


def test_the_network_is_valid_with_every_firm_column_and_firm_level_supplies(
    national: Dataset,
) -> None:
    report = validate(national)
    assert report.errors.is_empty(), report.errors
    assert set(national.tables) == {"firms", "supplies"}
    firms = national.firms
    assert firms.height == 20_000
    assert firms["firm_id"].n_unique() == firms.height
    filled = [c for c in firms.columns if c != "region"]
    assert firms.select(pl.col(filled).null_count().sum()).row(0) == (0,) * len(filled)
    # Only firms abroad lack a prefecture; most firms are Japanese.
    assert firms.filter(pl.col("region").is_null())["country"].ne("JP").all()
    assert firms["country"].eq("JP").mean() > 0.97
    assert firms["synthetic"].all()
    assert firms["sector"].n_unique() >= 15
    assert firms["region"].n_unique() >= 40
    assert (firms["defense_revenue_jpy"] <= firms["revenue_jpy"]).all()
    assert national.supplies["item_id"].is_null().all()
    assert national.supplies["annual_value_jpy"].min() > 0


def test_no_repeated_pairs_no_self_loops_no_isolated_firm(national: Dataset) -> None:
    supplies = national.supplies
    assert supplies.height == round(4.75 * national.firms.height)
    assert supplies.select("supplier_id", "customer_id").is_unique().all()
    assert (supplies["supplier_id"] != supplies["customer_id"]).all()
    linked = pl.concat([supplies["supplier_id"], supplies["customer_id"]]).unique()
    assert linked.len() == national.firms.height


def test_revenue_is_final_demand_plus_sales_to_customers_and_purchases_leave_value_added(
    national: Dataset,
) -> None:
    sales = supplies_by(national, "supplier_id", "sales")
    purchases = supplies_by(national, "customer_id", "purchases")
    firms = (
        national.firms.join(sales, on="firm_id", how="left")
        .join(purchases, on="firm_id", how="left")
        .fill_null(0.0)
    )
    revenue = firms["revenue_jpy"].to_numpy()
    np.testing.assert_allclose(
        firms["final_demand_jpy"].to_numpy() + firms["sales"].to_numpy(), revenue, rtol=1e-9
    )
    assert (firms["purchases"].to_numpy() <= 0.85 * revenue * (1 + 1e-9)).all()


def supplies_by(dataset: Dataset, side: str, name: str) -> pl.DataFrame:
    return (
        dataset.supplies.group_by(side)
        .agg(pl.col("annual_value_jpy").sum().alias(name))
        .rename({side: "firm_id"})
    )


def test_links_stay_within_a_prefecture_more_often_than_by_chance(national: Dataset) -> None:
    region = national.firms.select("firm_id", "region")
    pairs = national.supplies.join(
        region.rename({"firm_id": "supplier_id", "region": "r_s"}), on="supplier_id"
    ).join(region.rename({"firm_id": "customer_id", "region": "r_c"}), on="customer_id")
    same = (pairs["r_s"] == pairs["r_c"]).mean()
    shares = national.firms["region"].value_counts(normalize=True)["proportion"]
    by_chance = float((shares**2).sum())
    assert same > 3 * by_chance


def test_the_statistics_fall_within_the_published_bands(statistics: pl.DataFrame) -> None:
    assert _achieved(statistics, "links per firm") == pytest.approx(4.75)
    for side in ("in", "out"):
        assert 1.1 <= _achieved(statistics, f"{side}-degree CCDF exponent") <= 1.7
    core = _achieved(statistics, "share of firms in the core (largest SCC)")
    assert 0.3 <= core <= 0.7
    assert _achieved(statistics, "share of firms in the in-shell") > 0.1
    assert _achieved(statistics, "share of firms in the out-shell") > 0.1
    assert _achieved(statistics, "correlation of log sales with log degree") > 0.6
    banded = statistics.filter(pl.col("target_min").is_not_null())
    assert set(banded["source"].str.contains("production_network_stats.csv|assumed")) == {True}


def test_the_degree_tail_is_heavy(national: Dataset) -> None:
    out_degree = national.supplies["supplier_id"].value_counts()["count"]
    in_degree = national.supplies["customer_id"].value_counts()["count"]
    for degree in (out_degree, in_degree):
        assert degree.max() > 300
        assert (degree >= 100).sum() > 50


@settings(max_examples=25, deadline=None)
@given(firms=st.integers(2, 60), seed=st.integers(0, 2**32))
def test_statistics_agree_with_networkx_on_small_networks(firms: int, seed: int) -> None:
    dataset = generate_national(firms, seed)
    stats = network_statistics(dataset)
    graph = nx.DiGraph()
    graph.add_nodes_from(dataset.firms["firm_id"])
    graph.add_edges_from(dataset.supplies.select("supplier_id", "customer_id").iter_rows())
    assert nx.number_of_selfloops(graph) == 0
    assert graph.number_of_edges() == dataset.supplies.height
    core = max(nx.strongly_connected_components(graph), key=len)
    root = next(iter(core))
    out_shell = nx.descendants(graph, root) - core
    in_shell = nx.ancestors(graph, root) - core
    assert _achieved(stats, "links") == graph.number_of_edges()
    assert _achieved(stats, "share of firms in the core (largest SCC)") == pytest.approx(
        len(core) / firms
    )
    assert _achieved(stats, "share of firms in the in-shell") == pytest.approx(
        len(in_shell) / firms
    )
    assert _achieved(stats, "share of firms in the out-shell") == pytest.approx(
        len(out_shell) / firms
    )


def test_tiny_networks_are_complete_when_links_would_exceed_the_pairs() -> None:
    for firms in (2, 3):
        dataset = generate_national(firms, seed=0)
        assert dataset.supplies.height == firms * (firms - 1)
        assert validate(dataset).errors.is_empty()


@pytest.mark.parametrize(
    ("firms", "seed", "message"),
    [
        (1, 0, "firms must be an integer of at least 2, got 1"),
        (0, 0, "firms must be an integer of at least 2"),
        (10, -1, "seed must be a non-negative integer, got -1"),
        (2.5, 0, "firms must be an integer"),
    ],
)
def test_bad_arguments_say_what_is_wrong(firms: int, seed: int, message: str) -> None:
    with pytest.raises(GeneratorError, match=message):
        generate_national(firms, seed)


def test_network_statistics_of_a_dataset_without_firms_is_an_error() -> None:
    with pytest.raises(GeneratorError, match="no firms"):
        network_statistics(Dataset.from_frames({}))


def test_the_command_writes_a_valid_network_and_prints_the_statistics(tmp_path: Path) -> None:
    out = tmp_path / "national"
    result = succeeds(
        "generate", "national", out, "--firms", "1500", "--seed", "5", "--format", "parquet"
    )
    assert result.stdout.startswith(f"wrote {out} (1,500 firms, 7,125 supplies)")
    # The table folds long cells on a narrow terminal: look for short, unbreakable values.
    assert "Achieved" in result.stdout
    assert "4.75" in result.stdout  # links per firm
    assert result.stdout.count("7,125") == 2  # the count written and the links achieved
    written = read_dataset(out)
    assert validate(written).errors.is_empty()
    assert_frame_equal(written.supplies, generate_national(1500, 5).supplies)
    fails("generate", "national", out, "--firms", "1500", "--seed", "5")  # exists, no --overwrite
    succeeds("generate", "national", out, "--firms", "20", "--seed", "5", "--overwrite")


def test_the_command_rejects_bad_arguments_with_a_message(tmp_path: Path) -> None:
    assert "at least 2" in fails("generate", "national", tmp_path / "a", "--firms", "1").stderr
    assert (
        "non-negative"
        in fails("generate", "national", tmp_path / "b", "--firms", "10", "--seed", "-3").stderr
    )
