"""`kiban ensemble`: quantiles of loss over sampled scenarios, the same as the Python API's."""

from __future__ import annotations

import json

import pytest

from kiban.network import SupplyNetwork
from kiban.reference.programs import generate_programs
from kiban.simulate.ensemble import run_ensemble
from kiban.simulate.sampling import sample_disasters, sample_exits
from kiban.store import open_store
from tests.cli.conftest import fails, succeeds


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('ensemble') / 'store.db'}"
    with open_store(url, create=True) as store:
        store.import_dataset(generate_programs(1, scale=0.05), actor="test")
    return url


def network(url: str) -> SupplyNetwork:
    with open_store(url) as store:
        return SupplyNetwork.build(store.dataset())


def test_exit_quantiles_match_the_python_api(stored: str) -> None:
    result = succeeds(
        "ensemble", "exits", "--runs", "12", "--days", "40", "--seed", "3", "--workers", "1",
        "--exits-per-year", "6", "--db", stored, "--format", "json",
    )  # fmt: skip
    document = json.loads(result.stdout)
    net = network(stored)
    expected = run_ensemble(
        net, sample_exits(net, 12, seed=3, days=40, exits_per_year=6.0), workers=1,
        days=40,
    ).quantiles()  # fmt: skip
    assert document["runs"] == 12
    assert document["exits_per_year"] == 6.0
    assert [row["p90_loss_jpy"] for row in document["quantiles"]] == pytest.approx(
        expected.get_column("p90_loss_jpy").to_list(), rel=1e-12
    )


def test_disasters_print_a_table_with_the_network_row(stored: str) -> None:
    result = succeeds(
        "ensemble", "disasters", "--runs", "6", "--days", "30", "--workers", "1", "--db", stored
    )
    assert "(network)" in result.stdout
    assert "6 runs of 30 days" in result.stdout
    net = network(stored)
    assert len(sample_disasters(net, 6, seed=1, days=30)) == 6


def test_bad_requests_are_one_line_errors(stored: str) -> None:
    fails("ensemble", "exits", "--runs", "0", "--db", stored)
    fails("ensemble", "exits", "--workers", "1", "--scheduler", "tcp://x:1", "--db", stored)
    result = fails("ensemble", "exits", "--runs", "2", "--scheduler", "tcp://127.0.0.1:9",
                   "--db", stored)  # fmt: skip
    assert "127.0.0.1:9" in result.stderr
