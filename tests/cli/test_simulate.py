"""`kiban simulate` on a stored generated network: each way to ask, each output, clear refusals.

The store holds `generate_programs(seed=1, scale=0.05)` (621 firms, six programs). The firm
`deep_spof` is the destroyer's deepest single point of failure (the demo's pick): its exit
stops the destroyer and, it being a supplier of supplier to others, more programs.
Numbers are checked against the Python API run on the same stored data.
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

from kiban import demo
from kiban.demo import DemoContext, section_simulation
from kiban.network import SupplyNetwork
from kiban.reference.formatting import format_jpy
from kiban.reference.programs import generate_programs
from kiban.risk.spof import single_points_of_failure
from kiban.simulate.propagation import Model
from kiban.simulate.scenario import load_scenario, shortcut_scenario
from kiban.simulate.static import static_impact
from kiban.store import open_store
from tests.cli.conftest import fails, one_line, succeeds, table_row

DAYS = "30"

QUAKE = """
name = "tokai"
description = "A Tokai earthquake"
days = 30
[[disaster]]
regions = ["Aichi"]
loss = 0.6
day = 2
recovery = "linear"
recovery_days = 10
"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a store holding the small generated programs."""
    url = f"sqlite:///{tmp_path_factory.mktemp('simulate') / 'store.db'}"
    with open_store(url, create=True) as store:
        store.import_dataset(generate_programs(1, scale=0.05), actor="test")
    return url


@cache
def network(url: str) -> SupplyNetwork:
    """The network as the command sees it: built from what the store holds."""
    with open_store(url) as store:
        return SupplyNetwork.build(store.dataset())


def deep_spof(url: str) -> str:
    spof = single_points_of_failure(network(url), "destroyer").filter(pl.col("tier") > 0)
    return str(spof.sort(["tier", "firm_id"], descending=[True, False]).item(0, "firm_id"))


def run_json(*args: str | Path) -> dict[str, object]:
    result = succeeds("simulate", *args, "--format", "json")
    assert result.stderr == ""  # no progress or status in a pipe: stdout alone is the document
    found: dict[str, object] = json.loads(result.stdout)
    return found


# -- what it finds ------------------------------------------------------------------------------


def test_the_exit_of_a_sole_source_stops_its_program_and_costs_its_customers(stored: str) -> None:
    firm = deep_spof(stored)
    result = succeeds("simulate", "--exit", firm, "--days", DAYS, "--db", stored)
    text = one_line(result.stdout)

    stops = static_impact(network(stored), shortcut_scenario(exit=[firm])).stopped_programs
    assert "destroyer" in stops
    assert f"exit of {firm}" in text
    assert f"programs that become unproducible: {', '.join(stops)}" in text
    assert "firms stopped: 1" in text
    for label in ("output lost", "value added lost", "direct", "indirect", "recovery"):
        assert f" {label} " in text
    # An exit never recovers: still below on the last day, for the network and the destroyer.
    assert f"still below 99% of the baseline on the last day (day {int(DAYS) - 1})" in text
    assert table_row(result.stdout, "destroyer")[-1] == "not yet"
    assert "Hardest-hit firms" in text
    assert firm in table_rows_first_cells(result.stdout)
    assert "Total output by day" in text


def table_rows_first_cells(text: str) -> list[str]:
    return [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]


