"""Facts: each reference table as a titled, readable table with its sources and caveats.

A *topic* names one reference file (`budget` is `defense_budget.csv`). `fact_table(topic)`
returns a `FactTable`: display columns already formatted for reading (units in the headers,
`~` before a figure the source gives as approximate), the typed rows behind them (`data`, for
JSON or CSV output), the distinct sources the rows cite (numbered; each display row points to
one with `src`) and the caveats that go with the figures. `kiban facts [TOPIC]` shows them.

Sources: `kiban/reference/data/README.md`. SIPRI figures are © SIPRI and must be cited as the
topic's notes say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from kiban.errors import ReferenceDataError
from kiban.reference.formatting import (
    format_fiscal_years,
    format_frac,
    format_jpy,
    format_money,
    format_number,
    format_range,
    format_value,
)
from kiban.reference.tables import CONFIDENCE_GRADES, DEFAULT_COUNTRY, load

Row = Mapping[str, Any]

CAVEAT = (
    "Figures were read from stored copies of public documents, often mirrors or news reports; "
    "re-check each against its primary source (MOD/ATLA, MOF, Board of Audit, Diet records, "
    "SIPRI) before official or published use."
)
READING_NOTES = (
    "~ marks a figure the source gives as approximate; ≥ and ≤ mark one-sided bounds "
    "(whether a bound is exclusive is in the row's note in the data).",
    "Where sources disagree each keeps its own row; nothing is averaged.",
    "conf: H = primary or official source quoted directly; M = secondary source or arithmetic "
    "on official figures; L = single unofficial source, OCR'd chart or unclear definition.",
)
SOURCE_SCHEMA = {
    "ref": pl.Int64(),
    "source_desc": pl.String(),
    "source_url": pl.String(),
    "confidence": pl.String(),
}


@dataclass(frozen=True)
class Topic:
    """A reference topic: `slug` (as typed on the command line) and the `file` it shows.

    `year_column` is the column `fact_table(..., fiscal_year=)` filters on (a Japanese fiscal
    year, or the year as SIPRI labels it for SIPRI tables); `year_end_column`, when set, ends
    a span, and a row matches a year inside its span. None: the topic has no year.
    """

    slug: str
    file: str
    title: str
    description: str
    year_column: str | None = None
    year_end_column: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class FactTable:
    """One topic's figures, ready to show.

    `table`: display columns, all strings, headers with units (`amount (JPY)`), one row per
    reference row, ending in `conf` (H/M/L) and `src` (`[n]`, the `ref` in `sources`).
    `data`: the same rows with their typed values and all source columns (yen as Int64 yen,
    fractions as Float64 in [0, 1]). `sources`: `ref`, `source_desc`, `source_url` and the
    `confidence` grades of the rows citing it. `notes`: caveats, the topic's first.
    """

    topic: str
    title: str
    description: str
    file: str
    table: pl.DataFrame
    data: pl.DataFrame
    sources: pl.DataFrame
    notes: tuple[str, ...]
    fiscal_year: int | None = None


@dataclass(frozen=True)
class _Column:
    header: str
    render: Callable[[Row], str]


# Display column builders. `main=True` marks the row's main value, the one `approx` refers to.


def _text(column: str, header: str | None = None) -> _Column:
    return _Column(header or column.replace("_", " "), lambda row: str(row[column] or ""))


def _approx(row: Row, text: str) -> str:
    if not (text and row.get("approx")):
        return text
    bound, value = (text[:2], text[2:]) if text[:2] in ("≤ ", "≥ ") else ("", text)
    return f"{bound}~{value}"


def _figure(
    column: str, header: str, formatted: Callable[[Any], str], main: bool = False
) -> _Column:
    """`column` through `formatted`; marked `~` when it is the row's approximate main value."""

    def render(row: Row) -> str:
        text = formatted(row[column])
        return _approx(row, text) if main else text

    return _Column(header, render)


def _jpy(column: str, header: str, main: bool = False) -> _Column:
    return _figure(column, f"{header} (JPY)", format_jpy, main)


def _frac(column: str, header: str, main: bool = False) -> _Column:
    return _figure(column, header, format_frac, main)


