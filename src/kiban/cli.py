"""The `kiban` command.

A thin surface: each command gathers its inputs, calls the package's functions and presents
the result. Heavy modules are imported inside commands so `kiban --help` stays fast. A
`KibanError` is printed as one clear message with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.control import strip_control_codes
from rich.table import Table as RichTable
from rich.text import Text

from kiban.errors import KibanError
from kiban.terminal import program_summary_view, rich_table

if TYPE_CHECKING:
    import polars as pl

    from kiban.dataset.model import Dataset
    from kiban.dataset.report import ValidationReport
    from kiban.network import SupplyNetwork
    from kiban.risk.config import RiskConfig
    from kiban.risk.staleness import DataAge
    from kiban.store import Store

app = typer.Typer(
    name="kiban",
    help="Analyse and strengthen a defense industrial base: supply chains, risks, economics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
generate_app = typer.Typer(
    help="Generate synthetic datasets for demos and tests.", no_args_is_help=True
)
app.add_typer(generate_app, name="generate")

# No markup by default: messages carry user values (file names, cell values) in which
# `[...]` is text, not a style. Styled words are added with `_labelled`.
# Piped output (a file, a pager) gets a wide page rather than rich's 80 columns; a
# terminal, its own width. COLUMNS, if set, wins in both cases.
_PIPE_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(highlight=False, soft_wrap=True, markup=False, width=_PIPE_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

P = ParamSpec("P")
R = TypeVar("R")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class DatasetFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="KIBAN_DATABASE_URL",
        help="Store URL: sqlite:///path.db or postgresql://... [default: sqlite:///kiban.db]",
    ),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a KibanError into a message on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except KibanError as error:
            err.print(_labelled("error:", "bold red", str(error)))
            raise typer.Exit(error.exit_code) from None

    return wrapper


def _labelled(label: str, style: str, message: str) -> Text:
    """`label` in `style`, then `message` as plain text."""
    return Text.assemble((label, style), " ", message)


def _print_lines(console: Console, label: str, style: str, lines: Sequence[str]) -> None:
    """`label` and a line, for each of `lines`: like `_labelled`, but fast for a million.

    Rich takes about 30 µs a line; the label is rendered once and the lines written as they
    are, less control codes (a value holding an escape sequence must not drive the terminal).
    """
    with console.capture() as capture:
        console.print(Text(label, style=style), end="")
    styled = capture.get()
    console.file.write("".join(f"{styled} {strip_control_codes(line)}\n" for line in lines))


def _write_json(value: object) -> None:
    # Plain json, not rich's print_json, which colours 200,000 issues in a minute and a half.
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def _print_frame(frame: pl.DataFrame, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        _write_json(frame.to_dicts())
    elif fmt is OutputFormat.csv:
        import polars as pl

        # CSV has no lists: a list cell (archetype tags, countries) is written joined by ";".
        lists = [n for n, t in frame.schema.items() if isinstance(t, pl.List)]
        joined = [pl.col(n).cast(pl.List(pl.String)).list.join(";") for n in lists]
        sys.stdout.write(frame.with_columns(joined).write_csv())
    else:
        out.print(rich_table(frame))


def _open(db: str | None, *, create: bool = False) -> Store:
    from kiban.store import open_store

    return open_store(db, create=create)


def _write(dataset: Dataset, path: Path, fmt: DatasetFormat, overwrite: bool) -> None:
    """Write `dataset` to `path` and say what was written."""
    from kiban.dataset.io import write_dataset

    written = write_dataset(dataset, path, fmt.value, overwrite=overwrite)
    counts = ", ".join(f"{n:,} {t}" for t, n in dataset.row_counts().items())
    out.print(f"wrote {written} ({counts})")


# --- data in and out -------------------------------------------------------------------------


@app.command()
@guarded
def init(db: DbOption = None) -> None:
    """Create the store (or bring it to the latest schema)."""
    with _open(db, create=True) as store:
        info = store.info()
    out.print(f"store ready: {info.url} ({info.backend}, schema {info.revision})")


def _report_summary(report: ValidationReport) -> RichTable:
    table = RichTable(title="Rows read", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("warnings", justify="right")
    errors = dict(report.errors.group_by("table").len().iter_rows())
    warnings = dict(report.warnings.group_by("table").len().iter_rows())
    for name, rows in report.row_counts.items():
        table.add_row(name, f"{rows:,}", f"{errors.get(name, 0):,}", f"{warnings.get(name, 0):,}")
    return table


def _print_issues(report: ValidationReport, limit: int | None) -> None:
    """Warnings, then errors, at most `limit` of each, on stderr."""
    for frame, label, style in (
        (report.warnings, "warning", "yellow"),
        (report.errors, "error", "red"),
    ):
        _print_lines(err, f"{label}:", style, report.lines(frame, limit=limit))
        if limit is not None and frame.height > limit:
            err.print(
                f"... {frame.height - limit:,} more {label}s (--max-errors 0 shows all, "
                "--errors-csv writes them to a file)"
            )


def _write_issues(report: ValidationReport, path: Path) -> None:
    import polars as pl

    try:
        report.issues.write_csv(path)
    except (OSError, pl.exceptions.PolarsError) as error:
        raise KibanError(f"cannot write the problems to {path}: {error}") from None


@app.command()
@guarded
def validate(
    path: Annotated[Path, typer.Argument(help="A folder of CSV or Parquet files, or an .xlsx.")],
    max_errors: Annotated[int, typer.Option(min=0, help="Errors to print (0: all).")] = 50,
    errors_csv: Annotated[
        Path | None, typer.Option(help="Write every problem to this CSV file.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Check a dataset against the format; exit 1 and list every error if it breaks a rule."""
    from kiban.dataset.io import read_dataset
    from kiban.dataset.validate import validate as run_validation

    report = run_validation(read_dataset(path))
    if errors_csv is not None:
        _write_issues(report, errors_csv)
    if fmt is not OutputFormat.table:
        _print_frame(report.issues, fmt)
    else:
        out.print(_report_summary(report))
        _print_issues(report, None if max_errors == 0 else max_errors)
    if not report.ok:
        err.print(_labelled("invalid:", "bold red", f"{report.errors.height:,} error(s) in {path}"))
        raise typer.Exit(1)
    # With --format json or csv, stdout holds only the issues, so that it parses.
    status = out if fmt is OutputFormat.table else err
    status.print(_labelled("valid:", "green", f"{path} ({report.warnings.height} warning(s))"))