def test_json_holds_everything_and_agrees_with_the_python_api(stored: str) -> None:
    firm = deep_spof(stored)
    found = run_json("--exit", firm, "--days", DAYS, "--db", stored)

    expected = Model.build(network(stored)).run(shortcut_scenario(exit=[firm], days=int(DAYS)))
    static = found["static"]
    dynamic = found["dynamic"]
    assert isinstance(static, dict)
    assert isinstance(dynamic, dict)
    stops = static_impact(network(stored), shortcut_scenario(exit=[firm])).stopped_programs
    assert "destroyer" in stops
    assert static["stopped_programs"] == stops
    assert [f["firm_id"] for f in static["stopped_firms"]] == [firm]
    assert static["unsourced"], "the firm's customers are left without a source"
    assert dynamic["output_loss_jpy"] == pytest.approx(expected.output_loss_jpy, rel=1e-9)
    assert dynamic["value_added_loss_jpy"] == pytest.approx(expected.value_added_loss_jpy)
    assert dynamic["direct_loss_jpy"] + dynamic["indirect_loss_jpy"] == pytest.approx(
        dynamic["output_loss_jpy"]
    )
    assert dynamic["indirect_loss_jpy"] > dynamic["direct_loss_jpy"] > 0
    assert dynamic["days_to_recover"] is None
    programs = {p["program_id"]: p for p in dynamic["programs"]}
    assert set(programs) == set(expected.program_ids)
    assert programs["destroyer"]["days_to_recover"] is None
    assert programs["destroyer"]["output_loss_jpy"] > 0
    # days are summed in stretches between progress reports: equal up to rounding
    hardest = expected.hardest_hit.to_dicts()
    assert [f["firm_id"] for f in dynamic["hardest_hit"]] == [f["firm_id"] for f in hardest]
    for got, want in zip(dynamic["hardest_hit"], hardest, strict=True):
        assert got["output_loss_jpy"] == pytest.approx(want["output_loss_jpy"], rel=1e-12)
        assert got["loss_share"] == pytest.approx(want["loss_share"], rel=1e-12)
    daily = dynamic["daily"]
    assert daily["day"] == list(range(int(DAYS)))
    assert daily["total_output_jpy"] == pytest.approx(expected.total_output_jpy.tolist())
    assert daily["share"][0] * dynamic["baseline_output_jpy"] == pytest.approx(
        daily["total_output_jpy"][0]
    )
    assert set(daily["program_output_jpy"]) == set(expected.program_ids)
    assert found["scenario"]["shocks"] == [{"kind": "exit", "firm_ids": [firm], "day": 0}]
    assert found["options"] == {"rationing": "proportional", "substitution": False}


def test_a_scenario_file_runs_as_written_and_days_can_be_shortened(
    stored: str, tmp_path: Path
) -> None:
    path = tmp_path / "tokai.toml"
    path.write_text(QUAKE)
    found = run_json(path, "--db", stored)
    dynamic = found["dynamic"]
    assert isinstance(dynamic, dict)
    expected = Model.build(network(stored)).run(load_scenario(path))
    assert dynamic["output_loss_jpy"] == pytest.approx(expected.output_loss_jpy, rel=1e-9)
    assert dynamic["days"] == 30
    assert found["scenario"]["source"] == str(path)
    shock = found["scenario"]["shocks"][0]
    assert shock == {
        "kind": "disaster",
        "regions": ["Aichi"],
        "loss": 0.6,
        "day": 2,
        "recovery": "linear",
        "recovery_days": 10.0,
    }
    # A disaster that takes 60% stops nothing outright: the static view says so.
    assert found["static"]["stopped_programs"] == []
    assert any("Aichi" in note for note in found["static"]["notes"])
    # Nothing is lost before the quake strikes on day 2.
    assert dynamic["daily"]["share"][:2] == pytest.approx([1.0, 1.0], abs=1e-9)
    assert min(dynamic["daily"]["share"]) < 0.99

    shorter = run_json(path, "--days", "5", "--db", stored)["dynamic"]
    assert isinstance(shorter, dict)
    assert len(shorter["daily"]["day"]) == 5
    assert shorter["daily"]["total_output_jpy"] == pytest.approx(
        dynamic["daily"]["total_output_jpy"][:5]
    )

    table = succeeds("simulate", path, "--days", "5", "--db", stored).stdout
    assert "A Tokai earthquake" in table
    assert "disaster in Aichi (loss 0.6) from day 2, back linearly in 10 days" in table


def test_a_disaster_shortcut_loses_its_share_of_the_regions_capacity_directly(
    stored: str,
) -> None:
    days = 6
    found = run_json("--disaster", "Aichi", "--loss", "0.6", "--days", str(days), "--db", stored)
    dynamic = found["dynamic"]
    assert isinstance(dynamic, dict)
    model = Model.build(network(stored))
    regions = network(stored).dataset.firms.get_column("region")
    aichi = (regions == "Aichi").fill_null(False).to_numpy()
    assert dynamic["direct_loss_jpy"] == pytest.approx(0.6 * model.output[aichi].sum() * days)
    assert found["scenario"]["shocks"][0]["loss"] == 0.6


def test_an_embargo_stops_what_only_that_country_supplies_and_csv_is_the_program_table(
    stored: str,
) -> None:
    expected = static_impact(network(stored), shortcut_scenario(embargo=["CN"]))
    assert expected.stopped_programs, "the sample needs a program that depends on China"

    static = succeeds("simulate", "--embargo", "CN", "--static-only", "--db", stored)
    assert f"unproducible: {', '.join(expected.stopped_programs)}" in one_line(static.stdout)
    assert "Over " not in static.stdout  # no dynamic run

    as_csv = succeeds("simulate", "--embargo", "CN", "--days", DAYS, "-f", "csv", "--db", stored)
    frame = pl.read_csv(as_csv.stdout.encode())
    assert frame.columns == [
        "program_id",
        "baseline_output_jpy",
        "output_loss_jpy",
        "loss_share",
        "lowest_share",
        "days_to_recover",
    ]
    assert set(frame.get_column("program_id")) == set(network(stored).program_ids)
    stopped = frame.filter(pl.col("program_id").is_in(expected.stopped_programs))
    assert (stopped.get_column("output_loss_jpy") > 0).all()

    static_json = run_json("--embargo", "CN", "--static-only", "--db", stored)
    assert static_json["dynamic"] is None
    assert static_json["static"]["stopped_programs"] == expected.stopped_programs


