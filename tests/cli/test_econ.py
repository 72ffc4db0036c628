"""`kiban econ`: curves, program studies, exports and the budget picture, as the API gives them."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import pytest

from kiban.econ.budget import budget_picture
from kiban.econ.learning import LearningCurve
from kiban.econ.scenario import load_study, study_report
from kiban.econ.trade import export_study
from kiban.reference.programs import generate_programs
from kiban.store import open_store
from tests.cli.conftest import fails, one_line, succeeds

EXAMPLE = Path(str(resources.files("kiban.econ") / "examples" / "fighter_exports.toml"))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('econ') / 'store.db'}"
    with open_store(url, create=True) as store:
        store.import_dataset(generate_programs(1, scale=0.05), actor="test")
    return url


def test_a_curve_lot_by_lot_holds_the_textbook_values() -> None:
    result = succeeds(
        "econ", "curve", "--slope", "0.8", "--first-unit-cost", "100", "--units", "4",
        "--lot-size", "1", "--format", "json",
    )  # fmt: skip
    lots = json.loads(result.stdout)
    assert [lot["lot_cost_jpy"] for lot in lots] == pytest.approx(
        [100.0, 80.0, 100 * 3**-0.32192809488736235, 64.0]
    )
    assert lots[-1]["cumulative_cost_jpy"] == pytest.approx(sum(x["lot_cost_jpy"] for x in lots))


def test_a_curve_takes_its_slope_from_a_reference_domain() -> None:
    result = succeeds("econ", "curve", "--domain", "aerospace", "--units", "2", "--lot-size", "1")
    assert "slope 0.85" in result.stdout


def test_fitting_lots_from_a_csv_gives_back_the_curve(tmp_path: Path) -> None:
    curve = LearningCurve(5e8, 0.87)
    path = tmp_path / "lots.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["first_unit", "last_unit", "cost_jpy"])
        for first, last in [(1, 5), (6, 20), (21, 50), (51, 120)]:
            writer.writerow([first, last, curve.lot_cost(first, last)])
    fitted = json.loads(succeeds("econ", "curve", "--fit", path, "--format", "json").stdout)
    assert fitted["slope"] == pytest.approx(0.87, rel=1e-8)
    assert fitted["first_unit_cost_jpy"] == pytest.approx(5e8, rel=1e-8)
    bad = tmp_path / "bad.csv"
    bad.write_text("first,last,cost_jpy\n1,2,3\n")
    assert "missing column(s) first_unit, last_unit" in one_line(
        fails("econ", "curve", "--fit", bad).stderr
    )


def test_a_program_study_prints_what_the_api_computes() -> None:
    document = json.loads(succeeds("econ", "program", EXAMPLE, "--format", "json").stdout)
    study = load_study(EXAMPLE)
    expected = study_report(study, study.cost_model())
    assert document["summary"] == pytest.approx(expected["summary"])
    assert document["years"] == expected["years"].to_dicts()
    for year in document["years"]:
        assert year["maker_revenue_jpy"] == pytest.approx(
            year["maker_cost_jpy"] + year["profit_jpy"]
        )
    table = succeeds("econ", "program", EXAMPLE).stdout
    assert "Exports bring" in table
    assert "Minimum sustaining rate" in one_line(table)
    # With an import price, the published premiums come as worked examples, with sources.
    assert "Published premiums of domestic production" in table
    assert any(row["item"] == "F-35A" for row in document["premium_examples"])
    assert all(row["source_url"].startswith("http") for row in document["premium_examples"])


def test_a_study_with_a_typo_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(EXAMPLE.read_text().replace("quantity = 6", "quantty = 6"))
    message = one_line(fails("econ", "program", path).stderr)
    assert str(path) in message
    assert "[[export]] #1: unknown key 'quantty' (did you mean 'quantity'?)" in message


def test_an_export_order_on_a_stored_program_matches_the_api(stored: str) -> None:
    document = json.loads(
        succeeds(
            "econ",
            "exports",
            "--program",
            "fighter",
            "--quantity",
            "6",
            "--db",
            stored,
            "--format",
            "json",
        ).stdout
    )
    with open_store(stored) as store:
        expected = export_study(store.dataset(), "fighter", 6)
    assert document["unit_price_jpy"] < document["unit_price_jpy_without_exports"]
    assert document["ministry_saving_jpy"] > 0
    summary = {k: v for k, v in document.items() if k not in ("years", "suppliers_by_year")}
    assert summary == pytest.approx(expected["summary"])
    assert summary["suppliers_not_viable"] <= summary["suppliers_not_viable_without_exports"]
    text = one_line(succeeds("econ", "exports", "--program", "fighter", "--quantity", "6",
                             "--db", stored).stdout)  # fmt: skip
    assert "6 units exported to an ally in FY2026" in text


def test_bad_export_requests_are_one_line_errors(stored: str) -> None:
    message = one_line(
        fails("econ", "exports", "--program", "frigate", "--quantity", "1", "--db", stored).stderr
    )
    assert "no program 'frigate'" in message
    assert "fighter" in message
    message = one_line(
        fails("econ", "exports", "--program", "fighter", "--quantity", "-1", "--db", stored).stderr
    )
    assert "quantity -1 must be >= 0" in message
    message = one_line(
        fails(
            "econ",
            "exports",
            "--program",
            "fighter",
            "--quantity",
            "1",
            "--year",
            "2020",
            "--db",
            stored,
        ).stderr
    )
    assert "FY2020 is before the schedule starts (FY2025)" in message


def test_the_budget_picture_keeps_its_sources() -> None:
    listed = succeeds("econ", "budget").stdout
    for topic in ("budget", "fms", "domestic", "concentration", "sipri", "support"):
        assert topic in listed
    rows = list(
        csv.DictReader(io.StringIO(succeeds("econ", "budget", "support", "-f", "csv").stdout))
    )
    assert len(rows) == budget_picture("support").table.height
    earmark = [r for r in rows if r["fiscal_year"] == "2022" and r["amount_jpy"] == "2200000000"]
    assert earmark
    assert earmark[0]["status"] == "unverified"
    assert all(r["source_url"].startswith("http") for r in rows)
    table = one_line(succeeds("econ", "budget", "budget", "--year", "2023").stdout)
    assert "6.60 tn" in table
    assert "Sources" in table
    assert "unknown" in one_line(fails("econ", "budget", "nope").stderr)
