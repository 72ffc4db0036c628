"""Scenarios: TOML and Python build the same thing; every bad input is named, with its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from kiban.dataset import Dataset
from kiban.errors import SimulateError
from kiban.network import SupplyNetwork
from kiban.simulate.scenario import (
    DemandSurge,
    Embargo,
    FirmExit,
    ItemShortage,
    RegionalDisaster,
    Scenario,
    check_scenario,
    load_scenario,
    scenario_from_mapping,
    shortcut_scenario,
)

TOML = """\
name = "everything"
description = "one of each"
days = 120
spare_capacity = 0.2

[[exit]]
firm_ids = ["S1", "S2"]
day = 5

[[embargo]]
country = "CN"

[[disaster]]
regions = ["Aichi", "Gifu"]
loss = 0.6
day = 10
recovery = "exponential"
recovery_days = 30

[[shortage]]
item_id = "SEAL"
loss = 0.5
day = 2

[[surge]]
program_id = "DD"
factor = 3
day = 30
spare_capacity_by_firm = { S1 = 0.5 }
"""

EVERYTHING = Scenario(
    name="everything",
    description="one of each",
    days=120,
    spare_capacity=0.2,
    shocks=(
        FirmExit(("S1", "S2"), day=5),
        Embargo("CN"),
        RegionalDisaster(("Aichi", "Gifu"), 0.6, day=10, recovery="exponential", recovery_days=30),
        ItemShortage("SEAL", 0.5, day=2),
        DemandSurge("DD", 3, day=30, spare_capacity_by_firm={"S1": 0.5}),
    ),
)

MINIMAL: dict[str, Any] = {"name": "s", "days": 10}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_and_python_build_the_same_scenario(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, TOML)) == EVERYTHING
    doc = {
        "name": "everything",
        "description": "one of each",
        "days": 120,
        "spare_capacity": 0.2,
        "exit": [{"firm_ids": ["S1", "S2"], "day": 5}],
        "embargo": [{"country": "CN"}],
        "disaster": [
            {
                "regions": ["Aichi", "Gifu"],
                "loss": 0.6,
                "day": 10,
                "recovery": "exponential",
                "recovery_days": 30,
            }
        ],
        "shortage": [{"item_id": "SEAL", "loss": 0.5, "day": 2}],
        "surge": [
            {"program_id": "DD", "factor": 3, "day": 30, "spare_capacity_by_firm": {"S1": 0.5}}
        ],
    }
    assert scenario_from_mapping(doc) == EVERYTHING


def test_defaults_and_spare_capacity() -> None:
    s = scenario_from_mapping({**MINIMAL, "surge": [{"program_id": "DD", "factor": 2}]})
    assert s.description == ""
    assert s.spare_capacity == 0.1
    surge = s.shocks[0]
    assert isinstance(surge, DemandSurge)
    assert surge.day == 0
    assert surge.spare_capacity_of("X", s.spare_capacity) == 0.1
    assert EVERYTHING.shocks[4].spare_capacity_of("S1") == 0.5  # type: ignore[union-attr]
    assert hash(EVERYTHING) == hash(load_scenario_text(TOML))


def load_scenario_text(text: str) -> Scenario:
    import tomllib

    return scenario_from_mapping(tomllib.loads(text))


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({**MINIMAL, "dayz": 3}, "top level: unknown key 'dayz' (did you mean 'days'?)"),
        ({"days": 3}, "missing key 'name'"),
        ({**MINIMAL, "days": 0}, "days must be a whole number > 0, not 0"),
        ({**MINIMAL, "days": -4}, "days must be a whole number > 0, not -4"),
        ({**MINIMAL, "days": 2.5}, "days must be a whole number > 0"),
        ({**MINIMAL, "days": True}, "days must be a whole number > 0"),
        ({**MINIMAL, "spare_capacity": -0.1}, "spare_capacity must be 0 or more"),
        ({**MINIMAL, "exit": {"firm_ids": ["A"]}}, "'exit' must be an array of tables"),
        ({**MINIMAL, "exit": [{"firm_id": ["A"]}]}, "(did you mean 'firm_ids'?)"),
        ({**MINIMAL, "exit": [{"firm_ids": "A"}]}, "[[exit]] #1: firm_ids must be a list"),
        ({**MINIMAL, "exit": [{"firm_ids": []}]}, "firm_ids must name at least one firm id"),
        ({**MINIMAL, "exit": [{"firm_ids": [3]}]}, "firm_ids must be a firm id"),
        ({**MINIMAL, "exit": [{"firm_ids": ["A"], "day": -1}]}, "day must be a whole number >= 0"),
        ({**MINIMAL, "exit": [{"firm_ids": ["A"], "day": 10}]}, "[[exit]] #1: day 10 is past"),
        ({**MINIMAL, "exit": [{"day": 1}]}, "[[exit]] #1: missing key 'firm_ids'"),
        ({**MINIMAL, "embargo": [{"country": "XX"}]}, "country must be an ISO 3166-1 alpha-2"),
        ({**MINIMAL, "embargo": [{"country": "cn"}]}, "(did you mean 'CN'?)"),
        ({**MINIMAL, "embargo": [{"contry": "CN"}]}, "unknown key 'contry' (did you mean"),
        (
            {**MINIMAL, "disaster": [{"regions": ["A"], "los": 0.5}]},
            "[[disaster]] #1: unknown key 'los' (did you mean 'loss'?); the keys of "
            "[[disaster]] are: regions, loss, day, recovery, recovery_days",
        ),
        ({**MINIMAL, "disaster": [{"regions": ["A"], "loss": 1.5}]}, "loss must be above 0"),
        ({**MINIMAL, "disaster": [{"regions": ["A"], "loss": -0.2}]}, "loss must be above 0"),
        ({**MINIMAL, "disaster": [{"regions": ["A"], "loss": 0}]}, "loss must be above 0"),
        ({**MINIMAL, "disaster": [{"regions": ["A"], "loss": "big"}]}, "loss must be a number"),
        (
            {**MINIMAL, "disaster": [{"regions": ["A"], "loss": 0.5, "recovery": "quick"}]},
            "recovery must be one of none, linear, exponential, not 'quick'",
        ),
        (
            {**MINIMAL, "disaster": [{"regions": ["A"], "loss": 0.5, "recovery": "linear"}]},
            "recovery 'linear' needs recovery_days",
        ),
        (
            {
                **MINIMAL,
                "disaster": [
                    {"regions": ["A"], "loss": 0.5, "recovery": "linear", "recovery_days": 0}
                ],
            },
            "recovery_days must be > 0",
        ),
        (
            {**MINIMAL, "disaster": [{"regions": ["A"], "loss": 0.5, "recovery_days": 3}]},
            "recovery_days is given but recovery is 'none'",
        ),
        ({**MINIMAL, "shortage": [{"item_id": "I", "loss": 2}]}, "[[shortage]] #1: loss must"),
        ({**MINIMAL, "surge": [{"program_id": "P", "factor": 0}]}, "factor must be > 0"),
        (
            {**MINIMAL, "surge": [{"program_id": "P", "factor": 2, "spare_capacity": -1}]},
            "spare_capacity must be 0 or more",
        ),
        (
            {
                **MINIMAL,
                "surge": [{"program_id": "P", "factor": 2, "spare_capacity_by_firm": {"F": -1}}],
            },
            "spare_capacity_by_firm.F must be 0 or more",
        ),
        (
            {
                **MINIMAL,
                "exit": [{"firm_ids": ["A"]}],
                "shortage": [{"item_id": "I", "loss": 0.5}, {"item_id": "J", "loss": 5}],
            },
            "[[shortage]] #2: loss must be above 0 and at most 1, not 5",
        ),
    ],
)
def test_bad_input_names_the_key_and_the_file(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(SimulateError) as caught:
        scenario_from_mapping(doc, "study.toml")
    assert str(caught.value).startswith("study.toml: ")
    assert message in str(caught.value)


def test_bad_toml_gives_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\ndays = 3\n[[exit]\nfirm_ids = ["A"]\n')
    with pytest.raises(SimulateError, match=r"scenario.toml: not valid TOML: .*line 3"):
        load_scenario(path)
    with pytest.raises(SimulateError, match="not found"):
        load_scenario(tmp_path / "missing.toml")


def test_typo_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, TOML.replace("recovery_days", "recovery_dayz"))
    with pytest.raises(SimulateError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: [[disaster]] #1: unknown key 'recovery_dayz'")
    assert "(did you mean 'recovery_days'?)" in str(caught.value)


def test_python_built_shocks_check_their_values() -> None:
    with pytest.raises(SimulateError, match=r"loss must be above 0 and at most 1, not 1\.2"):
        RegionalDisaster(("Aichi",), 1.2)
    with pytest.raises(SimulateError, match="firm_ids must be a list of firm ids"):
        FirmExit("F1")  # type: ignore[arg-type]
    with pytest.raises(SimulateError, match="days must be a whole number > 0"):
        Scenario("s", 0)
    with pytest.raises(SimulateError, match=r"\[\[embargo\]\] #1: day 9 is past"):
        Scenario("s", 5, (Embargo("CN", day=9),))


def network() -> SupplyNetwork:
    return SupplyNetwork.build(
        Dataset.from_frames(
            {
                "firms": pl.DataFrame(
                    {
                        "firm_id": ["P", "S1", "S2"],
                        "name": ["Prime", "One", "Two"],
                        "country": ["JP", "JP", "CN"],
                        "region": ["Aichi", "Gifu", None],
                    }
                ),
                "items": pl.DataFrame(
                    {
                        "item_id": ["SYS", "SEAL"],
                        "name": ["Ship", "Seal"],
                        "kind": ["system", "component"],
                    }
                ),
                "bom": pl.DataFrame(
                    {"parent_item_id": ["SYS"], "child_item_id": ["SEAL"], "quantity": [1.0]}
                ),
                "supplies": pl.DataFrame(
                    {
                        "supplier_id": ["S1", "S2"],
                        "customer_id": ["P", "P"],
                        "item_id": ["SEAL", "SEAL"],
                    }
                ),
                "programs": pl.DataFrame(
                    {"program_id": ["DD"], "name": ["Ship"], "item_id": ["SYS"], "prime_id": ["P"]}
                ),
            }
        )
    )


def test_check_scenario_accepts_known_names() -> None:
    check_scenario(EVERYTHING, network())
    check_scenario(shortcut_scenario(embargo=["KR"]), network())  # valid code, no firm: a no-op


@pytest.mark.parametrize(
    ("shock", "message"),
    [
        (FirmExit(("S1", "S9")), "[[exit]] #1: no firm 'S9' in the network; the firms are: P, S1"),
        (
            RegionalDisaster(("Osaka",), 1.0),
            "no region 'Osaka' in the network; the regions are: Aichi, Gifu",
        ),
        (ItemShortage("GEAR", 0.5), "no item 'GEAR' in the network; the items are: SYS, SEAL"),
        (DemandSurge("SUB", 2.0), "no program 'SUB' in the network; the programs are: DD"),
        (DemandSurge("DD", 2.0, spare_capacity_by_firm={"Q": 0.1}), "no firm 'Q'"),
    ],
)
def test_check_scenario_names_the_unknown(shock: Any, message: str) -> None:
    with pytest.raises(SimulateError) as caught:
        check_scenario(Scenario("s", 10, (shock,)), network())
    assert str(caught.value).startswith("scenario 's': ")
    assert message in str(caught.value)


def test_shortcut_scenario() -> None:
    s = shortcut_scenario(["F1", "F2"], ["CN", "US"], ["Aichi"], 0.6, 90)
    assert s.days == 90
    assert s.shocks == (
        FirmExit(("F1", "F2")),
        Embargo("CN"),
        Embargo("US"),
        RegionalDisaster(("Aichi",), 0.6),
    )
    with pytest.raises(SimulateError, match="nothing to simulate"):
        shortcut_scenario()
    with pytest.raises(SimulateError, match="loss must be above 0"):
        shortcut_scenario(disaster=["Aichi"], loss=0)