def test_options_reach_the_model(stored: str) -> None:
    firm = deep_spof(stored)
    found = run_json(
        "--exit",
        firm,
        "--days",
        DAYS,
        "--rationing",
        "lower_priority",
        "--substitution",
        "--db",
        stored,
    )
    dynamic = found["dynamic"]
    assert isinstance(dynamic, dict)
    assert (dynamic["rationing"], dynamic["substitution"]) == ("lower_priority", True)
    expected = Model.build(network(stored)).run(
        shortcut_scenario(exit=[firm], days=int(DAYS)),
        rationing="lower_priority",
        substitution=True,
    )
    assert dynamic["output_loss_jpy"] == pytest.approx(expected.output_loss_jpy, rel=1e-9)


def test_output_writes_the_daily_series_and_the_hardest_hit_firms(
    stored: str, tmp_path: Path
) -> None:
    firm = deep_spof(stored)
    folder = tmp_path / "results"
    result = succeeds("simulate", "--exit", firm, "--days", DAYS, "-o", folder, "--db", stored)
    assert f"wrote {folder / 'daily_output.csv'}" in one_line(result.stdout)

    found = run_json("--exit", firm, "--days", DAYS, "--db", stored)["dynamic"]
    assert isinstance(found, dict)
    daily = pl.read_csv(folder / "daily_output.csv")
    programs = network(stored).program_ids.to_list()
    assert daily.columns == [
        "day",
        "total_output_jpy",
        "share",
        "value_added_jpy",
        *[f"output_jpy_{p}" for p in programs],
    ]
    assert daily.get_column("day").to_list() == list(range(int(DAYS)))
    assert daily.get_column("total_output_jpy").to_list() == pytest.approx(
        found["daily"]["total_output_jpy"]
    )
    assert daily.get_column("share").to_list() == pytest.approx(found["daily"]["share"])
    assert daily.get_column("output_jpy_destroyer").to_list() == pytest.approx(
        found["daily"]["program_output_jpy"]["destroyer"]
    )
    firms = pl.read_csv(folder / "firms.csv")
    assert firms.columns == ["firm_id", "name", "output_loss_jpy", "loss_share"]
    assert firms.get_column("firm_id").to_list() == [f["firm_id"] for f in found["hardest_hit"]]


# -- bad input ----------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "study.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--exit", "F999999"], "--exit F999999: no firm 'F999999' in the network"),
        (["--embargo", "XX"], "--embargo XX: country must be an ISO 3166-1 alpha-2 code"),
        (["--embargo", "cn"], "(did you mean 'CN'?)"),
        (["--disaster", "Aich"], "--disaster Aich: no region 'Aich' in the network (did you "),
        (["--disaster", "Aichi", "--loss", "1.5"], "--loss must be above 0 and at most 1, not 1.5"),
        (["--disaster", "Aichi", "--loss", "0"], "--loss must be above 0 and at most 1, not 0"),
        (["--disaster", "Aichi", "--loss", "-0.2"], "--loss must be above 0 and at most 1"),
        (["--exit", "F000002", "--loss", "0.5"], "--loss is the share of capacity a --disaster"),
        (["--exit", "F000002", "--days", "0"], "--days must be a whole number > 0, not 0"),
        ([], "nothing to simulate: give a scenario file"),
        (["--exit", "F000002", "--static-only", "-o", "x"], "drop --static-only or --output"),
    ],
)
def test_bad_shortcuts_get_one_clear_line(stored: str, args: list[str], says: str) -> None:
    result = fails("simulate", *args, "--db", stored)
    assert result.exit_code == 1
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (QUAKE.replace("loss = 0.6", "los = 0.6"), "[[disaster]] #1: unknown key 'los' (did you"),
        (QUAKE.replace("loss = 0.6", "loss = 1.5"), "loss must be above 0 and at most 1, not 1.5"),
        (QUAKE.replace("days = 30", "days = 0"), "days must be a whole number > 0, not 0"),
        (QUAKE.replace('"Aichi"', '"Aich"'), "[[disaster]] #1: no region 'Aich' in the network"),
        (
            'name = "s"\ndays = 9\n[[surge]]\nprogram_id = "destroyr"\nfactor = 3\n',
            "[[surge]] #1: no program 'destroyr' in the network",
        ),
        ('name = "s"\ndays = 9\n[[exit]]\nfirm_ids = ["F9"]\n', "no firm 'F9' in the network"),
        ('name = "s"\ndays = 9\n[[embargo]]\ncountry = "ZZ"\n', "not 'ZZ'"),
        ("name = [", "not valid TOML"),
    ],
)
def test_a_bad_scenario_file_is_named_with_its_key(
    stored: str, tmp_path: Path, text: str, says: str
) -> None:
    path = write(tmp_path, text)
    result = fails("simulate", path, "--db", stored)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith(f"error: {path}")
    assert says in message
    assert len(message.splitlines()) == 1, message


