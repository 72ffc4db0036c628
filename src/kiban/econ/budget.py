"""The budget picture: figures derived from Japan's public defense-budget data, with sources.

`kiban.reference.fact_table` shows each reference file as it is; this module computes what the
files imply, one *topic* at a time (`BUDGET_TOPICS`):

- ``budget``: the initial defense budget by fiscal year on both bases and its y/y change;
- ``fms``: purchases through US Foreign Military Sales by basis, their share of the defense
  budget and of the denominator the source names;
- ``domestic``: domestic, general-import and FMS shares of procurement;
- ``concentration``: the shares of the top central-procurement contractors, top-1/3/5 shares
  and bounds on the Herfindahl-Hirschman index;
- ``sipri``: the arms share of revenue of the Japanese firms in the SIPRI Top 100, with the
  White Papers' average defense share of sales as context;
- ``support``: the money set aside for the industrial base year by year, against the FY2022
  earmark of about 2.2 billion yen.

`budget_picture(topic)` returns a `BudgetFigure`: a title, a typed table and caveats. Every
table has units in its column names (`*_jpy` yen, `*_frac` a fraction, where a change may be
negative, `*_usd_m` US$ million) and ends with the same five columns:

- ``method``: what was computed for the row, in words;
- ``note``: the note of the reference row the figure comes from;
- ``source_desc``, ``source_url``: the sources of every reference row the row's figures were
  computed from, distinct ones joined by " ; ";
- ``confidence``: the lowest grade (H > M > L) of those rows.

Nothing is averaged across sources and no source is chosen silently: where several rows give
the same figure, each keeps its own row, or the rule that picks one is in the topic's notes.

Sources: the reference files of `kiban/reference/data/japan/` (their README gives the
conventions and grades); each row names its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import polars as pl

from kiban.errors import EconError
from kiban.reference import CONFIDENCE_GRADES, load
from kiban.reference.facts import CAVEAT

Row = dict[str, Any]

SOURCE_JOIN = " ; "
"""Separator of several sources in one cell (as in the reference files' `source_url_alt`)."""

FMS_CONTRACTOR = "US Government (FMS)"
"""How `top_contractors.csv` names the US Government, the seller in FMS purchases."""

FY2022_EARMARK_ITEM = "supply_chain_industry_measures_claimed"
"""The row of `industrial_base_support.csv` holding the unverified FY2022 ~2.2 bn earmark."""

FY2022_WHITE_PAPER_ITEM = "industry_directed_measures"
"""The White Paper's FY2022 industry-directed measures (3.2 bn), the verified FY2022 figure."""

SUPPORT_ITEMS = (
    "industry_directed_measures",
    "act_support_measures",
    "production_base_structure_project",
    "production_base_inferred",
)
"""The items that count as a year's support budget, in order of preference (see
`industrial_base_support`)."""

_TAIL: dict[str, pl.DataType] = {
    "method": pl.String(),
    "note": pl.String(),
    "source_desc": pl.String(),
    "source_url": pl.String(),
    "confidence": pl.String(),
}


@dataclass(frozen=True, eq=False)
class BudgetFigure:
    """One topic of the budget picture.

    `table`: typed columns with units in their names, ending in ``method``, ``note``,
    ``source_desc``, ``source_url`` and ``confidence`` (see the module docstring). `notes`:
    caveats in plain words, the shared reference-data caveat last.
    """

    topic: str
    title: str
    table: pl.DataFrame
    notes: tuple[str, ...]


class Earmark(NamedTuple):
    """An amount set aside for the industrial base, to mark on a budget curve."""

    fiscal_year: int
    amount_jpy: int
    label: str
    status: str
    source_url: str


# --- helpers ----------------------------------------------------------------------------------


def _joined(values: Iterable[str | None]) -> str:
    """The distinct non-empty `values`, in order, joined by `SOURCE_JOIN`."""
    return SOURCE_JOIN.join(dict.fromkeys(v for v in values if v))


def _lowest_grade(grades: Iterable[str]) -> str:
    return max(grades, key=CONFIDENCE_GRADES.index)


def _cited(rows: Sequence[Row | None]) -> Row:
    """The source columns of a figure computed from `rows` (None entries are skipped): every
    distinct source, and the lowest confidence, since a result is no surer than its weakest
    input."""
    used = [row for row in rows if row is not None]
    return {
        "source_desc": _joined(row["source_desc"] for row in used),
        "source_url": _joined(row["source_url"] for row in used),
        "confidence": _lowest_grade(row["confidence"] for row in used),
    }


def _frame(rows: Sequence[Row], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """`rows` as a frame of `schema` plus the source tail; a key a row lacks is null."""
    full = {**schema, **_TAIL}
    return pl.DataFrame({name: [row.get(name) for row in rows] for name in full}, schema=full)


def _rows(name: str) -> list[Row]:
    return list(load(name).iter_rows(named=True))


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _notes(*notes: str) -> tuple[str, ...]:
    return (*notes, CAVEAT)


# --- budget -----------------------------------------------------------------------------------


def defense_budget() -> BudgetFigure:
    """The initial defense budget by fiscal year on both bases, with its y/y change.

    Columns: ``fiscal_year``, ``status`` (enacted, or the FY2026 Cabinet proposal),
    ``excl_realignment_jpy`` (the buildup-plan base: without SACO and the local-burden part of
    the US-forces realignment), ``incl_total_jpy`` (the total), and ``excl_yoy_change_frac``,
    ``incl_yoy_change_frac``: this year over the previous one, minus 1, on each basis (None
    for the first year). A change row cites both years' sources.

    Source: `defense_budget.csv` (MOD White Papers and MOF budget material).

    >>> budget = defense_budget().table.filter(fiscal_year=2023)
    >>> round(budget["excl_yoy_change_frac"].item(), 3)
    0.274
    """
    by_year = {row["fiscal_year"]: row for row in _rows("defense_budget")}
    rows = []
    for year in sorted(by_year):
        row, prior = by_year[year], by_year.get(year - 1)
        rows.append(
            {
                "fiscal_year": year,
                "status": row["status"],
                "excl_realignment_jpy": row["excl_realignment_jpy"],
                "incl_total_jpy": row["incl_total_jpy"],
                "excl_yoy_change_frac": _change(row, prior, "excl_realignment_jpy"),
                "incl_yoy_change_frac": _change(row, prior, "incl_total_jpy"),
                "method": (
                    f"y/y change = FY{year} / FY{year - 1} - 1 on each basis"
                    if prior
                    else "amounts as stated; no earlier year for a y/y change"
                ),
                "note": row["note"],
                **_cited([row, prior]),
            }
        )
    schema: dict[str, pl.DataType] = {
        "fiscal_year": pl.Int64(),
        "status": pl.String(),
        "excl_realignment_jpy": pl.Int64(),
        "incl_total_jpy": pl.Int64(),
        "excl_yoy_change_frac": pl.Float64(),
        "incl_yoy_change_frac": pl.Float64(),
    }
    return BudgetFigure(
        topic="budget",
        title="Defense budget (initial) by fiscal year, both bases, with y/y change",
        table=_frame(rows, schema),
        notes=_notes(
            "excl. basis = the buildup-plan base, without SACO and the local-burden part of the "
            "US-forces realignment; FY2014-18 it also leaves out the government aircraft and "
            "FY2019-20 the national-resilience measures, so the y/y changes into FY2014, FY2019 "
            "and FY2021 compare slightly different definitions.",
            "incl. basis = the whole 防衛関係費, including Digital Agency transfers from FY2021.",
            "FY2023 is the first year of the FY2023-27 Defense Buildup Program (+27.4% excl.).",
            "FY2014 was derived from FY2015 and its y/y deltas (graded M); FY2026 is the "
            "Cabinet proposal, not the enacted budget.",
            "Initial budgets only: supplementary budgets are not included.",
        ),
    )


def _change(row: Row, prior: Row | None, column: str) -> float | None:
    if prior is None or row[column] is None or not prior[column]:
        return None
    return float(row[column] / prior[column] - 1)


# --- FMS --------------------------------------------------------------------------------------

PREFERRED_FMS_BASIS = "initial_budget"
"""The FMS basis flagged `preferred` for a single series: the initial budget (FY2013-24 from
one Cabinet answer to the Diet, graded H; FY2025 a Kyodo report, graded L)."""


def fms_purchases() -> BudgetFigure:
    """FMS purchases by fiscal year and basis, with their shares.

    One row per row of `fms.csv`; bases and reporters stay apart (``basis``, ``reported_via``)
    and ``preferred`` flags the `PREFERRED_FMS_BASIS` series. Columns besides those of the
    file: ``budget_excl_jpy`` and ``share_of_budget_frac`` = ``amount_jpy`` / the defense
    budget (excl. basis) of the same fiscal year; ``share_frac`` = the share as the source
    states it, or, where it states none, ``amount_jpy`` / ``denominator_jpy``, the total of
    the denominator the basis implies (``share_denominator``: the central-procurement total
    of `central_procurement_totals.csv` for ``central_procurement``; the Board of Audit's
    statistical-basis total of `procurement_mix.csv` for ``board_of_audit_statistical``);
    ``share_computed`` says which. Cumulative rows (FY2018-23) get no shares.

    Sources: `fms.csv`, `defense_budget.csv`, `central_procurement_totals.csv`,
    `procurement_mix.csv`.

    >>> fms = fms_purchases().table.filter(fiscal_year=2017, basis="board_of_audit_statistical")
    >>> fms["share_frac"].item(), fms["share_computed"].item()
    (0.159, False)
    """
    budget = {row["fiscal_year"]: row for row in _rows("defense_budget")}
    denominators = _fms_denominators()
    rows = []
    for row in _rows("fms"):
        year, basis = row["fiscal_year"], row["basis"]
        single_year = year == row["fiscal_year_end"]
        budget_row = budget.get(year) if single_year else None
        denominator = denominators.get((basis, year)) if single_year else None
        total_row = denominator[1] if denominator else None
        total_jpy = total_row["total_jpy"] if total_row else None
        computed = _ratio(row["amount_jpy"], total_jpy) if row["share_frac"] is None else None
        rows.append(
            {
                **{k: row[k] for k in ("fiscal_year", "fiscal_year_end", "scope", "basis")},
                "reported_via": row["reported_via"],
                "preferred": basis == PREFERRED_FMS_BASIS and single_year,
                "amount_jpy": row["amount_jpy"],
                "approx": row["approx"],
                "budget_excl_jpy": budget_row["excl_realignment_jpy"] if budget_row else None,
                "share_of_budget_frac": _ratio(
                    row["amount_jpy"], budget_row["excl_realignment_jpy"] if budget_row else None
                ),
                "share_frac": row["share_frac"] if row["share_frac"] is not None else computed,
                "share_computed": computed is not None,
                "share_denominator": row["share_denominator"]
                or (denominator[0] if denominator else None),
                "denominator_jpy": total_jpy,
                "method": _fms_method(row, single_year, budget_row, computed),
                "note": row["note"],
                **_cited([row, budget_row, total_row]),
            }
        )
    schema: dict[str, pl.DataType] = {
        "fiscal_year": pl.Int64(),
        "fiscal_year_end": pl.Int64(),
        "scope": pl.String(),
        "basis": pl.String(),
        "reported_via": pl.String(),
        "preferred": pl.Boolean(),
        "amount_jpy": pl.Int64(),
        "approx": pl.Boolean(),
        "budget_excl_jpy": pl.Int64(),
        "share_of_budget_frac": pl.Float64(),
        "share_frac": pl.Float64(),
        "share_computed": pl.Boolean(),
        "share_denominator": pl.String(),
        "denominator_jpy": pl.Int64(),
    }
    table = _frame(rows, schema).sort(
        "fiscal_year",
        "fiscal_year_end",
        "preferred",
        "basis",
        descending=[False, False, True, False],
    )
    return BudgetFigure(
        topic="fms",
        title="Purchases through US Foreign Military Sales (FMS), by basis, with shares",
        table=table,
        notes=_notes(
            "Each basis is its own series; do not mix them. `preferred` marks the initial-budget "
            "series (FY2013-24 from one Cabinet answer to the Diet, H; FY2025 Kyodo, L); FY2012 "
            "'initial_budget_derived' is inferred from a Nikkei ratio (L) and not flagged.",
            "share_of_budget_frac sets FMS (mostly contract amounts) against the initial defense "
            "budget (excl. basis, spending): it measures scale, it is not a slice of that year's "
            "budget.",
            "share_frac is the source's own share where it gives one (with its denominator), "
            "otherwise computed from the denominator's total (share_computed = true). Whether "
            "the central-procurement totals include FMS is not stated; the FY2018 and FY2019 "
            "reported shares (27.8%, 37.6%) equal FMS divided by them.",
            "Rows spanning several years (Board of Audit, FY2018-2023 cumulative; F-35 and E-2D "
            "parts in `scope`) are shown as stated, without shares.",
        ),
    )


def _fms_denominators() -> dict[tuple[str, int], tuple[str, Row]]:
    """(basis, fiscal year) -> (the denominator's name, the reference row of its total)."""
    denominators: dict[tuple[str, int], tuple[str, Row]] = {}
    for row in _rows("central_procurement_totals"):
        denominators[("central_procurement", row["fiscal_year"])] = ("central procurement", row)
    for row in _rows("procurement_mix"):
        if row["metric"] == "equipment_procurement_statistical_basis" and row["category"] == (
            "total"
        ):
            denominators[("board_of_audit_statistical", row["fiscal_year"])] = (
                "all equipment procurement (statistical-directive basis)",
                {**row, "total_jpy": row["amount_jpy"]},
            )
    return denominators


def _fms_method(row: Row, single_year: bool, budget_row: Row | None, computed: float | None) -> str:
    if not single_year:
        return f"cumulative FY{row['fiscal_year']}-{row['fiscal_year_end']} as stated; no shares"
    parts = ["amount as stated"]
    if budget_row:
        parts.append("share_of_budget = amount / defense budget (excl.) of the same FY")
    if row["share_frac"] is not None:
        parts.append("share as stated by the source")
    elif computed is not None:
        parts.append("share = amount / denominator total (computed)")
    return "; ".join(parts)


# --- domestic share ---------------------------------------------------------------------------


def domestic_share() -> BudgetFigure:
    """Domestic, import and FMS shares of procurement, by fiscal year and metric.

    One row per non-total row of `procurement_mix.csv`. ``share_frac`` is the share the source
    states or, where it gives amounts only, ``amount_jpy`` / ``total_jpy`` (the total row of
    the same fiscal year and metric); ``share_computed`` says which. The metrics measure
    different things (see the notes); compare shares within one metric only.

    Source: `procurement_mix.csv` (Board of Audit; MOF Fiscal System Council material;
    Mainichi; the Defense Minister's material of 2022-11-02).

    >>> mix = domestic_share().table.filter(fiscal_year=2017, category="general_import")
    >>> round(mix["share_frac"].item(), 4), mix["share_computed"].item()
    (0.0685, True)
    """
    rows = _rows("procurement_mix")
    totals = {(r["fiscal_year"], r["metric"]): r for r in rows if r["category"] == "total"}
    figures = []
    for row in rows:
        if row["category"] == "total":
            continue  # a denominator: shown as total_jpy on the rows it divides
        total = totals.get((row["fiscal_year"], row["metric"]))
        total_jpy = total["amount_jpy"] if total else None
        computed = _ratio(row["amount_jpy"], total_jpy) if row["share_frac"] is None else None
        if row["share_frac"] is not None:
            method = "share as stated by the source"
        elif computed is not None:
            method = "share = amount / total of the same FY and metric (computed)"
        else:
            method = "amount only: the source gives no total, so no share"
        figures.append(
            {
                **{k: row[k] for k in ("fiscal_year", "metric", "category", "basis")},
                "amount_jpy": row["amount_jpy"],
                "total_jpy": total_jpy,
                "share_frac": row["share_frac"] if row["share_frac"] is not None else computed,
                "share_computed": computed is not None,
                "approx": row["approx"],
                "method": method,
                "note": row["note"],
                **_cited([row, total]),
            }
        )
    schema: dict[str, pl.DataType] = {
        "fiscal_year": pl.Int64(),
        "metric": pl.String(),
        "category": pl.String(),
        "basis": pl.String(),
        "amount_jpy": pl.Int64(),
        "total_jpy": pl.Int64(),
        "share_frac": pl.Float64(),
        "share_computed": pl.Boolean(),
        "approx": pl.Boolean(),
    }
    table = _frame(figures, schema).sort("metric", "fiscal_year", "category", nulls_last=True)
    return BudgetFigure(
        topic="domestic",
        title="Domestic, import and FMS shares of procurement",
        table=table,
        notes=_notes(
            "Metrics differ: the Board of Audit's statistical basis (all equipment "
            "procurement), the import ratio of 物件費 (contract basis), the foreign-currency share "
            "of equipment contracts, and the domestic share of all of 防衛関係費. Compare shares "
            "within one metric only.",
            "The import ratio and the domestic share of 防衛関係費 were read from OCR'd charts; "
            "for the latter the year order was inferred. The FY2017 domestic share (77%) was "
            "derived by the compilers as total minus FMS minus general import.",
            "share_computed = true marks shares computed here from amounts; the others are as "
            "the source states them.",
        ),
    )


# --- concentration ----------------------------------------------------------------------------


def hhi_bounds(shares_frac: Sequence[float], cap_frac: float | None = None) -> tuple[float, float]:
    """Bounds on the Herfindahl-Hirschman index of a market where only some shares are known.

    The HHI is the sum of the squared market shares of all suppliers (a fraction from 0 to
    1; times 10,000 on the usual points scale). With the known shares ``s_i`` and the
    unknown remainder ``R = 1 - sum(s_i)``:

    - lower bound ``sum(s_i**2)``: the remainder spread over infinitely many tiny suppliers;
    - upper bound: the remainder in as few blocks as possible, each no larger than
      ``cap_frac`` (by default the smallest known share), i.e. ``k = floor(R / cap)`` blocks
      of ``cap`` and one of ``R - k * cap``. Since the sum of squares is convex, this is the
      largest it can be when no unknown supplier is larger than ``cap``.

    The upper bound holds only if no unknown supplier exceeds ``cap_frac``: pass the share of
    the smallest supplier known to be at least as large as every unknown one. When the known
    shares sum to 1 the two bounds coincide. Raises `EconError` for no shares, a share outside
    (0, 1], shares summing to more than 1, or a cap that is not positive. O(n) in the shares.

    >>> hhi_bounds([0.5, 0.25])  # 0.25 + 0.0625; the remainder 0.25 as one block of 0.25
    (0.3125, 0.375)
    >>> hhi_bounds([0.5, 0.25], cap_frac=0.125)  # two blocks of 0.125
    (0.3125, 0.34375)
    """
    shares = [float(s) for s in shares_frac]
    if not shares:
        raise EconError("hhi_bounds needs at least one known share")
    if any(not 0.0 < s <= 1.0 for s in shares):
        raise EconError(f"market shares must lie in (0, 1]; got {shares}")
    remainder = 1.0 - math.fsum(shares)
    if remainder < -1e-9:
        raise EconError(f"known market shares sum to {1.0 - remainder:.6f}, more than 1")
    cap = min(shares) if cap_frac is None else cap_frac
    if not cap > 0.0:
        raise EconError(f"the cap on unknown shares must be positive; got {cap}")
    lower = math.fsum(s * s for s in shares)
    remainder = max(remainder, 0.0)
    blocks = math.floor(remainder / cap)
    rest = remainder - blocks * cap
    return lower, lower + blocks * cap * cap + rest * rest


def procurement_concentration() -> BudgetFigure:
    """Concentration of central procurement: contractor shares, top-k shares, HHI bounds.

    For each fiscal year where `central_procurement_totals.csv` has a total and
    `top_contractors.csv` has amounts, in long form (``measure``):

    - ``share``: each contractor with an amount, ``amount_jpy`` / ``total_jpy``
      (``stated_share_frac``: the share the source gives, if any);
    - ``top1_share``, ``top3_share``, ``top5_share``: ranks 1..k of the list as reported,
      when every one of those ranks has an amount;
    - ``hhi_lower``, ``hhi_upper``: bounds on the Herfindahl-Hirschman index (`hhi_bounds`),
      as a fraction (``value_frac``) and in points, 0..10,000 (``hhi_points``);
      ``amount_jpy`` is then the amount the known contractors cover.

    The US Government (FMS) counts as a supplier: the ministry's rankings list it (the ATLA
    top-20 lists left it out up to FY2019), and the FY2018 and FY2019 totals are reported
    with FMS as a share of them, so the totals are read as including FMS. The upper bound
    caps every unknown supplier at the share of the last contractor of the unbroken run of
    ranks 1..k with amounts (every other supplier ranks below it; this is the smallest known
    share when the known amounts are exactly ranks 1..k). It is not computed (``value_frac``
    null, ``method`` says why) when rank 1 has no amount, or when the list leaves out the US
    Government and gives no amount for it, since FMS may then exceed the cap. Where a
    contractor has several rows in a year, the one from the same reporter as the total is
    used, else the higher grade, else the first; the notes name the others.

    Sources: `top_contractors.csv` and `central_procurement_totals.csv` (WING, Akahata,
    asset-alive, Statista and others, per row).

    >>> hhi = procurement_concentration().table.filter(fiscal_year=2018, measure="hhi_lower")
    >>> round(hhi["hhi_points"].item())
    1152
    """
    totals = {row["fiscal_year"]: row for row in _rows("central_procurement_totals")}
    by_year: dict[int, list[Row]] = {}
    for row in _rows("top_contractors"):
        by_year.setdefault(row["fiscal_year"], []).append(row)
    rows: list[Row] = []
    notes: list[str] = []
    for year in sorted(by_year):
        if year in totals:
            rows.extend(_year_concentration(year, totals[year], by_year[year], notes))
    missing = [y for y in sorted(by_year) if y not in totals]
    notes.append(
        "No central-procurement total for "
        + ", ".join(f"FY{y}" for y in missing)
        + ": contractor amounts of those years are not turned into shares."
    )
    schema: dict[str, pl.DataType] = {
        "fiscal_year": pl.Int64(),
        "measure": pl.String(),
        "contractor": pl.String(),
        "rank": pl.Int64(),
        "amount_jpy": pl.Int64(),
        "total_jpy": pl.Int64(),
        "value_frac": pl.Float64(),
        "hhi_points": pl.Float64(),
        "stated_share_frac": pl.Float64(),
    }
    return BudgetFigure(
        topic="concentration",
        title="Concentration of central procurement among top contractors (shares, HHI bounds)",
        table=_frame(rows, schema),
        notes=_notes(
            "The US Government (FMS) counts as one supplier: the totals are read as including "
            "FMS (the FY2018 and FY2019 FMS shares of central procurement equal FMS divided by "
            "them), though no source says so outright.",
            "HHI bounds: lower = known contractors only (the rest spread infinitely thin); "
            "upper = the rest in blocks no larger than the last contractor of the unbroken run "
            "of ranks 1..k with amounts. HHI above 2,500 points is usually read as highly "
            "concentrated, 1,500-2,500 as moderately.",
            "Top-k shares follow the list as reported. Up to FY2019 (and in FY2020-21 as far "
            "as known) the list leaves out the US Government, so top-1 can be smaller than "
            "FMS.",
            *notes,
        ),
    )


def _is_fms(contractor: str) -> bool:
    return contractor.startswith("US Government")


def _year_concentration(year: int, total: Row, listed: list[Row], notes: list[str]) -> list[Row]:
    """The concentration rows of one fiscal year (see `procurement_concentration`)."""
    firms = _one_row_per_contractor(listed, total, notes)
    total_jpy = total["total_jpy"]
    known_jpy = sum(f["amount_jpy"] for f in firms)
    if not firms:
        notes.append(f"FY{year}: a total but no contractor amounts; nothing computed.")
        return []
    if known_jpy > total_jpy:
        notes.append(f"FY{year}: contractor amounts exceed the total; nothing computed.")
        return []
    base = {"fiscal_year": year, "total_jpy": total_jpy, "note": total["note"]}
    rows = [
        {
            **base,
            "measure": "share",
            "contractor": firm["contractor"],
            "rank": firm["rank"],
            "amount_jpy": firm["amount_jpy"],
            "value_frac": firm["amount_jpy"] / total_jpy,
            "stated_share_frac": firm["share_of_total_frac"],
            "method": "share = contractor amount / central-procurement total",
            "note": firm["note"],
            **_cited([firm, total]),
        }
        for firm in sorted(firms, key=lambda f: -f["amount_jpy"])
    ]
    ranked = {f["rank"]: f for f in firms if f["rank"] is not None}
    fms_ranked = any(_is_fms(r["contractor"]) and r["rank"] is not None for r in listed)
    list_kind = "the list" if fms_ranked else f"the list, which leaves out the {FMS_CONTRACTOR}"
    for k in (1, 3, 5):
        top = [ranked[r] for r in range(1, k + 1) if r in ranked]
        if len(top) == k:
            amount = sum(f["amount_jpy"] for f in top)
            rows.append(
                {
                    **base,
                    "measure": f"top{k}_share",
                    "amount_jpy": amount,
                    "value_frac": amount / total_jpy,
                    "method": f"sum of ranks 1-{k} of {list_kind} / total",
                    **_cited([*top, total]),
                }
            )
    return rows + _hhi_rows(base, firms, ranked, fms_ranked, total, known_jpy)


def _hhi_rows(
    base: Row, firms: list[Row], ranked: dict[int, Row], fms_ranked: bool, total: Row, known: int
) -> list[Row]:
    shares = [f["amount_jpy"] / total["total_jpy"] for f in firms]
    run = 0  # the unbroken run of ranks 1..run with amounts
    while run + 1 in ranked:
        run += 1
    fms_known = any(_is_fms(f["contractor"]) for f in firms)
    cap_firm = ranked[run] if run else None
    lower = hhi_bounds(shares)[0]  # the lower bound does not depend on the cap
    upper: float | None = None
    if cap_firm is None:
        why = "not computed: rank 1 has no amount, so nothing caps the rest"
    elif not (fms_ranked or fms_known):
        why = (
            f"not computed: the list leaves out the {FMS_CONTRACTOR} and gives no "
            "amount for it, so FMS may exceed any cap"
        )
    else:
        cap = cap_firm["amount_jpy"] / total["total_jpy"]
        upper = hhi_bounds(shares, cap_frac=cap)[1]
        why = (
            f"rest in blocks no larger than {cap_firm['contractor']} (rank {run}, share {cap:.4f})"
        )
    cited = _cited([*firms, total])
    common = {**base, "amount_jpy": known, **cited}
    return [
        {
            **common,
            "measure": "hhi_lower",
            "value_frac": lower,
            "hhi_points": lower * 10_000,
            "method": "HHI lower bound: known contractors only (rest infinitely thin)",
        },
        {
            **common,
            "measure": "hhi_upper",
            "value_frac": upper,
            "hhi_points": None if upper is None else upper * 10_000,
            "method": f"HHI upper bound: {why}",
        },
    ]


def _one_row_per_contractor(listed: list[Row], total: Row, notes: list[str]) -> list[Row]:
    """The rows with amounts, one per contractor: the same reporter as the total first, then
    the higher grade, then the first in the file; the others are named in `notes`."""
    by_name: dict[str, list[Row]] = {}
    for row in listed:
        if row["amount_jpy"] is not None:
            by_name.setdefault(row["contractor"], []).append(row)
    chosen = []
    for name, rows in by_name.items():
        best = min(
            rows,
            key=lambda r: (
                r["reported_via"] != total["reported_via"],
                CONFIDENCE_GRADES.index(r["confidence"]),
            ),
        )
        chosen.append(best)
        for other in rows:
            if other is not best:
                notes.append(
                    f"FY{other['fiscal_year']} {name}: {other['amount_jpy']:,} yen "
                    f"({other['reported_via']}) not used; the {best['reported_via']} row "
                    f"({best['amount_jpy']:,} yen) is."
                )
    return chosen


# --- SIPRI: defense share of sales ------------------------------------------------------------

_CONTEXT_METRICS = (
    "avg_defense_share_of_sales",
    "company_defense_share_of_revenue",
    "central_procurement_share_of_company_sales",
    "company_defense_share_of_sales",
)


def defense_share_of_sales() -> BudgetFigure:
    """Defense share of sales: the Japanese firms of the SIPRI Top 100, with context.

    ``measure`` = ``arms_share_of_revenue``: one row per company and year of
    `sipri_top100_japan.csv` with a share: ``share_frac`` is SIPRI's ``arms_share_pct`` / 100
    or, where SIPRI gives none, ``arms_revenue_usd_m`` / ``total_revenue_usd_m``
    (``share_computed``). ``year`` is the calendar year as SIPRI labels it.

    Context rows (``measure`` = the metric of `defense_dependence.csv`): the White Papers'
    average defense share of sales of defense contractors (about 3-5%) and company-level
    shares, as stated; ``bound`` is "at most" or "at least" for one-sided figures (whether
    exclusive: see ``note``).

    Sources: SIPRI Arms Industry Database (© SIPRI; copies named per row), MOD White Papers
    and press reports (`defense_dependence.csv`).

    >>> sipri = defense_share_of_sales().table
    >>> sipri.filter(year=2023, company="Kawasaki Heavy Industries")["share_frac"].item()
    0.156
    """
    rows: list[Row] = []
    skipped = 0
    for row in _rows("sipri_top100_japan"):
        stated = row["arms_share_pct"]
        computed = _ratio(row["arms_revenue_usd_m"], row["total_revenue_usd_m"])
        if stated is None and computed is None:
            skipped += 1
            continue
        rows.append(
            {
                "year": row["year"],
                "measure": "arms_share_of_revenue",
                "company": row["company"],
                "rank": row["rank"],
                "edition_or_basis": row["edition"],
                "arms_revenue_usd_m": row["arms_revenue_usd_m"],
                "total_revenue_usd_m": row["total_revenue_usd_m"],
                "share_frac": stated / 100 if stated is not None else computed,
                "share_computed": stated is None,
                "approx": row["approx"],
                "method": (
                    "SIPRI's arms share of total revenue (percent / 100)"
                    if stated is not None
                    else "arms revenue / total revenue (computed)"
                ),
                "note": row["note"],
                **_cited([row]),
            }
        )
    rows.sort(key=lambda r: (r["year"], r["rank"] is None, r["rank"] or 0))
    rows.extend(_dependence_context())
    schema: dict[str, pl.DataType] = {
        "year": pl.Int64(),
        "measure": pl.String(),
        "company": pl.String(),
        "rank": pl.Int64(),
        "edition_or_basis": pl.String(),
        "arms_revenue_usd_m": pl.Int64(),
        "total_revenue_usd_m": pl.Int64(),
        "share_frac": pl.Float64(),
        "bound": pl.String(),
        "share_computed": pl.Boolean(),
        "approx": pl.Boolean(),
    }
    return BudgetFigure(
        topic="sipri",
        title="Defense share of sales: Japanese firms in the SIPRI Top 100, with averages",
        table=_frame(rows, schema),
        notes=_notes(
            'SIPRI data © SIPRI: cite as "SIPRI Arms Industry Database" with the edition; '
            "check SIPRI's terms of use before redistributing.",
            f"{skipped} SIPRI rows give no total revenue and no share (the 2024 press reports, "
            "MHI's revised 2022 value) and are left out here; `kiban facts sipri` shows them.",
            "The Japanese firms in the SIPRI Top 100 earn about 1-18% of revenue from arms "
            "(Marine United 39% in its one year); the White Papers' average over defense "
            "contractors is about 3-5% (context rows). The two measure different populations "
            "and definitions.",
        ),
    )


def _dependence_context() -> list[Row]:
    rows = []
    for row in _rows("defense_dependence"):
        if row["metric"] not in _CONTEXT_METRICS:
            continue
        low, high = row["value_min"], row["value_max"]
        bound = None if low == high else ("at most" if low is None else "at least")
        rows.append(
            {
                "year": row["year"],
                "measure": row["metric"],
                "company": row["scope"],
                "edition_or_basis": row["year_or_basis"],
                "share_frac": high if high is not None else low,
                "bound": bound,
                "share_computed": False,
                "approx": row["approx"],
                "method": "as stated (context)",
                "note": row["note"],
                **_cited([row]),
            }
        )
    return rows


# --- industrial-base support ------------------------------------------------------------------

_SUPPORT_LABELS = {
    "industry_directed_measures": "industry-directed measures (efficiency, cyber)",
    FY2022_EARMARK_ITEM: "supply-chain and industry measures (claimed ~2.2 bn, unverified)",
    "act_support_measures": "support measures of the 2023 Act",
    "production_base_structure_project": "production-base structure project (体制整備事業)",
    "production_base_inferred": "production-base line (mapping inferred)",
}


def industrial_base_support() -> BudgetFigure:
    """Money for the industrial base year by year, against the FY2022 earmark.

    One row per row of `industrial_base_support.csv`, with its ``status`` (budget, request,
    proposal, derived, unverified, ...). ``counted`` marks the year's *support budget*: the
    line that pays for the Act's four supply-chain measures (supply chain, manufacturing
    efficiency, cyber, business succession) or, before the Act, the industry-directed
    measures. By year:

    - FY2021-22: ``industry_directed_measures`` (FY2021 derived from FY2022 minus its rise);
    - FY2023: ``act_support_measures``;
    - FY2024-25: ``production_base_structure_project`` (FY2025: the request; the enacted
      amount was not found);
    - FY2026: ``production_base_inferred`` (the Cabinet proposal; mapping inferred, graded L).

    R&D, the export-adaptation fund, totals, components of a total, certified plans and the
    stable-manufacturing project (its relation to the others is not stated) are shown but not
    counted. For counted rows after FY2022, ``ratio_to_fy2022_earmark`` = amount / the
    unverified FY2022 ~2.2 bn earmark, and ``ratio_to_fy2022_white_paper`` = amount / the
    White Paper's FY2022 3.2 bn; these rows cite all the rows used, so they carry the
    earmark's L grade.

    Source: `industrial_base_support.csv` (MOD White Paper 2022, MOF budget material, press).

    >>> support = industrial_base_support().table.filter(fiscal_year=2024, counted=True)
    >>> round(support["ratio_to_fy2022_earmark"].item(), 1)
    11.4
    """
    rows = _rows("industrial_base_support")
    earmark = _fy2022_row(rows, FY2022_EARMARK_ITEM)
    white_paper = _fy2022_row(rows, FY2022_WHITE_PAPER_ITEM)
    counted = {id(row) for row in _support_rows(rows)}
    figures = []
    for row in rows:
        is_counted = id(row) in counted
        later = is_counted and row["fiscal_year"] > 2022
        figures.append(
            {
                **{k: row[k] for k in ("fiscal_year", "item", "item_ja", "amount_jpy")},
                "approx": row["approx"],
                "status": row["status"],
                "counted": is_counted,
                "ratio_to_fy2022_earmark": _ratio(row["amount_jpy"], earmark["amount_jpy"])
                if later
                else None,
                "ratio_to_fy2022_white_paper": _ratio(row["amount_jpy"], white_paper["amount_jpy"])
                if later
                else None,
                "method": _support_method(row, is_counted, later),
                "note": row["note"],
                **_cited([row, earmark, white_paper] if later else [row]),
            }
        )
    schema: dict[str, pl.DataType] = {
        "fiscal_year": pl.Int64(),
        "item": pl.String(),
        "item_ja": pl.String(),
        "amount_jpy": pl.Int64(),
        "approx": pl.Boolean(),
        "status": pl.String(),
        "counted": pl.Boolean(),
        "ratio_to_fy2022_earmark": pl.Float64(),
        "ratio_to_fy2022_white_paper": pl.Float64(),
    }
    table = _frame(figures, schema).sort(
        "fiscal_year", "counted", "item", descending=[False, True, False], nulls_last=True
    )
    return BudgetFigure(
        topic="support",
        title="Money for the industrial base by fiscal year, against the FY2022 earmark",
        table=table,
        notes=_notes(
            "The FY2022 earmark of about 2.2 bn yen is UNVERIFIED (graded L): the White Paper "
            "gives 3.2 bn (+2.3 bn y/y) for FY2022, and '2.2 bn' may be a mis-recall of the "
            "2.3 bn rise. Ratios to it carry its L grade; ratio_to_fy2022_white_paper uses 3.2 bn.",
            "counted marks the year's support budget: FY2021-22 industry-directed measures, "
            "FY2023 the Act's support measures, FY2024-25 the production-base structure project "
            "(FY2025 the request), FY2026 the production-base line of the proposal (mapping "
            "inferred).",
            "Statuses differ: budget (enacted), request, proposal, derived, unverified; a "
            "request or proposal is not money spent.",
        ),
    )


def _fy2022_row(rows: list[Row], item: str) -> Row:
    for row in rows:
        if row["fiscal_year"] == 2022 and row["item"] == item:
            return row
    raise EconError(f"industrial_base_support.csv has no FY2022 {item!r} row")


def _support_rows(rows: list[Row]) -> list[Row]:
    """The counted row of each year: the first of `SUPPORT_ITEMS` the year has."""
    best: dict[int, Row] = {}
    for row in rows:
        if row["item"] not in SUPPORT_ITEMS or row["fiscal_year"] is None:
            continue
        held = best.get(row["fiscal_year"])
        if held is None or SUPPORT_ITEMS.index(row["item"]) < SUPPORT_ITEMS.index(held["item"]):
            best[row["fiscal_year"]] = row
    return [best[year] for year in sorted(best)]


def _support_method(row: Row, counted: bool, later: bool) -> str:
    if later:
        return "the year's support budget; ratios = amount / FY2022 earmark (2.2 bn), / 3.2 bn"
    if counted:
        return "the year's support budget, as stated"
    if row["item"] == FY2022_EARMARK_ITEM:
        return "the FY2022 earmark the later years are compared with (unverified)"
    return "as stated; not counted as the year's support budget"


def earmarks() -> list[Earmark]:
    """The amounts for the industrial base to mark on a budget curve, by fiscal year.

    The unverified FY2022 ~2.2 bn earmark and each year's support budget (the ``counted``
    rows of `industrial_base_support`, with their status: budget, request, proposal or
    derived). ``label`` says what the amount is, with "unverified" where it is.

    >>> [(e.fiscal_year, e.amount_jpy, e.status) for e in earmarks()][1:4]
    [(2022, 2200000000, 'unverified'), (2022, 3200000000, 'budget'), (2023, 36300000000, 'budget')]
    """
    rows = _rows("industrial_base_support")
    chosen = [*_support_rows(rows), _fy2022_row(rows, FY2022_EARMARK_ITEM)]
    chosen.sort(key=lambda r: (r["fiscal_year"], r["item"] != FY2022_EARMARK_ITEM))
    return [
        Earmark(
            fiscal_year=row["fiscal_year"],
            amount_jpy=row["amount_jpy"],
            label=_SUPPORT_LABELS.get(row["item"], row["item"].replace("_", " ")),
            status=row["status"],
            source_url=row["source_url"],
        )
        for row in chosen
    ]


# --- topics -----------------------------------------------------------------------------------

_BUILDERS: dict[str, Callable[[], BudgetFigure]] = {
    "budget": defense_budget,
    "fms": fms_purchases,
    "domestic": domestic_share,
    "concentration": procurement_concentration,
    "sipri": defense_share_of_sales,
    "support": industrial_base_support,
}

BUDGET_TOPICS: tuple[str, ...] = tuple(_BUILDERS)
"""The topics of `budget_picture`, in the order a listing shows them."""


def budget_picture(topic: str) -> BudgetFigure:
    """One topic of the budget picture (see `BUDGET_TOPICS` and the module docstring).

    Raises `EconError` naming the known topics for an unknown one.

    >>> budget_picture("fms").title
    'Purchases through US Foreign Military Sales (FMS), by basis, with shares'
    """
    builder = _BUILDERS.get(topic.strip().lower())
    if builder is None:
        raise EconError(f"unknown budget topic {topic!r}; known topics: {', '.join(BUDGET_TOPICS)}")
    return builder()