def _count(column: str, header: str) -> _Column:
    return _figure(column, header, format_number)


def _pct(column: str, header: str) -> _Column:
    """A column SIPRI publishes as a percentage already (0..100)."""
    return _Column(
        header, lambda row: f"{format_number(row[column])}%" if row[column] is not None else ""
    )


def _usd_m(column: str, header: str, main: bool = False) -> _Column:
    return _figure(column, f"{header} (US$ m)", format_number, main)


def _years(start: str, end: str | None = None, header: str = "FY") -> _Column:
    return _Column(header, lambda row: format_fiscal_years(row[start], row[end] if end else None))


def _range(low: str, high: str, unit: str | None, header: str = "value") -> _Column:
    """`unit` is a unit (`frac`) or, prefixed with `@`, the column holding each row's unit."""

    def render(row: Row) -> str:
        row_unit = row[unit[1:]] if unit and unit.startswith("@") else unit
        return _approx(row, format_range(row[low], row[high], row_unit))

    return _Column(header, render)


def _value(column: str, unit_column: str, header: str = "value") -> _Column:
    return _Column(header, lambda row: _approx(row, format_value(row[column], row[unit_column])))


def _flag(column: str, header: str) -> _Column:
    return _Column(header, lambda row: {True: "yes", False: "no"}.get(row[column], ""))


def _withdrawn_firms(row: Row) -> str:
    count = format_number(row["firms_count"])
    qualifier = {"more_than": "> ", "at_least": "≥ ", "about": "~"}.get(
        row["count_qualifier"] or "", ""
    )
    return f"{qualifier}{count}" if count else ""


def _export_value(row: Row) -> str:
    amount = format_money(row["value_amount"])
    return _approx(row, f"{row['value_currency']} {amount}") if amount else ""


_SIPRI_TOP100 = (
    'SIPRI data © SIPRI: cite as "SIPRI Arms Industry Database" with the edition; check '
    "SIPRI's terms of use before redistributing."
)
_SIPRI_MILEX = (
    'SIPRI data © SIPRI: cite as "SIPRI Military Expenditure Database" with the edition; check '
    "SIPRI's terms of use before redistributing."
)
_SIPRI_TRANSFERS = (
    'SIPRI data © SIPRI: cite as "SIPRI Arms Transfers Database" with the retrieval date; '
    "check SIPRI's terms of use before redistributing."
)


@dataclass(frozen=True)
class _Spec:
    topic: Topic
    columns: tuple[_Column, ...]


