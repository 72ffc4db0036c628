"""`kiban plan --budget`: the optimum over the candidate actions, as the Python API gives it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from kiban.network import SupplyNetwork
from kiban.plan.actions import candidate_actions
from kiban.plan.optimize import evaluate, solve_plan
from kiban.reference.programs import generate_programs
from kiban.store import open_store
from tests.cli.conftest import fails, one_line, succeeds


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('plan') / 'store.db'}"
    with open_store(url, create=True) as store:
        store.import_dataset(generate_programs(1, scale=0.05), actor="test")
    return url


def test_a_plan_is_the_apis_optimum_and_can_be_saved(stored: str, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    result = succeeds("plan", "--budget", "5e8", "--db", stored, "-f", "json", "--save", saved)
    document = json.loads(result.stdout)  # nothing but JSON on stdout
    with open_store(stored) as store:
        found = candidate_actions(SupplyNetwork.build(store.dataset()))
    problem = found.problem(5e8)
    expected = solve_plan(problem, mip_gap=1e-4)
    assert document["risk_after_jpy"] == pytest.approx(expected.risk_after_jpy, rel=1e-4)
    chosen = [a["action_id"] for a in document["actions"]]
    assert evaluate(problem, chosen) == pytest.approx(document["risk_after_jpy"])
    assert document["cost_jpy"] <= 5e8
    assert json.loads(saved.read_text()) == document


def test_the_table_says_what_the_budget_removes(stored: str) -> None:
    text = one_line(succeeds("plan", "--budget", "5e8", "--db", stored).stdout)
    assert "Budget 500.0 m JPY" in text
    assert "single points of failure removed" in text


def test_bad_plan_requests_are_one_line_errors(stored: str) -> None:
    assert "give --budget" in one_line(fails("plan", "--db", stored).stderr)
    assert "the budget must be a positive amount" in one_line(
        fails("plan", "--budget", "0", "--db", stored).stderr
    )


def test_the_curve_marks_the_earmarks_and_says_whether_they_are_enough(stored: str) -> None:
    document = json.loads(
        succeeds("plan", "curve", "--points", "4", "--db", stored, "-f", "json").stdout
    )
    points = document["points"]
    labels = [p["label"] for p in points]
    assert any("FY2022" in label and "2.2 bn" in label for label in labels)
    risks = [p["risk_after_jpy"] for p in points]
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(risks))
    assert points[0]["risk_after_jpy"] == document["risk_before_jpy"]
    text = one_line(succeeds("plan", "curve", "--points", "3", "--db", stored).stdout)
    assert "Removing all of it takes about" in text
    assert "of the removable risk" in text


def test_a_saved_plan_is_verified_side_by_side(stored: str, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    succeeds("plan", "--budget", "5e8", "--db", stored, "--save", saved)
    document = json.loads(
        succeeds("plan", "verify", saved, "--db", stored, "--runs", "3", "--days", "30",
                 "-f", "json").stdout
    )  # fmt: skip
    plan = json.loads(saved.read_text())
    assert document["predicted_risk_jpy"] == pytest.approx(plan["risk_after_jpy"])
    assert document["verified_risk_jpy"] <= document["risk_before_jpy"]
    removed = plan["single_points_removed"]
    assert document["single_points_after"] <= document["single_points_before"] - removed + 1e-9
    assert {row["case"] for row in document["ensemble"]} == {"before", "after"}
    text = one_line(succeeds("plan", "verify", saved, "--db", stored).stdout)
    assert "predicted" in text
    assert "verified" in text


def test_a_bad_plan_file_is_named(stored: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"budget_jpy": 1e8}')
    assert f"{bad}: missing key 'actions'" in one_line(fails("plan", "verify", bad, "--db",
                                                            stored).stderr)  # fmt: skip
    bad.write_text('{"budget_jpy": 1e8, "actions": [{"action_id": "nope"}]}')
    assert "unknown action 'nope'" in one_line(fails("plan", "verify", bad, "--db", stored).stderr)
    assert "not found" in one_line(fails("plan", "verify", tmp_path / "x.json", "--db",
                                         stored).stderr)  # fmt: skip


def test_budgets_per_year_are_kept(stored: str) -> None:
    document = json.loads(
        succeeds("plan", "--budget", "3e8", "--per-year", "2026=2e8,2027=1e8", "--program",
                 "radar", "--time-limit", "20", "--db", stored, "-f", "json").stdout
    )  # fmt: skip
    assert document["status"] in ("optimal", "time_limit")
    assert document["cost_by_year_jpy"].get("2026", 0.0) <= 2e8 * (1 + 1e-9)
    assert document["cost_by_year_jpy"].get("2027", 0.0) <= 1e8 * (1 + 1e-9)
    assert all(a["fiscal_year"] in (2026, 2027) for a in document["actions"])
    message = one_line(
        fails("plan", "--budget", "3e8", "--per-year", "2026:2e8", "--db", stored).stderr
    )
    assert "--per-year: '2026:2e8' is not YEAR=JPY" in message


def test_own_actions_from_a_file_join_the_plan(stored: str, tmp_path: Path) -> None:
    with open_store(stored) as store:
        found = candidate_actions(SupplyNetwork.build(store.dataset()), program_id="radar")
    firm = found.risks[0].risk_id.split(":", 1)[1]
    path = tmp_path / "mine.toml"
    path.write_text(
        f'[[action]]\nid = "mine"\nkind = "cyber"\nfirm_id = "{firm}"\ncost_jpy = 1.0\n'
        "exit_cut_frac = 1.0\n"
    )
    document = json.loads(
        succeeds("plan", "--budget", "1", "--program", "radar", "--actions", path, "--db",
                 stored, "-f", "json").stdout
    )  # fmt: skip
    assert [a["action_id"] for a in document["actions"]] == ["own:mine"]
    path.write_text('[[action]]\nid = "x"\nkind = "cyber"\nfirm_id = "NOPE"\ncost_jpy = 1.0\n')
    message = one_line(fails("plan", "--budget", "1", "--actions", path, "--db", stored).stderr)
    assert f"{path}: [[action]] #1: firm_id: no firm 'NOPE' in the data" in message


def test_simulated_consequences_change_what_is_at_risk(stored: str) -> None:
    def before(*extra: str) -> float:
        document = json.loads(
            succeeds("plan", "--budget", "1e8", "--program", "radar", "--db", stored, "-f",
                     "json", *extra).stdout
        )  # fmt: skip
        return float(document["risk_before_jpy"])

    with open_store(stored) as store:
        network = SupplyNetwork.build(store.dataset())
    found = candidate_actions(network, program_id="radar")
    from kiban.plan.simulated import simulated_consequences

    expected = simulated_consequences(network, found)
    simulated = sum(r.exit_probability * expected[r.risk_id] for r in found.risks)
    assert before("--simulated") == pytest.approx(simulated)
    assert before() == pytest.approx(
        sum(r.exit_probability * r.consequence_jpy for r in found.risks)
    )