@app.command("import")
@guarded
def import_(
    path: Annotated[Path, typer.Argument(help="A folder of CSV or Parquet files, or an .xlsx.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace everything stored with this dataset.")
    ] = False,
    actor: Annotated[str | None, typer.Option(help="Who imports (for the audit log).")] = None,
    db: DbOption = None,
) -> None:
    """Validate a dataset and add it to the store in one transaction (all or nothing)."""
    from kiban.dataset.io import read_dataset

    dataset = read_dataset(path)
    with _open(db, create=True) as store:
        result = store.import_dataset(dataset, replace=replace, actor=actor, source=str(path))
    table = RichTable(title=f"Import {result.import_id} of {path}", title_justify="left")
    columns = ("added", "updated", "unchanged", "removed")
    table.add_column("table")
    for name in columns:
        table.add_column(name, justify="right")
    for name, counts in result.counts.items():
        table.add_row(name, *[f"{getattr(counts, column):,}" for column in columns])
    out.print(table)
    # Warnings do not stop an import (unknown columns are kept), but the user should see them.
    _print_lines(err, "warning:", "yellow", result.report.lines(result.report.warnings))
    out.print("stored." if result.changed else "nothing changed: the store already holds it.")


@app.command()
@guarded
def export(
    path: Annotated[Path, typer.Argument(help="Folder (csv, parquet) or .xlsx file to write.")],
    fmt: Annotated[DatasetFormat, typer.Option("--format", "-f", help="Container.")] = (
        DatasetFormat.csv
    ),
    overwrite: Annotated[bool, typer.Option(help="Replace what is at PATH.")] = False,
    db: DbOption = None,
) -> None:
    """Write everything stored as a dataset (round-trips with `kiban import`)."""
    with _open(db) as store:
        dataset = store.dataset()
        if not dataset.tables:
            raise KibanError(
                f"the store {store.url} holds no data, so there is nothing to export; "
                "add some with `kiban import PATH`"
            )
    _write(dataset, path, fmt, overwrite)


