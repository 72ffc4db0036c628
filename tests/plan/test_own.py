"""A user's own candidate actions: added beside kiban's, and refused when they name nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiban.dataset import Dataset
from kiban.errors import PlanError
from kiban.network import SupplyNetwork
from kiban.plan.actions import Candidates, candidate_actions
from kiban.plan.optimize import solve_plan
from kiban.plan.own import load_own_actions
from tests.samples import sample_frames

CHEAP_SOURCE = """
[[action]]
id = "seal-maker"
kind = "second_source"
firm_id = "F3"
item_id = "CMP-1"
customer_id = "F2"
cost_jpy = 1.0e6

[[action]]
id = "gear-works-efficiency"
kind = "efficiency"
firm_id = "F2"
cost_jpy = 2.0e6
exit_cut_frac = 0.5
"""


@pytest.fixture(scope="module")
def setting() -> tuple[Dataset, Candidates]:
    dataset = Dataset.from_frames(sample_frames())
    return dataset, candidate_actions(SupplyNetwork.build(dataset))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "actions.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_own_actions_join_the_candidates_and_can_be_chosen(
    setting: tuple[Dataset, Candidates], tmp_path: Path
) -> None:
    dataset, found = setting
    mine = load_own_actions(write(tmp_path, CHEAP_SOURCE), found, dataset)
    assert len(mine.actions) == len(found.actions) + 2
    by_id = {a.action_id: a for a in mine.actions}
    source = by_id["own:seal-maker"]
    assert source.removes == (("P-FX:F3", "CMP-1@F2"),)
    # It is an alternative to kiban's own second sources of the same need.
    assert source.group == by_id["second_source:domestic:CMP-1@F2"].group
    assert by_id["own:gear-works-efficiency"].reduces == (("P-FX:F2", 0.5),)
    # At a budget that buys only it, the cheap source removes F3's risk.
    plan = solve_plan(mine.problem(1.0e6))
    assert plan.chosen == ("own:seal-maker",)
    assert plan.removed == ("P-FX:F3",)
    assert mine.described["action_id"].to_list() == [a.action_id for a in mine.actions]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CHEAP_SOURCE.replace('firm_id = "F3"', 'firm_id = "F9"'),
         r"#1: firm_id: no firm 'F9'"),
        (CHEAP_SOURCE.replace('item_id = "CMP-1"', 'item_id = "X-1"'),
         r"#1: item_id: no item 'X-1'"),
        (CHEAP_SOURCE.replace('customer_id = "F2"', 'customer_id = "F4"'),
         r"#1: item 'CMP-1' delivered to 'F4' is no single point of failure"),
        (CHEAP_SOURCE.replace("cost_jpy = 1.0e6", "cost_jpy = -1.0"), r"#1: cost_jpy must be >= 0"),
        (CHEAP_SOURCE.replace('kind = "efficiency"', 'kind = "lobbying"'), r"#2: kind 'lobbying'"),
        (CHEAP_SOURCE.replace("exit_cut_frac = 0.5", "exit_cut = 0.5"),
         r"#2: unknown key 'exit_cut' \(did you mean 'exit_cut_frac'\?\)"),
        (CHEAP_SOURCE.replace("exit_cut_frac = 0.5", ""),
         r"#2: an action of kind efficiency needs exit_cut_frac"),
        ("[[actions]]\nid = 'x'\n",
         r"top level: unknown key 'actions' \(did you mean 'action'\?\)"),
    ],
)  # fmt: skip
def test_bad_own_actions_name_the_file_entry_and_key(
    setting: tuple[Dataset, Candidates], tmp_path: Path, text: str, message: str
) -> None:
    dataset, found = setting
    path = write(tmp_path, text)
    with pytest.raises(PlanError, match=message) as caught:
        load_own_actions(path, found, dataset)
    assert str(path) in str(caught.value)
