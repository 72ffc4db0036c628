"""Disruption simulation: scenarios of shocks and their impact on the supply network.

`scenario` describes shocks (exits, embargoes, regional disasters, item shortages, demand
surges), built in Python or read from TOML (docs/scenarios.md); `static` finds, instantly,
the programs that can no longer be produced and the items left without any source;
`propagation` runs the shock day by day through the network (Hallegatte's ARIO model firm by
firm, as Inoue and Todo); `sampling` and `ensemble` run many random scenarios for quantiles.
"""

from kiban.simulate.ensemble import Ensemble, run_ensemble
from kiban.simulate.propagation import Model, Propagation, propagate
from kiban.simulate.sampling import (
    ExitCalibration,
    exit_calibration,
    exit_probabilities,
    sample_disasters,
    sample_exits,
)
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
    "Ensemble",
    "ExitCalibration",
    "FirmExit",
    "ItemShortage",
    "Model",
    "Propagation",
    "RegionalDisaster",
    "Scenario",
    "Shock",
    "StaticImpact",
    "check_scenario",
    "exit_calibration",
    "exit_probabilities",
    "load_scenario",
    "propagate",
    "run_ensemble",
    "sample_disasters",
    "sample_exits",
    "scenario_from_mapping",
    "shortcut_scenario",
    "static_impact",
]
