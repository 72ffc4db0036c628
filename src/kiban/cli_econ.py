"""`kiban econ`: learning curves, program studies, exports and the budget picture
(docs/economics.md).

Registers itself on `kiban.cli.app`, as `kiban.cli_simulate` does. Each command gathers its
inputs, calls `kiban.econ` and prints the result as a table, JSON or CSV.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.text import Text

from kiban.cli import (
    DbOption,
    FormatOption,
    OutputFormat,
    _open,
    _print_frame,
    _write_json,
    app,
    guarded,
    out,
)
from kiban.errors import EconError
from kiban.reference.formatting import format_frac, format_jpy, format_range
from kiban.terminal import export_study_lines, rich_table

econ_app = typer.Typer(
    help="Economics: learning curves, program cost and price, exports, the budget picture.",
    no_args_is_help=True,
)
app.add_typer(econ_app, name="econ")


class Curve(StrEnum):
    unit = "unit"
    cumulative_average = "cumulative_average"


# --- kiban econ curve ------------------------------------------------------------------------


@econ_app.command("curve")
@guarded
def curve(
    first_unit_cost: Annotated[
        float, typer.Option("--first-unit-cost", help="Cost of the first unit, JPY.")
    ] = 1e9,
    slope: Annotated[
        float | None, typer.Option(help="Cost ratio per doubling of quantity, in (0, 1].")
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(help="Take the slope from learning_curves.csv (middle of its range)."),
    ] = None,
    kind: Annotated[Curve, typer.Option(help="Unit (Crawford) or cumulative average (Wright).")] = (
        Curve.unit
    ),
    units: Annotated[int, typer.Option(help="Units in all.")] = 100,
    lot_size: Annotated[int, typer.Option(help="Units per lot.")] = 10,
    fit: Annotated[
        Path | None,
        typer.Option(
            help="Fit slope and first-unit cost to a CSV of first_unit,last_unit,cost_jpy."
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A learning curve lot by lot (exact and by the lot-midpoint approximation), or a curve
    fitted to observed lot costs with --fit."""
    from kiban.econ.learning import CurveKind, LearningCurve, fit_curve, lot_table, slope_for

    if fit is not None:
        _print_fit(fit_curve(_read_lots(fit), CurveKind(kind.value)), fmt)
        return
    if slope is None:
        reference = slope_for(domain or "aerospace")
        slope = (reference.slope_min + reference.slope_max) / 2
    elif domain is not None:
        raise EconError("give --slope or --domain, not both")
    learning = LearningCurve(first_unit_cost, slope, CurveKind(kind.value))
    frame = lot_table(learning, units, lot_size)
    if fmt is not OutputFormat.table:
        _print_frame(frame, fmt)
        return
    out.print(
        Text(f"{kind.value} curve, slope {slope:g}, first unit {format_jpy(first_unit_cost)} JPY",
             style="bold")
    )  # fmt: skip
    out.print(rich_table(_money_view(frame)))


def _read_lots(path: Path) -> pl.DataFrame:
    from kiban.dataset.csvio import read_csv_table

    try:
        lots = read_csv_table(path)
    except Exception as error:  # a DatasetError names the file; anything else is unreadable
        raise EconError(f"{path}: cannot read lots: {error}") from None
    needed = ["first_unit", "last_unit", "cost_jpy"]
    missing = [c for c in needed if c not in lots.columns]
    if missing:
        raise EconError(f"{path}: missing column(s) {', '.join(missing)}; need {', '.join(needed)}")
    try:
        return lots.select(
            pl.col("first_unit").cast(pl.Int64),
            pl.col("last_unit").cast(pl.Int64),
            pl.col("cost_jpy").cast(pl.Float64),
        )
    except pl.exceptions.PolarsError as error:
        raise EconError(f"{path}: lots must be numbers: {str(error).splitlines()[0]}") from None


def _print_fit(fitted: Any, fmt: OutputFormat) -> None:
    result = {
        "kind": fitted.curve.kind.value,
        "slope": fitted.curve.slope,
        "slope_se": fitted.slope_se,
        "first_unit_cost_jpy": fitted.curve.first_unit_cost_jpy,
        "first_unit_cost_se_jpy": fitted.first_unit_cost_se_jpy,
        "r_squared": fitted.r_squared,
        "n_lots": fitted.n_lots,
        "slope_at_bound": fitted.slope_at_bound,
    }
    if fmt is OutputFormat.json:
        _write_json(result)
    elif fmt is OutputFormat.csv:
        _print_frame(pl.DataFrame([result]), fmt)
    else:
        out.print(
            f"fitted {result['kind']} curve over {fitted.n_lots} lots: slope "
            f"{fitted.curve.slope:.4f} ± {fitted.slope_se:.4f}, first unit "
            f"{format_jpy(fitted.curve.first_unit_cost_jpy)} ± "
            f"{format_jpy(fitted.first_unit_cost_se_jpy)} JPY, R² {fitted.r_squared:.4f}"
            + (" (the slope sits at its bound: check the lots)" if fitted.slope_at_bound else "")
        )