_SPECS: tuple[_Spec, ...] = (
    _Spec(
        Topic(
            "budget",
            "defense_budget",
            "Defense budget (防衛関係費), initial, FY2011–FY2026",
            "Japan's initial defense budget on both bases: excluding SACO and the local-burden "
            "part of US-forces realignment (the buildup-plan base), and the total.",
            "fiscal_year",
            notes=(
                "excl. realignment = buildup-plan base: excludes SACO and the local-burden part "
                "of US-forces realignment (FY2014–18 also the government aircraft, FY2019–20 the "
                "national-resilience measures; from FY2023 called 防衛力整備計画対象経費).",
                "incl. total = all 防衛関係費, including Digital Agency transfers from FY2021; "
                "the press figure '5.4 trillion yen' for FY2022 is this basis.",
                "FY2026 is the Cabinet proposal of 2025-12-26, not the enacted budget.",
            ),
        ),
        (
            _years("fiscal_year"),
            _jpy("excl_realignment_jpy", "excl. realignment"),
            _jpy("incl_total_jpy", "incl. total"),
            _text("status"),
        ),
    ),
    _Spec(
        Topic(
            "milex",
            "sipri_milex_japan",
            "SIPRI military expenditure, Japan",
            "SIPRI's figures for Japan, 2012–2024 (2024 edition) and 2021–2023 (2023 edition).",
            "year",
            notes=(
                "SIPRI includes SACO, realignment and supplementary budgets: not the initial "
                "budget. Use one edition consistently; `year` is SIPRI's label.",
                _SIPRI_MILEX,
            ),
        ),
        (
            _text("year"),
            _text("edition"),
            _jpy("local_currency_fy_jpy", "local currency"),
            _usd_m("current_usd_m", "current"),
            _pct("share_of_gdp_pct", "share of GDP"),
        ),
    ),
    _Spec(
        Topic(
            "buildup",
            "buildup_plan",
            "Defense Buildup Program FY2023–27",
            "The five-year plan's totals (about ¥43 tn), its split, the previous plans and the "
            "share of the contract ceiling used so far.",
            "fiscal_year_from",
            "fiscal_year_to",
        ),
        (
            _text("description"),
            _years("fiscal_year_from", "fiscal_year_to"),
            _jpy("amount_jpy", "amount", main=True),
            _frac("share_frac", "share", main=True),
            _text("basis"),
        ),
    ),
    _Spec(
        Topic(
            "fms",
            "fms",
            "Foreign Military Sales (FMS) purchases",
            "FMS by fiscal year and basis: initial budget, budget request, central procurement, "
            "Board of Audit and ATLA actual contracts.",
            "fiscal_year",
            "fiscal_year_end",
            notes=(
                "Do not mix bases in one series: initial budget, request, central procurement "
                "and audit figures measure different things.",
                "Rows spanning several years (FY2018–2023) are cumulative Board of Audit "
                "figures; scope names the F-35 and E-2D parts.",
            ),
        ),
        (
            _years("fiscal_year", "fiscal_year_end"),
            _text("scope"),
            _jpy("amount_jpy", "amount", main=True),
            _text("basis"),
            _text("reported_via", "reported via"),
            _count("contracts", "contracts"),
            _frac("share_frac", "share"),
        ),
    ),
    _Spec(
        Topic(
            "procurement-mix",
            "procurement_mix",
            "Domestic, import and FMS shares of procurement",
            "Shares of domestic, general-import and FMS procurement and related ratios.",
            "fiscal_year",
            notes=("Each metric has its own basis; compare rows of one metric only.",),
        ),
        (
            _years("fiscal_year"),
            _text("metric"),
            _text("category"),
            _jpy("amount_jpy", "amount", main=True),
            _frac("share_frac", "share", main=True),
            _text("basis"),
        ),
    ),
    _Spec(
        Topic(
            "contractors",
            "top_contractors",
            "Top contractors of central procurement (中央調達)",
            "ATLA central-procurement rankings, FY2012–FY2024, as reported.",
            "fiscal_year",
            notes=(
                "Rank is blank where the US Government (FMS) was not ranked (ATLA's top-20 lists "
                "excluded it up to FY2019) or where the rank is unknown.",
            ),
        ),
        (
            _years("fiscal_year"),
            _count("rank", "rank"),
            _text("contractor"),
            _jpy("amount_jpy", "amount", main=True),
            _count("contracts", "contracts"),
            _frac("share_of_total_frac", "share of total"),
            _text("reported_via", "reported via"),
        ),
    ),
    _Spec(
        Topic(
            "central-procurement",
            "central_procurement_totals",
            "Central-procurement totals",
            "Total value of ATLA central procurement, FY2014–2021 where known.",
            "fiscal_year",
        ),
        (
            _years("fiscal_year"),
            _jpy("total_jpy", "total", main=True),
            _text("reported_via", "reported via"),
        ),
    ),
    _Spec(
        Topic(
            "sipri",
            "sipri_top100_japan",
            "Japanese companies in the SIPRI Top 100",
            "Arms revenue of Japanese firms in the SIPRI Top 100 arms producers, 2002–2024.",
            "year",
            notes=(
                "2024 comes from press reports of the December 2025 release; MHI's revised 2022 "
                "value is a separate row (edition).",
                _SIPRI_TOP100,
            ),
        ),
        (
            _text("year"),
            _count("rank", "rank"),
            _text("company"),
            _usd_m("arms_revenue_usd_m", "arms revenue", main=True),
            _usd_m("total_revenue_usd_m", "total revenue"),
            _pct("arms_share_pct", "arms share"),
            _pct("arms_revenue_yoy_change_pct", "y/y change"),
            _text("edition"),
        ),
    ),
    _Spec(
        Topic(
            "imports",
            "sipri_arms_imports_japan",
            "SIPRI arms imports by Japan",
            "SIPRI trend-indicator values (TIV) of arms imports, 2010–2023, the 1950–2023 total "
            "and world share, and trade-register orders since 2011 by supplier.",
            "year_from",
            "year_to",
            notes=(
                "TIV measures the volume of transfers, not their price; do not read it as money.",
                _SIPRI_TRANSFERS,
            ),
        ),
        (
            _text("metric"),
            _Column("years", lambda row: _year_span(row["year_from"], row["year_to"])),
            _text("supplier_country", "supplier"),
            _value("value", "unit"),
        ),
    ),
    _Spec(
        Topic(
            "program-suppliers",
            "program_supplier_counts",
            "Firms involved per program",
            "Approximate number of firms involved in one defense program, every variant kept.",
            notes=("Counts differ by source and wording; every variant is kept as reported.",),
        ),
        (
            _text("program"),
            _text("program_detail", "detail"),
            _count("firms_approx", "firms (approx.)"),
            _text("year_or_basis", "basis"),
            _text("survey_year", "survey year"),
        ),
    ),
    _Spec(
        Topic(
            "withdrawals",
            "withdrawals",
            "Withdrawals from defense business",
            "Companies that left defense work, and the ministry's count of more than 100 firms "
            "since 2003.",
            "year",
        ),
        (
            _text("company"),
            _text("business_exited", "business exited"),
            _text("year"),
            _text("year_detail", "detail"),
            _Column("firms", _withdrawn_firms),
        ),
    ),
    _Spec(
        Topic(
            "support",
            "industrial_base_support",
            "Budget support for the defense industrial base",
            "Budget lines for the industrial base, FY2021–FY2026: industry measures, support "
            "under the 2023 Act, the export-adaptation fund and certified plans.",
            "fiscal_year",
            notes=(
                "The 'about ¥2.2 bn for FY2022' claim is unverified (L); the White Paper gives "
                "¥3.2 bn (+¥2.3 bn y/y).",
                "status says whether a line is a budget, a request, a proposal or an estimate; "
                "FY2026 mappings are inferred.",
            ),
        ),
        (
            _years("fiscal_year"),
            _text("item"),
            _text("item_ja", "item (ja)"),
            _jpy("amount_jpy", "amount", main=True),
            _text("status"),
        ),
    ),
    _Spec(
        Topic(
            "profit-rates",
            "profit_rates",
            "Profit rates on cost-plus contracts",
            "The profit rate (P-rate) before the FY2023 reform (8% standard, about 2% realised "
            "per industry) and after (up to 10% QCD evaluation + 5% cost fluctuation).",
            "fiscal_year",
        ),
        (
            _text("regime"),
            _text("component"),
            _years("fiscal_year"),
            _range("rate_min_frac", "rate_max_frac", "frac", "rate"),
        ),
    ),
    _Spec(
        Topic(
            "dependence",
            "defense_dependence",
            "Dependence of firms on defense",
            "Defense share of sales, industry surveys, firms dealing directly with the ministry, "
            "market size and company shares.",
            "year",
            notes=("The 73-company survey is known only from a mirror of Defense of Japan 2020.",),
        ),
        (
            _text("metric"),
            _text("scope"),
            _range("value_min", "value_max", "@unit"),
            _text("year_or_basis", "basis"),
            _text("year"),
        ),
    ),
    _Spec(
        Topic(
            "exports",
            "exports",
            "Exports and transfers of defense equipment",
            "Notable transfers and decisions: radars to the Philippines, TC-90 aircraft, Patriot "
            "interceptors to the US, Mogami-class frigates for Australia, GCAP.",
            notes=(
                "Dates have the precision in date_precision (day, month, year, fiscal year).",
                "Rows whose source is the SIPRI trade register: " + _SIPRI_TRANSFERS,
            ),
        ),
        (
            _text("date"),
            _text("partner_country", "partner"),
            _text("event_type", "event"),
            _text("supplier"),
            _text("item"),
            _count("quantity", "quantity"),
            _Column("value", _export_value),
        ),
    ),
    _Spec(
        Topic(
            "transfer-rules",
            "transfer_rules",
            "Rules on the transfer of defense equipment",
            "The 2014 Three Principles and their five permitted categories, the 2023 and 2024 "
            "revisions and the 2025 proposal to abolish the categories.",
        ),
        (
            _text("date"),
            _text("rule_id", "rule"),
            _text("event"),
            _text("category"),
            _text("description"),
            _text("status"),
        ),
    ),
    _Spec(
        Topic(
            "learning-curves",
            "learning_curves",
            "Learning curves",
            "Typical learning-curve slopes by domain and program learning rates.",
            notes=(
                "A slope is the cost remaining per doubling of output (85%); a learning rate or "
                "cost reduction is the cost removed (9%). Values are as the sources state them, "
                "not converted.",
                "No learning rate for munitions or missiles was found.",
            ),
        ),
        (
            _text("domain"),
            _text("program"),
            _text("measure"),
            _range("value_min_frac", "value_max_frac", "frac"),
            _text("curve_type", "curve type"),
        ),
    ),
    _Spec(
        Topic(
            "cost-escalation",
            "unit_cost_escalation",
            "Unit-cost escalation between equipment generations",
            "Growth in real unit cost per year between generations of equipment.",
            notes=("The US series comes from an OCR-garbled source and is graded L.",),
        ),
        (
            _text("country"),
            _text("equipment"),
            _frac("real_unit_cost_growth_per_year_frac", "real growth per year", main=True),
        ),
    ),
    _Spec(
        Topic(
            "cost-premiums",
            "cost_premiums",
            "Cost premiums of domestic and licence production",
            "F-35A final assembly in Japan against import, and licence-built machine guns "
            "against foreign prices.",
            "fiscal_year",
            "fiscal_year_end",
        ),
        (
            _text("item"),
            _text("maker"),
            _years("fiscal_year", "fiscal_year_end"),
            _text("metric"),
            _range("value_min", "value_max", "@unit"),
            _text("comparator"),
        ),
    ),
    _Spec(
        Topic(
            "act",
            "act_2023",
            "Act on Enhancing Defense Production and Technology Bases (2023)",
            "The mechanisms of Act No. 54 of 2023: subsidies, surveys, the export-adaptation "
            "fund, secrecy and state acquisition of facilities.",
            notes=(
                "in force is the Act's general commencement date (2023-10-01); the dates of "
                "its exceptions were not identified.",
            ),
        ),
        (
            _text("mechanism"),
            _text("article"),
            _text("name_ja", "name (ja)"),
            _text("description"),
            _text("in_force_date", "in force"),
            _Column("key date", lambda row: _dated_event(row["key_date"], row["key_date_event"])),
            _value("value", "unit"),
        ),
    ),
    _Spec(
        Topic(
            "categories",
            "designated_equipment_categories",
            "Designated-equipment categories",
            "The 12 categories of designated equipment under the 2023 Act.",
            notes=("The name of the 12th category was not found (captured = no).",),
        ),
        (
            _count("list_order", "#"),
            _text("category_en", "category"),
            _flag("captured", "captured"),
        ),
    ),
    _Spec(
        Topic(
            "network-stats",
            "production_network_stats",
            "Statistics of Japan's inter-firm network",
            "Size, degree distribution, distances and churn of the national inter-firm network, "
            "to calibrate the synthetic generator; Hungarian comparators included.",
        ),
        (
            _text("country"),
            _text("network"),
            _text("statistic"),
            _range("value_min", "value_max", "@unit"),
        ),
    ),
    _Spec(
        Topic(
            "shocks",
            "shock_results",
            "Published results of supply-chain shocks",
            "Quantitative results of shock studies, to validate simulations against.",
        ),
        (
            _text("study"),
            _text("country"),
            _text("shock"),
            _text("metric"),
            _value("value", "unit"),
            _text("model"),
            _count("network_firms", "network firms"),
        ),
    ),
)

