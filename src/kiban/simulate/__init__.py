"""Disruption simulation: scenarios of shocks and their impact on the supply network.

`scenario` describes shocks (exits, embargoes, regional disasters, item shortages, demand
surges), built in Python or read from TOML (docs/scenarios.md); `static` finds, instantly,
the programs that can no longer be produced and the items left without any source.
"""

from kiban.simulate.scenario import (
    DemandSurge,
    Embargo,
    FirmExit,
    ItemShortage,
    RegionalDisaster,
    Scenario,
    Shock,
    check_scenario,
    load_scenario,
    scenario_from_mapping,
    shortcut_scenario,
)
from kiban.simulate.static import StaticImpact, static_impact

__all__ = [
    "DemandSurge",
    "Embargo",
    "FirmExit",
    "ItemShortage",
    "RegionalDisaster",
    "Scenario",
    "Shock",
    "StaticImpact",
    "check_scenario",
    "load_scenario",
    "scenario_from_mapping",
    "shortcut_scenario",
    "static_impact",
]