@app.command()
@guarded
def template(
    path: Annotated[Path, typer.Argument(help="The .xlsx survey workbook to write.")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write an Excel survey workbook a supplier can fill in and send back."""
    from kiban.dataset.xlsx import write_template

    if path.exists() and not overwrite:
        raise KibanError(f"{path} exists; use --overwrite to replace it")
    written = write_template(path, overwrite=overwrite)
    out.print(
        f"wrote {written}: one sheet per table, notes on each column, allowed values as "
        "lists. Check a filled copy with `kiban validate`."
    )


def _imports_table(imports: pl.DataFrame) -> RichTable:
    """Entries of the audit log, one line each: when, who, what and what came of it."""
    table = RichTable(title="Last imports", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("actor")
    table.add_column("source", overflow="fold")
    table.add_column("result")
    for entry in imports.iter_rows(named=True):
        if entry["outcome"] == "changed":
            verbs = ("added", "updated", "removed")
            result = ", ".join(f"{v} {entry[v]:,}" for v in verbs if entry[v])
        elif entry["outcome"] == "unchanged":
            result = "nothing changed"
        else:
            result = f"refused ({entry['outcome']})"
        when = entry["imported_at"]
        table.add_row(
            str(entry["import_id"]),
            when.strftime("%Y-%m-%d %H:%M") if when is not None else "",
            entry["actor"],
            entry["source"] or "",
            f"{entry['mode']}: {result}",
        )
    return table


@app.command()
@guarded
def info(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Show what is stored: tables, row counts, the last imports."""
    with _open(db) as store:
        facts = store.info()
        imports = store.imports()
    if fmt is OutputFormat.json:
        _write_json(facts.to_dict())
        return
    if fmt is OutputFormat.csv:
        import polars as pl

        sys.stdout.write(
            pl.DataFrame(
                {"table": list(facts.row_counts), "rows": list(facts.row_counts.values())}
            ).write_csv()
        )
        return
    out.print(
        f"store: {facts.url} ({facts.backend}), schema {facts.revision}, "
        f"dataset format v{facts.format_version}"
    )
    table = RichTable(title="Stored", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in facts.row_counts.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    if imports.height:
        out.print(_imports_table(imports.tail(5)))
    else:
        out.print("no imports yet: try `kiban import PATH` or `kiban demo`.")


@app.command()
@guarded
def facts(
    topic: Annotated[str | None, typer.Argument(help="A topic, e.g. budget, fms, sipri.")] = None,
    year: Annotated[int | None, typer.Option(help="Only this fiscal year.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Japan's public figures with their sources (defense budget, FMS, contractors, ...)."""
    from kiban.reference import fact_table, topics

    if topic is None:
        table = RichTable(title="Topics (kiban facts TOPIC)", title_justify="left")
        table.add_column("topic")
        table.add_column("what it holds")
        for t in topics():
            table.add_row(t.slug, t.title)
        out.print(table)
        return
    facts_ = fact_table(topic, fiscal_year=year)
    if fmt is not OutputFormat.table:
        _print_frame(facts_.data, fmt)
        return
    out.print(Text(facts_.title, style="bold"))
    if facts_.description:
        out.print(facts_.description)
    out.print(rich_table(facts_.table))
    for note in facts_.notes:
        out.print(f"note: {note}")
    out.print(Text("Sources", style="bold"))
    for source in facts_.sources.iter_rows(named=True):
        out.print(
            f"{source['ref']} {source['source_desc']} (confidence {source['confidence']}) "
            f"{source['source_url']}"
        )


# --- generators ------------------------------------------------------------------------------


@generate_app.command("programs")
@guarded
def generate_programs(
    path: Annotated[Path, typer.Argument(help="Folder (csv, parquet) or .xlsx to write.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 1,
    scale: Annotated[float, typer.Option(help="Shrink every program (0 < scale <= 1).")] = 1.0,
    fmt: Annotated[DatasetFormat, typer.Option("--format", "-f", help="Container.")] = (
        DatasetFormat.csv
    ),
    overwrite: Annotated[bool, typer.Option(help="Replace what is at PATH.")] = False,
) -> None:
    """A synthetic dataset of Japanese defense programs, calibrated to public figures."""
    from kiban.reference.programs import generate_programs as generate

    _write(generate(seed, scale=scale), path, fmt, overwrite)


@generate_app.command("national")
@guarded
def generate_national(
    path: Annotated[Path, typer.Argument(help="Folder (csv, parquet) or .xlsx to write.")],
    firms: Annotated[int, typer.Option(help="Number of firms (at least 2).")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 1,
    fmt: Annotated[DatasetFormat, typer.Option("--format", "-f", help="Container.")] = (
        DatasetFormat.csv
    ),
    overwrite: Annotated[bool, typer.Option(help="Replace what is at PATH.")] = False,
) -> None:
    """A synthetic national inter-firm network calibrated to Japan's production network."""
    from kiban.reference.national import generate_national as generate
    from kiban.reference.national import network_statistics

    dataset = generate(firms, seed)
    _write(dataset, path, fmt, overwrite)
    out.print(rich_table(network_statistics(dataset), title="Achieved beside the targets"))


# --- risk ------------------------------------------------------------------------------------

risk_app = typer.Typer(
    help="Single points of failure, sourcing, exposure and fragility-and-criticality scores.",
    no_args_is_help=True,
)
app.add_typer(risk_app, name="risk")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="KIBAN_RISK_CONFIG",
        help="A TOML file of risk weights and settings laid over the defaults.",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Date the data's age is measured at (YYYY-MM-DD) [today]."),
]
ProgramOption = Annotated[str, typer.Option("--program", "-p", help="A program id.")]


@dataclasses.dataclass(frozen=True)
class _RiskInputs:
    network: SupplyNetwork
    config: RiskConfig
    as_of: date

    def data_age(self, rows: Any = None) -> DataAge:
        """How old the supplies behind a result are (all of them, or the given rows)."""
        from kiban.risk.staleness import data_age

        return data_age(
            self.network, as_of=self.as_of, max_age_days=self.config.stale_after_days, rows=rows
        )


def _risk_inputs(db: str | None, config: Path | None, as_of: str | None) -> _RiskInputs:
    """The stored data compiled for analysis, the risk settings and the date of reference."""
    from kiban.errors import RiskError
    from kiban.network import SupplyNetwork
    from kiban.risk.config import load_config

    try:
        when = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise RiskError(f"--as-of {as_of!r} is not a date written as YYYY-MM-DD") from None
    settings = load_config(config)
    with _open(db) as store:
        dataset = store.dataset()
    if not dataset.firms.height:
        raise RiskError(
            "the store holds no data: import a dataset (`kiban import PATH`) or run `kiban demo`"
        )
    return _RiskInputs(SupplyNetwork.build(dataset), settings, when)


def _print_result(frame: pl.DataFrame, fmt: OutputFormat, title: str, footer: str) -> None:
    """A risk result with, in a table, the age of the data behind it."""
    if fmt is not OutputFormat.table:
        _print_frame(frame, fmt)
        return
    out.print(rich_table(frame, title=title))
    out.print(footer)


@risk_app.command("summary")
@guarded
def risk_summary(
    db: DbOption = None,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """One row per program: firms, tiers, single points of failure, sole sources, foreign
    share, fragile suppliers, stale links."""
    from kiban.risk.summary import program_summary

    inputs = _risk_inputs(db, config, as_of)
    summary = program_summary(inputs.network, inputs.config, as_of=inputs.as_of)
    age = inputs.data_age()
    if fmt is OutputFormat.table:
        summary = program_summary_view(summary)
    _print_result(summary, fmt, "Headline risks by program", age.describe())


@risk_app.command("spof")
@guarded
def risk_spof(
    program: ProgramOption,
    pairs: Annotated[
        bool, typer.Option("--pairs", help="Also pairs of firms that only break it together.")
    ] = False,
    db: DbOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The firms whose exit alone makes PROGRAM unproducible, and why."""
    from kiban.risk.exposure import program_supply_rows
    from kiban.risk.pairs import critical_pairs
    from kiban.risk.producibility import producibility
    from kiban.risk.spof import single_points_of_failure

    inputs = _risk_inputs(db, None, as_of)
    net = inputs.network
    spof = single_points_of_failure(net, program)
    status = dict(
        zip(
            ("producible", "reason"),
            producibility(net).filter(program_id=program).select("producible", "reason").row(0),
            strict=True,
        )
    )
    pair_frame = critical_pairs(net, program) if pairs else None
    rows = program_supply_rows(net, program).get_column("row").to_numpy()
    age = inputs.data_age(rows)
    if fmt is OutputFormat.json:
        result: dict[str, object] = {
            "program_id": program,
            "producible": status["producible"],
            "not_producible_because": status.get("reason"),
            "single_points_of_failure": spof.to_dicts(),
            "data_age": dataclasses.asdict(age),
        }
        if pair_frame is not None:
            result["critical_pairs"] = pair_frame.to_dicts()
        _write_json(result)
        return
    if fmt is OutputFormat.csv:
        _print_frame(spof, fmt)
        return
    if not status["producible"]:
        out.print(f"{program} is not producible now: {status.get('reason')}")
    out.print(rich_table(spof, title=f"Single points of failure of {program}: {spof.height:,}"))
    if pair_frame is not None:
        out.print(
            rich_table(pair_frame, title=f"Critical pairs of {program}: {pair_frame.height:,}")
        )
    out.print(age.describe())


@risk_app.command("firms")
@guarded
def risk_firms(
    program: Annotated[
        str | None, typer.Option("--program", "-p", help="Only the firms of this program.")
    ] = None,
    top: Annotated[int | None, typer.Option(help="Only the N riskiest firms.", min=1)] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Fragility (1-5), criticality (1-5), risk and archetypes of each firm, riskiest first."""
    from kiban.risk.scores import firm_risk

    inputs = _risk_inputs(db, config, as_of)
    scores = firm_risk(inputs.network, inputs.config, as_of=inputs.as_of, program_id=program)
    scores = scores.sort(["risk", "criticality", "fragility"], descending=True, nulls_last=True)
    if top is not None:
        scores = scores.head(top)
    age = inputs.data_age()
    shown = (
        scores.select(
            "firm_id",
            "name",
            "country",
            "tier",
            "fragility",
            "criticality",
            "risk",
            "risk_level",
            "archetypes",
            "spof_programs",
        )
        if fmt is OutputFormat.table
        else scores
    )
    title = "Firms by risk" + (f" in {program}" if program else "")
    _print_result(shown, fmt, title, f"{age.describe()}; weights: {inputs.config.source}")


@risk_app.command("explain")
@guarded
def risk_explain(
    firm: Annotated[str, typer.Argument(help="A firm id.")],
    db: DbOption = None,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Why FIRM scores as it does: every factor with its value, weight and contribution."""
    from kiban.risk.scores import explain

    inputs = _risk_inputs(db, config, as_of)
    why = explain(inputs.network, inputs.config, firm, as_of=inputs.as_of)
    if fmt is not OutputFormat.table:
        parts = {
            "fragility_factors": why.fragility_factors,
            "criticality_factors": why.criticality_factors,
            "archetypes": why.archetypes,
            "spof": why.spof,
        }
        if fmt is OutputFormat.csv:
            import polars as pl

            factors = pl.concat(
                [
                    why.fragility_factors.with_columns(score_of=pl.lit("fragility")),
                    why.criticality_factors.with_columns(score_of=pl.lit("criticality")),
                ],
                how="diagonal_relaxed",
            )
            _print_frame(factors, fmt)
            return
        _write_json(
            {
                "firm_id": why.firm_id,
                "name": why.name,
                "facts": why.facts,
                "fragility": why.fragility,
                "fragility_level": why.fragility_level,
                "criticality": why.criticality,
                "criticality_level": why.criticality_level,
                "risk": why.risk,
                "risk_level": why.risk_level,
                "archetypes_tags": why.tags,
                **{name: frame.to_dicts() for name, frame in parts.items()},
                "data_age": dataclasses.asdict(why.data_age),
                "config_source": why.config_source,
            }
        )
        return
    out.print(f"{why.firm_id} {why.name}")
    facts = ", ".join(f"{k}={v}" for k, v in why.facts.items() if v is not None and k != "name")
    out.print(facts)
    out.print(
        f"fragility {_score(why.fragility)} (level {why.fragility_level}), criticality "
        f"{_score(why.criticality)} (level {why.criticality_level}), risk {_score(why.risk)} "
        f"({why.risk_level})"
    )
    out.print(rich_table(why.fragility_factors, title="Fragility: factor, value, weight, part"))
    out.print(rich_table(why.criticality_factors, title="Criticality: factor, value, weight, part"))
    if why.archetypes.height:
        out.print(rich_table(why.archetypes, title="Risk archetypes (US 2018) and evidence"))
    if why.spof.height:
        out.print(rich_table(why.spof, title="Programs it is a single point of failure for"))
    out.print(f"{why.data_age.describe()}; weights: {why.config_source}")


@risk_app.command("exposure")
@guarded
def risk_exposure(
    program: ProgramOption,
    concern: Annotated[
        list[str] | None,
        typer.Option(
            "--concern",
            help="A country of concern (ISO code); repeat for more. "
            "Default: the configuration's list.",
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Value and firms of PROGRAM's supply chain by tier and by country, and its dependence on
    countries of concern."""
    from kiban.risk.exposure import exposure

    inputs = _risk_inputs(db, config, as_of)
    countries = concern if concern else list(inputs.config.countries_of_concern)
    found = exposure(
        inputs.network,
        program,
        countries_of_concern=countries,
        home_country=inputs.config.home_country,
        as_of=inputs.as_of,
    )
    if fmt is OutputFormat.json:
        _write_json(
            {
                "program_id": found.program_id,
                "firms": found.firms,
                "supply_links": found.supply_links,
                "annual_value_jpy": found.annual_value_jpy,
                "foreign_value_jpy": found.foreign_value_jpy,
                "by_tier": found.by_tier.to_dicts(),
                "by_country": found.by_country.to_dicts(),
                "concern": {
                    "countries": list(found.concern.countries),
                    "firms": found.concern.firms,
                    "annual_value_jpy": found.concern.annual_value_jpy,
                    "value_share": found.concern.value_share,
                    "items_only_from_concern": found.concern.items_only_from_concern.to_dicts(),
                },
                "data_age": None if found.data_age is None else dataclasses.asdict(found.data_age),
            }
        )
        return
    if fmt is OutputFormat.csv:
        _print_frame(found.by_tier, fmt)
        return
    out.print(rich_table(found.by_tier, title=f"{program}: supply chain by tier"))
    out.print(rich_table(found.by_country, title=f"{program}: by country"))
    if countries:
        c = found.concern
        share = "n/a" if c.value_share is None else f"{c.value_share:.1%}"
        out.print(
            f"countries of concern {', '.join(c.countries)}: {c.firms:,} firms, "
            f"{share} of the chain's annual value; "
            f"{c.items_only_from_concern.height:,} items come only from them"
        )
    else:
        out.print("no countries of concern configured (--concern CC, or the configuration)")
    if found.data_age is not None:
        out.print(found.data_age.describe())


@risk_app.command("chokepoints")
@guarded
def risk_chokepoints(
    root: Annotated[str, typer.Argument(help="The firm whose supply base is examined.")],
    top: Annotated[int | None, typer.Option(help="Only the N largest.", min=1)] = 20,
    db: DbOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Firms every supply path into ROOT from some upstream firms runs through (dominators of
    the firm-level supplier graph), by how many upstream firms they cut off. For national
    inter-firm networks, which have no items."""
    from kiban.risk.dominators import chokepoints

    inputs = _risk_inputs(db, None, as_of)
    found = chokepoints(inputs.network, root, top=top)
    age = inputs.data_age()
    _print_result(found, fmt, f"Chokepoints of the supply base of {root}", age.describe())


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


# --- simulation: `kiban simulate` lives in kiban/cli_simulate.py, which registers itself on app -

import kiban.cli_econ  # noqa: E402  (after the helpers it imports from here)
import kiban.cli_ensemble  # noqa: E402
import kiban.cli_plan  # noqa: E402
import kiban.cli_simulate  # noqa: E402, F401

# --- the main job ----------------------------------------------------------------------------


@app.command()
@guarded
def demo(
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated programs.")] = 1,
) -> None:
    """Build the demo store from nothing (generated programs) and show what kiban sees."""
    from kiban.demo import run_demo

    run_demo(out, db, seed=seed)


def main(argv: Sequence[str] | None = None) -> Any:
    """Entry point of the `kiban` console script."""
    os.environ.setdefault("POLARS_FMT_STR_LEN", "80")
    return app(args=list(argv) if argv is not None else None)


if __name__ == "__main__":
    main()