_BY_SLUG: dict[str, _Spec] = {spec.topic.slug: spec for spec in _SPECS}
_BY_KEY: dict[str, _Spec] = {
    **{spec.topic.file.replace("_", "-"): spec for spec in _SPECS},
    **{spec.topic.slug: spec for spec in _SPECS},
}


def topics() -> list[Topic]:
    """Every fact topic, in the order `kiban facts` lists them."""
    return [spec.topic for spec in _SPECS]


def find_topic(name: str) -> Topic:
    """The topic named by its slug or its file name (`budget`, `defense_budget`).

    >>> find_topic("defense_budget").slug
    'budget'
    """
    return _spec(name).topic


def fact_table(
    topic: str, fiscal_year: int | None = None, country: str = DEFAULT_COUNTRY
) -> FactTable:
    """The figures of `topic` (a slug or a file name), optionally of one year only.

    `fiscal_year` keeps the rows of that year (rows spanning years: those whose span contains
    it); it is a Japanese fiscal year, or the year as SIPRI labels it for SIPRI topics. Raises
    `ReferenceDataError` for an unknown topic, a topic without years, or a year without rows.

    >>> budget = fact_table("budget", fiscal_year=2022)
    >>> budget.table["incl. total (JPY)"].item(), budget.data["incl_total_jpy"].item()
    ('5.40 tn', 5400500000000)
    """
    spec = _spec(topic)
    data = load(spec.topic.file, country)
    if fiscal_year is not None:
        data = _of_year(data, spec.topic, fiscal_year)
    sources = _sources(data)
    refs = {(s["source_desc"], s["source_url"]): s["ref"] for s in sources.iter_rows(named=True)}
    rows = list(data.iter_rows(named=True))
    display = {column.header: [column.render(row) for row in rows] for column in spec.columns}
    display["conf"] = [row["confidence"] for row in rows]
    display["src"] = [f"[{refs[(row['source_desc'], row['source_url'])]}]" for row in rows]
    table = pl.DataFrame(display, schema=dict.fromkeys(display, pl.String()))
    return FactTable(
        topic=spec.topic.slug,
        title=spec.topic.title,
        description=spec.topic.description,
        file=spec.topic.file,
        table=table,
        data=data,
        sources=sources,
        notes=(*spec.topic.notes, CAVEAT, *READING_NOTES),
        fiscal_year=fiscal_year,
    )


