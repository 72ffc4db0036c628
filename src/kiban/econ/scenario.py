"""Program studies read from TOML: a cost model, an order schedule, exports and comparisons.

A study file (docs/economics.md shows a whole one):

    name = "Fighter with an Australian order"
    program = "fighter"            # optional: a program of the dataset
    [cost]                         # or leave it out and give `program` (then [assumptions])
    first_unit_cost_jpy = 2.0e10
    slope = 0.85
    [pricing]
    regime = "by_year"
    [domestic]                     # fiscal year = units the ministry buys
    2026 = 12
    [[export]]
    partner = "AU"
    fiscal_year = 2028
    quantity = 6
    [compare]
    import_unit_price_jpy = 1.1e10
    target_margin_frac = 0.08

Every key is checked before anything runs: an unknown key (with the closest known one), a
value of the wrong type or out of range, or a missing one is an `EconError` naming the file,
the table and the key.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from kiban.dataset import Dataset
from kiban.econ.assumptions import CostAssumptions, program_cost_model, program_facts
from kiban.econ.learning import CurveKind, LearningCurve
from kiban.econ.pricing import PricingTerms
from kiban.econ.program import ExportOrder, ProgramCostModel, ProgramScenario, run_program
from kiban.econ.trade import (
    cost_premium_examples,
    exports_for_margin,
    import_comparison,
    minimum_sustaining_rate,
    ministry_saving_jpy,
)
from kiban.errors import EconError
from kiban.tomlfile import check_keys, read_toml

T = TypeVar("T")


@dataclass(frozen=True)
class ProgramStudy:
    """A study of one program: its cost model (or the dataset program it comes from), the
    scenario, and what to compare it with."""

    name: str
    scenario: ProgramScenario
    cost: ProgramCostModel | None = None
    program_id: str | None = None
    assumptions: CostAssumptions = dataclasses.field(default_factory=CostAssumptions)
    description: str = ""
    import_unit_price_jpy: float | None = None
    target_margin_frac: float | None = None

    def __post_init__(self) -> None:
        if self.cost is None and self.program_id is None:
            raise EconError("a study needs a [cost] table or a `program` of the dataset")

    def cost_model(self, dataset: Dataset | None = None) -> ProgramCostModel:
        """The study's own cost model, or the one built from its dataset program."""
        if self.cost is not None:
            return self.cost
        if dataset is None:
            raise EconError(
                f"study {self.name!r} takes its cost from program {self.program_id!r}: "
                "it needs a dataset (a store)"
            )
        assert self.program_id is not None
        return program_cost_model(program_facts(dataset, self.program_id), self.assumptions)


def study_report(study: ProgramStudy, model: ProgramCostModel) -> dict[str, Any]:
    """A study's results: `years` (`kiban.econ.program.YEAR_COLUMNS`), `summary` (totals,
    margin, what the exports save the ministry, the minimum sustaining rate at the first
    year's price, and with [compare] the exports a target margin needs in the last year and
    the premium over the import price) and, with an import price, `imports`
    (`kiban.econ.trade.import_comparison`) and the published premiums of domestic production
    as worked examples (`premium_examples`, `kiban.econ.trade.cost_premium_examples`)."""
    scenario = study.scenario
    result = run_program(model, scenario)
    years = result.years
    first = years.filter(pl.col("unit_price_jpy").is_not_null()).row(0, named=True)
    growth = scenario.pricing.rates(first["fiscal_year"]).cost_growth_frac
    summary: dict[str, Any] = {
        "study": study.name,
        "units": result.units,
        "ministry_spend_jpy": result.total("ministry_spend_jpy"),
        "export_revenue_jpy": result.total("export_revenue_jpy"),
        "maker_revenue_jpy": result.total("maker_revenue_jpy"),
        "profit_jpy": result.total("profit_jpy"),
        "margin_frac": result.margin_frac,
        "ministry_saving_from_exports_jpy": ministry_saving_jpy(model, scenario)
        if scenario.exports
        else 0.0,
        # At the first year's price the line gets today, what rate keeps it whole?
        "minimum_sustaining_rate_units": minimum_sustaining_rate(
            model,
            first["unit_price_jpy"],
            cost_growth_frac=growth,
        ),
        "minimum_sustaining_rate_price_jpy": first["unit_price_jpy"],
    }
    report: dict[str, Any] = {"summary": summary, "years": years}
    if study.target_margin_frac is not None:
        year = max(scenario.fiscal_years)
        summary["target_margin_frac"] = study.target_margin_frac
        summary["exports_for_target_margin_units"] = exports_for_margin(
            model, scenario, study.target_margin_frac, fiscal_year=year
        )
        summary["exports_for_target_margin_year"] = year
    if study.import_unit_price_jpy is not None:
        imports = import_comparison(result, study.import_unit_price_jpy)
        report["imports"] = imports
        report["premium_examples"] = cost_premium_examples()
        summary["import_unit_price_jpy"] = study.import_unit_price_jpy
        summary["import_premium_jpy"] = float(imports["premium_jpy"].sum())
    return report


def load_study(path: str | Path) -> ProgramStudy:
    """Read a study from a TOML file; an `EconError` names the file and the key at fault."""
    return study_from_mapping(read_toml(path, "study file", EconError), str(path))


_TOP = (
    "name",
    "description",
    "program",
    "cost",
    "assumptions",
    "pricing",
    "domestic",
    "export",
    "compare",
)
_COST = (
    "first_unit_cost_jpy",
    "slope",
    "curve",
    "rate_slope",
    "reference_rate",
    "non_recurring_jpy",
    "line_fixed_jpy_per_year",
    "units_built_before",
)
_ASSUMPTIONS = (
    "fiscal_year",
    "fixed_share_frac",
    "non_recurring_share_frac",
    "planned_years",
    "years_in_production",
    "slope",
)
_PRICING = ("regime", "profit_rate_frac", "cost_growth_frac", "realized_margin_frac")
_EXPORT = ("partner", "fiscal_year", "quantity", "unit_price_jpy", "work_share_frac")
_COMPARE = ("import_unit_price_jpy", "target_margin_frac")