# --- kiban econ program ----------------------------------------------------------------------


@econ_app.command("program")
@guarded
def program(
    study_file: Annotated[Path, typer.Argument(help="A program study (TOML).", metavar="STUDY")],
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A program year by year: units, unit cost, price to the ministry, spend, the maker's
    revenue, profit and margin; what its exports save; the exports a target margin needs;
    the minimum sustaining rate; the premium over an import price."""
    from kiban.econ.scenario import load_study, study_report

    study = load_study(study_file)
    dataset = _dataset(db) if study.cost is None else None
    report = study_report(study, study.cost_model(dataset))
    _print_report(report, fmt)


def _print_report(report: dict[str, Any], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        _write_json(
            {k: v.to_dicts() if isinstance(v, pl.DataFrame) else v for k, v in report.items()}
        )
        return
    if fmt is OutputFormat.csv:
        _print_frame(report["years"], fmt)
        return
    summary = report["summary"]
    out.print(Text(summary["study"], style="bold"))
    out.print(rich_table(_money_view(report["years"].select(YEAR_VIEW))))
    for line in summary_lines(summary):
        out.print(line)
    if "imports" in report:
        out.print(rich_table(_money_view(report["imports"]), title="Against the import price"))
        examples = report["premium_examples"].filter(pl.col("value_min").is_not_null())
        view = examples.select(
            "item",
            "maker",
            "fiscal_year",
            pl.col("metric").str.replace_all("_", " "),
            pl.struct("value_min", "value_max", "unit")
            .map_elements(
                lambda v: format_range(v["value_min"], v["value_max"], v["unit"]),
                return_dtype=pl.String,
            )
            .alias("value"),
            "comparator",
            "confidence",
        )
        out.print(
            rich_table(view, title="Published premiums of domestic production (worked examples)")
        )
        out.print("Sources: kiban facts cost-premiums")


YEAR_VIEW = [
    "fiscal_year",
    "domestic_units",
    "export_units",
    "cumulative_units",
    "unit_cost_jpy",
    "unit_price_jpy",
    "ministry_spend_jpy",
    "export_revenue_jpy",
    "profit_jpy",
    "margin_frac",
]
"""The columns of a program's years that the table shows (JSON and CSV have them all)."""


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The headline of a program study, in sentences."""
    lines = [
        f"{summary['units']:,} units; the ministry spends "
        f"{format_jpy(summary['ministry_spend_jpy'])} JPY; the maker earns "
        f"{format_jpy(summary['profit_jpy'])} JPY on "
        f"{format_jpy(summary['maker_revenue_jpy'])} JPY (margin "
        f"{format_frac(summary['margin_frac'], 1)})."
    ]
    if summary["export_revenue_jpy"]:
        lines.append(
            f"Exports bring {format_jpy(summary['export_revenue_jpy'])} JPY and save the ministry "
            f"{format_jpy(summary['ministry_saving_from_exports_jpy'])} JPY."
        )
    if "exports_for_target_margin_units" in summary:
        units = summary["exports_for_target_margin_units"]
        target = format_frac(summary["target_margin_frac"], 1)
        lines.append(
            f"No export volume lifts the margin to {target}."
            if units is None
            else f"The margin reaches {target} with {units:,} more units exported in "
            f"FY{summary['exports_for_target_margin_year']} at today's price."
        )
    rate = summary["minimum_sustaining_rate_units"]
    price = format_jpy(summary["minimum_sustaining_rate_price_jpy"])
    lines.append(
        f"Minimum sustaining rate at {price} JPY a unit: "
        + (f"{rate:,} units a year." if rate is not None else "none (price below marginal cost).")
    )
    if "import_premium_jpy" in summary:
        lines.append(
            f"Against an import price of {format_jpy(summary['import_unit_price_jpy'])} JPY, "
            "domestic production costs the ministry "
            f"{format_jpy(summary['import_premium_jpy'])} JPY more."
        )
    return lines


# --- kiban econ exports ----------------------------------------------------------------------


@econ_app.command("exports")
@guarded
def exports(
    program_id: Annotated[str, typer.Option("--program", help="A program of the store.")],
    quantity: Annotated[int, typer.Option(help="Units exported.")],
    year: Annotated[
        int | None, typer.Option(help="Fiscal year of the export (default: the second year).")
    ] = None,
    partner: Annotated[str, typer.Option(help="Who buys (a country code or name).")] = "an ally",
    price: Annotated[
        float | None,
        typer.Option(help="Export unit price, JPY (default: the ministry's price that year)."),
    ] = None,
    work_share: Annotated[
        float, typer.Option(help="Share of each unit the maker builds (co-production).")
    ] = 1.0,
    start_year: Annotated[int, typer.Option(help="First fiscal year of the orders.")] = 2025,
    years: Annotated[int, typer.Option(help="Years of steady domestic orders.")] = 5,
    target_margin: Annotated[
        float, typer.Option(help="Margin whose export volume is reported.")
    ] = 0.08,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """What an export order does to a stored program's unit cost, the ministry's spend and
    the maker's margin (cost structure from stated assumptions: docs/economics.md)."""
    from kiban.econ.trade import export_study

    report = export_study(
        _dataset(db), program_id, quantity, year=year, partner=partner, price=price,
        work_share=work_share, start_year=start_year, years=years, target_margin=target_margin,
    )  # fmt: skip
    if fmt is OutputFormat.json:
        _write_json(
            {
                **report["summary"],
                "years": report["effect"].to_dicts(),
                "suppliers_by_year": report["viability"].to_dicts(),
            }
        )
    elif fmt is OutputFormat.csv:
        _print_frame(report["effect"], fmt)
    else:
        for line in export_study_lines(report["summary"]):
            out.print(line)
        out.print(rich_table(_money_view(report["effect"])))


# --- shared ------------------------------------------------------------------------------------


def _dataset(db: str | None) -> Any:
    with _open(db) as store:
        dataset = store.dataset()
    if not dataset.programs.height:
        raise EconError(
            "the store holds no programs: import a dataset (`kiban import PATH`) "
            "or run `kiban demo`"
        )
    return dataset


def _money_view(frame: pl.DataFrame) -> pl.DataFrame:
    """Yen columns as `1.23 bn`, fractions as percentages, for reading."""
    return frame.with_columns(
        *[
            pl.col(c).map_elements(format_jpy, return_dtype=pl.String)
            for c in frame.columns
            if c.endswith("_jpy") or "_jpy_" in c
        ],
        *[
            pl.col(c).map_elements(lambda v: format_frac(v, 1), return_dtype=pl.String)
            for c in frame.columns
            if c.endswith("_frac") or "_frac_" in c
        ],
    )


# --- kiban econ budget -------------------------------------------------------------------------

_SOURCE_COLUMNS = ("method", "note", "source_desc", "source_url", "confidence")


@econ_app.command("budget")
@guarded
def budget(
    topic: Annotated[
        str | None,
        typer.Argument(help="budget, fms, domestic, concentration, sipri or support."),
    ] = None,
    year: Annotated[int | None, typer.Option(help="Only this fiscal year.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The budget picture from the reference data, each figure with its source: the defense
    budget, FMS purchases, the domestic share, concentration among contractors, defense share
    of sales, and the money for the industrial base year by year."""
    from kiban.econ.budget import BUDGET_TOPICS, budget_picture

    if topic is None:
        titles = pl.DataFrame(
            {"topic": list(BUDGET_TOPICS), "what": [budget_picture(t).title for t in BUDGET_TOPICS]}
        )
        if fmt is OutputFormat.table:
            out.print(rich_table(titles, title="Topics (kiban econ budget TOPIC)"))
        else:
            _print_frame(titles, fmt)
        return
    figure = budget_picture(topic)
    table = figure.table
    if year is not None:
        column = "fiscal_year" if "fiscal_year" in table.columns else "year"
        table = table.filter(pl.col(column) == year)
        if table.is_empty():
            raise EconError(f"topic {figure.topic!r} has no figure for {year}")
    if fmt is not OutputFormat.table:
        _print_frame(table, fmt)
        return
    out.print(Text(figure.title, style="bold"))
    sources = table.select("source_desc", "source_url", "confidence").unique(maintain_order=True)
    numbered = sources.with_row_index("src", offset=1).with_columns(pl.col("src").cast(pl.Int64))
    view = table.join(numbered, on=["source_desc", "source_url", "confidence"], how="left")
    view = view.select(
        [c for c in table.columns if c not in _SOURCE_COLUMNS] + ["confidence", "src"]
    )
    out.print(rich_table(_money_view(view)))
    for note in figure.notes:
        out.print(f"note: {note}")
    out.print(Text("Sources", style="bold"))
    for row in numbered.iter_rows(named=True):
        out.print(
            f"{row['src']} {row['source_desc']} (confidence {row['confidence']}) "
            f"{row['source_url']}"
        )