def _spec(name: str) -> _Spec:
    key = name.strip().lower().removesuffix(".csv").replace("_", "-")
    if key not in _BY_KEY:
        raise ReferenceDataError(
            f"no fact topic {name!r}; topics: {', '.join(_BY_SLUG)} "
            "(file names such as defense_budget work too)"
        )
    return _BY_KEY[key]


def _of_year(data: pl.DataFrame, topic: Topic, year: int) -> pl.DataFrame:
    if topic.year_column is None:
        raise ReferenceDataError(
            f"topic {topic.slug!r} has no fiscal year to filter by; show it without one"
        )
    start = pl.col(topic.year_column)
    end = pl.col(topic.year_end_column) if topic.year_end_column else start
    rows = data.filter((start <= year) & (end.fill_null(start) >= year))
    if rows.is_empty():
        years = data[topic.year_column].drop_nulls().unique().sort().to_list()
        raise ReferenceDataError(
            f"topic {topic.slug!r} has no rows for {year}; its years: "
            f"{', '.join(str(y) for y in years)}"
        )
    return rows


def _sources(data: pl.DataFrame) -> pl.DataFrame:
    """Distinct (source_desc, source_url) in order of first use, numbered, with their grades."""
    order = {grade: i for i, grade in enumerate(CONFIDENCE_GRADES)}
    grades: dict[tuple[str, str], set[str]] = {}
    for desc, url, grade in data.select("source_desc", "source_url", "confidence").iter_rows():
        grades.setdefault((desc, url), set()).add(grade)
    return pl.DataFrame(
        [
            (ref, desc, url, "/".join(sorted(found, key=order.__getitem__)))
            for ref, ((desc, url), found) in enumerate(grades.items(), start=1)
        ],
        schema=SOURCE_SCHEMA,
        orient="row",
    )


def _year_span(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    return str(start) if end in (None, start) else f"{start}–{end}"


def _dated_event(date: str | None, event: str | None) -> str:
    return ": ".join(part for part in (date, event) if part)