def test_other_refusals(stored: str, tmp_path: Path) -> None:
    path = write(tmp_path, QUAKE)
    both = fails("simulate", path, "--exit", "F000002", "--db", stored)
    assert "give a scenario file or the shortcuts (--exit), not both" in both.stderr

    missing = fails("simulate", tmp_path / "nope.toml", "--db", stored)
    assert f"scenario file {tmp_path / 'nope.toml'} not found" in one_line(missing.stderr)

    # The quake strikes on day 2: a run of 2 days would end before it.
    short = fails("simulate", path, "--days", "2", "--db", stored)
    assert f"{path} with --days 2: [[disaster]] #1: day 2 is past the scenario's last day" in (
        one_line(short.stderr)
    )

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    succeeds("init", "--db", empty)
    nothing = fails("simulate", "--exit", "F000002", "--db", empty)
    assert "the store holds no data" in nothing.stderr


# -- the demo -----------------------------------------------------------------------------------


def test_the_demo_section_names_what_stops_and_the_command_that_shows_more(
    stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "SIMULATED_DAYS", 12)  # the demo runs 120 days; 12 tell as much
    buffer = io.StringIO()
    with open_store(stored) as store:
        ctx = DemoContext(
            console=Console(file=buffer, width=200),
            store=store,
            dataset=store.dataset(),
            imported=None,  # type: ignore[arg-type]  # the section does not look at it
            seed=1,
        )
        section_simulation(ctx)
    text = one_line(buffer.getvalue())
    firm = deep_spof(stored)  # the deepest, hence also the section's pick at tier > 0
    assert f"({firm}), tier" in text
    stops = static_impact(network(stored), shortcut_scenario(exit=[firm])).stopped_programs
    assert f"Programs that can no longer be made: {', '.join(stops)}" in text
    command = f"kiban simulate --exit {firm} --days 12 --db {stored}"
    assert command in text
    # The command it suggests runs and finds the same loss.
    found = run_json(*command.split()[2:])["dynamic"]
    assert isinstance(found, dict)
    assert f"loses {format_jpy(found['output_loss_jpy'])} JPY of output" in text
    assert f"{format_jpy(found['direct_loss_jpy'])} of it the firm's own capacity (direct)" in text
    assert f"{format_jpy(found['indirect_loss_jpy'])} at its customers and theirs" in text


# -- a firm-level network -----------------------------------------------------------------------


def test_a_firm_level_national_network_runs_without_programs(tmp_path: Path) -> None:
    from kiban.reference.national import generate_national

    url = f"sqlite:///{tmp_path / 'national.db'}"
    with open_store(url, create=True) as store:
        store.import_dataset(generate_national(2000, 1), actor="test")
    found = run_json("--disaster", "Tokyo", "--loss", "0.5", "--days", "20", "--db", url)
    dynamic = found["dynamic"]
    assert isinstance(dynamic, dict)
    assert found["static"]["programs"] == []
    assert dynamic["programs"] == []
    assert dynamic["daily"]["program_output_jpy"] == {}
    expected = Model.build(network(url)).run(
        shortcut_scenario(disaster=["Tokyo"], loss=0.5, days=20)
    )
    assert dynamic["output_loss_jpy"] == pytest.approx(expected.output_loss_jpy, rel=1e-9)
    assert dynamic["indirect_loss_jpy"] > 0  # Tokyo's customers elsewhere lose output too

    table = succeeds(
        "simulate", "--disaster", "Tokyo", "--loss", "0.5", "--days", "20", "--db", url
    )
    assert "the network has no programs" in table.stdout
    assert "Output of each program's supply chain" not in table.stdout