def study_from_mapping(doc: Mapping[str, Any], source: str = "<study>") -> ProgramStudy:
    """Build a study from a parsed TOML document (module docstring); `source` names it in
    messages."""
    if not isinstance(doc, Mapping):
        raise EconError(f"{source}: a study must be a table of keys, not {doc!r}")
    _known_keys(doc, _TOP, f"{source}: top level")
    name = _text(doc.get("name"), f"{source}: name")
    program = doc.get("program")
    if program is not None:
        program = _text(program, f"{source}: program")
    pricing = _build(PricingTerms, _table(doc, "pricing", source), _PRICING, f"{source}: [pricing]")
    assumptions_table = dict(_table(doc, "assumptions", source))
    assumptions = _build(
        CostAssumptions,
        {**assumptions_table, "pricing": pricing},
        (*_ASSUMPTIONS, "pricing"),
        f"{source}: [assumptions]",
    )
    cost = None
    if "cost" in doc:
        cost = _cost(_table(doc, "cost", source), f"{source}: [cost]")
    elif program is None:
        raise EconError(f"{source}: give a [cost] table or the `program` the cost comes from")
    exports = tuple(
        _build(ExportOrder, entry, _EXPORT, f"{source}: [[export]] #{number}")
        for number, entry in enumerate(_tables(doc, "export", source), 1)
    )
    compare = _table(doc, "compare", source)
    _known_keys(compare, _COMPARE, f"{source}: [compare]")
    scenario = _wrapped(
        lambda: ProgramScenario(
            _schedule(_table(doc, "domestic", source), f"{source}: [domestic]"),
            exports,
            pricing,
            name,
        ),
        source,
    )
    return ProgramStudy(
        name=name,
        description=str(doc.get("description", "")),
        program_id=program,
        cost=cost,
        assumptions=assumptions,
        scenario=scenario,
        import_unit_price_jpy=_optional_number(
            compare, "import_unit_price_jpy", f"{source}: [compare]"
        ),
        target_margin_frac=_optional_number(compare, "target_margin_frac", f"{source}: [compare]"),
    )


def _cost(table: Mapping[str, Any], where: str) -> ProgramCostModel:
    _known_keys(table, _COST, where)
    for required in ("first_unit_cost_jpy", "slope"):
        if required not in table:
            raise EconError(f"{where}: missing key {required!r}")
    curve_name = table.get("curve", CurveKind.UNIT.value)
    kinds = [k.value for k in CurveKind]
    if curve_name not in kinds:
        raise EconError(f"{where}: curve must be one of {', '.join(kinds)}, not {curve_name!r}")
    curve_keys = ("first_unit_cost_jpy", "slope", "rate_slope", "reference_rate")
    curve = _wrapped(
        lambda: LearningCurve(
            kind=CurveKind(curve_name),
            **{k: _number(table[k], f"{where}: {k}") for k in curve_keys if k in table},
        ),
        where,
    )
    rest = {k: table[k] for k in _COST[5:] if k in table}
    return _build(ProgramCostModel, {**rest, "recurring": curve}, (*_COST[5:], "recurring"), where)


def _schedule(table: Mapping[str, Any], where: str) -> dict[int, int]:
    if not table:
        raise EconError(f"{where}: the ministry's order schedule is empty; write e.g. 2026 = 12")
    schedule = {}
    for key, units in table.items():
        if not str(key).isdigit():
            raise EconError(f"{where}: {key!r} is not a fiscal year; write e.g. 2026 = 12")
        schedule[int(key)] = _count(units, f"{where}: {key}")
    return schedule


def _build(kind: type[T], table: Mapping[str, Any], allowed: Sequence[str], where: str) -> T:
    _known_keys(table, allowed, where)
    fields = {f.name: f for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    for name, f in fields.items():
        missing = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if missing and name not in table:
            raise EconError(f"{where}: missing key {name!r}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        annotation = str(fields[key].type)  # a string: the modules use postponed annotations
        if annotation == "int":
            values[key] = _count(value, f"{where}: {key}")
        elif annotation in ("float", "float | None"):
            values[key] = None if value is None else _number(value, f"{where}: {key}")
        elif annotation == "str":
            values[key] = _text(value, f"{where}: {key}")
        else:
            values[key] = value
    return _wrapped(lambda: kind(**values), where)


def _wrapped(build: Callable[[], T], where: str) -> T:
    try:
        return build()
    except EconError as error:
        raise EconError(f"{where}: {error}") from None


def _table(doc: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    table = doc.get(key, {})
    if not isinstance(table, Mapping):
        raise EconError(f"{source}: {key!r} must be a table written [{key}], not {table!r}")
    return table


def _tables(doc: Mapping[str, Any], key: str, source: str) -> list[Mapping[str, Any]]:
    entries = doc.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise EconError(f"{source}: {key!r} must be an array of tables written [[{key}]]")
    return entries


def _known_keys(table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    check_keys(table, allowed, where, EconError)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EconError(f"{where} must be a number, not {value!r}")
    return float(value)


def _optional_number(table: Mapping[str, Any], key: str, where: str) -> float | None:
    return _number(table[key], f"{where}: {key}") if key in table else None


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EconError(f"{where} must be a whole number, not {value!r}")
    if value < 0:
        raise EconError(f"{where} must be >= 0, not {value}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EconError(f"{where} must be non-empty text, not {value!r}")
    return value
