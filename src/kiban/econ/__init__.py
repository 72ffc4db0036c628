"""Economics of a defense program: learning, cost, price, exports and the budget picture.

`learning` gives unit (Crawford) and cumulative-average (Wright) learning curves, computed
exactly or by the lot-midpoint approximation, and fits them to observed lot costs; `pricing`
holds the ministry's cost-plus profit-rate regimes (`profit_rates.csv`, one row per rule);
`program` runs a program's cost model through a scenario of domestic and export orders year
by year; `viability` follows the program's suppliers through that scenario; `budget` reads
the budget picture off the reference data, each figure with its source. docs/economics.md
explains the model, its assumptions and its sources.
"""

from kiban.econ.budget import BUDGET_TOPICS, BudgetFigure, budget_picture, earmarks
from kiban.econ.learning import CurveFit, CurveKind, LearningCurve, fit_curve, slope_for
from kiban.econ.pricing import PricingTerms, profit_regime, profit_regimes
from kiban.econ.program import (
    ExportOrder,
    ProgramCostModel,
    ProgramResult,
    ProgramScenario,
    run_program,
)
from kiban.econ.scenario import ProgramStudy, load_study, study_report
from kiban.econ.trade import (
    export_effect,
    export_study,
    exports_for_margin,
    import_comparison,
    minimum_sustaining_rate,
)
from kiban.econ.viability import ViabilityAssumptions, supplier_viability

__all__ = [
    "BUDGET_TOPICS",
    "BudgetFigure",
    "CurveFit",
    "CurveKind",
    "ExportOrder",
    "LearningCurve",
    "PricingTerms",
    "ProgramCostModel",
    "ProgramResult",
    "ProgramScenario",
    "ProgramStudy",
    "ViabilityAssumptions",
    "budget_picture",
    "earmarks",
    "export_effect",
    "export_study",
    "exports_for_margin",
    "fit_curve",
    "import_comparison",
    "load_study",
    "minimum_sustaining_rate",
    "profit_regime",
    "profit_regimes",
    "run_program",
    "slope_for",
    "study_report",
    "supplier_viability",
]
