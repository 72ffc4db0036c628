"""Validation of a dataset against the rules of DATASET.md.

`validate` reads everything and reports every problem, each with table, row (header = row 1),
column, value and rule; it never stops at the first. Checks are polars expressions over whole
columns, so a million firms and five million supplies validate in seconds (see
`benchmarks/bench_validate.py`). The rules:

- per column (from the schema declaration): required value, id format, range, allowed choice,
  ISO 3166-1 alpha-2 country code, `at_most` another column of the row;
- per table: duplicate id (tables keyed by one id), duplicate row (bom and supplies keys);
- across tables: references to ids that do not exist, shares of one (customer, item) over 1,
  a cycle in the bill of materials, a program whose end item is not a `system`;
- and whatever reading found (values of the wrong type, bad dates, missing columns).
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterator
from functools import cache

import polars as pl
import pycountry

from kiban.dataset.model import Dataset
from kiban.dataset.report import (
    FIRST_DATA_ROW,
    Rule,
    ValidationReport,
    concat_issues,
    row_issues,
)
from kiban.dataset.schema import TABLES, Column, Kind, Table

SHARE_TOLERANCE = 1e-9
"""Shares of one (customer, item) may exceed 1 by this much before it counts (float sums)."""

_ROW = "__row__"


@cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes (from pycountry's copy of the ISO standard)."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


def validate(dataset: Dataset) -> ValidationReport:
    """Check `dataset` against every rule of the format and return all problems found.

    >>> import polars as pl
    >>> ds = Dataset.from_frames({"firms": pl.DataFrame({
    ...     "firm_id": ["F1", "F1"], "name": ["A", "B"], "country": ["JP", "XX"]})})
    >>> report = validate(ds)
    >>> report.ok
    False
    >>> for line in report.lines(): print(line)
    firms, row 3, column country: 'XX': is not an ISO 3166-1 alpha-2 country code [country]
    firms, row 3, column firm_id: 'F1': duplicate id: also on row 2 [duplicate-id]
    """
    issues = [dataset.read_issues]
    known_ids: dict[str, pl.Series] = {}
    for name, frame in dataset.tables.items():
        table = TABLES[name]
        indexed = frame.with_row_index(_ROW)
        missing = set(dataset.missing_columns.get(name, ()))
        issues.extend(_column_issues(table, indexed, missing))
        issues.extend(_key_issues(table, indexed, missing))
        issues.extend(_reference_issues(table, indexed, dataset, missing, known_ids))
    if "supplies" in dataset:
        issues.append(_share_issues(dataset.supplies))
    if "bom" in dataset:
        issues.append(_bom_cycle_issues(dataset.bom))
    if "programs" in dataset and "items" in dataset:
        issues.append(_program_item_issues(dataset.programs, dataset.items))
    report_issues = concat_issues(issues)
    order = pl.col("table").replace_strict(
        {name: i for i, name in enumerate(TABLES)}, default=len(TABLES), return_dtype=pl.Int64
    )
    return ValidationReport(
        issues=report_issues.sort("severity", order, "row", "column", nulls_last=False),
        row_counts=dataset.row_counts(),
        locations=dataset.locations,
    )


def _fails(frame: pl.DataFrame, condition: pl.Expr, column: str) -> pl.DataFrame:
    return frame.filter(condition).select(_ROW, column)


def _column_issues(table: Table, frame: pl.DataFrame, missing: set[str]) -> Iterator[pl.DataFrame]:
    for col in table.columns:
        if col.name in missing:
            continue
        c = pl.col(col.name)
        if col.required:
            yield row_issues(
                table.name,
                Rule.REQUIRED_VALUE,
                _fails(frame, c.is_null(), col.name),
                column=col.name,
                message="a value is required",
            )
        if col.kind is Kind.ID:
            bad = c.is_not_null() & (c != c.str.strip_chars())
            yield row_issues(
                table.name,
                Rule.ID_FORMAT,
                _fails(frame, bad, col.name),
                column=col.name,
                message="an id may not start or end with spaces",
            )
        if col.kind is Kind.COUNTRY:
            bad = c.is_not_null() & ~c.is_in(sorted(country_codes()))
            yield row_issues(
                table.name,
                Rule.COUNTRY,
                _fails(frame, bad, col.name),
                column=col.name,
                message="is not an ISO 3166-1 alpha-2 country code",
            )
        if col.choices:
            bad = c.is_not_null() & ~c.is_in(list(col.choices))
            yield row_issues(
                table.name,
                Rule.CHOICE,
                _fails(frame, bad, col.name),
                column=col.name,
                message=f"is not one of: {', '.join(col.choices)}",
            )
        yield from _range_issues(table, frame, col)


def _range_issues(table: Table, frame: pl.DataFrame, col: Column) -> Iterator[pl.DataFrame]:
    c = pl.col(col.name)
    if col.minimum is not None:
        below = c <= col.minimum if col.exclusive_minimum else c < col.minimum
        word = "greater than" if col.exclusive_minimum else "at least"
        yield row_issues(
            table.name,
            Rule.RANGE,
            _fails(frame, below, col.name),
            column=col.name,
            message=f"must be {word} {col.minimum:g}",
        )
    if col.maximum is not None:
        yield row_issues(
            table.name,
            Rule.RANGE,
            _fails(frame, c > col.maximum, col.name),
            column=col.name,
            message=f"must be at most {col.maximum:g}",
        )
    if col.kind in (Kind.NUMBER, Kind.FRACTION):
        yield row_issues(
            table.name,
            Rule.RANGE,
            _fails(frame, c.is_nan() | c.is_infinite(), col.name),
            column=col.name,
            message="must be a finite number",
        )
    if col.at_most is not None:
        bad = c > pl.col(col.at_most)
        failing = frame.filter(bad).select(_ROW, col.name, col.at_most)
        yield row_issues(
            table.name,
            Rule.AT_MOST,
            failing,
            column=col.name,
            message=pl.format(f"must not exceed {col.at_most} ({{}})", pl.col(col.at_most)),
        )


def _key_issues(table: Table, frame: pl.DataFrame, missing: set[str]) -> Iterator[pl.DataFrame]:
    if set(table.key) & missing:
        return
    key = list(table.key)
    required_key = [k for k in key if table.column(k).required]
    present = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in required_key))
    first = pl.col(_ROW).min().over(key) + FIRST_DATA_ROW
    dupes = present.filter(pl.struct(key).is_duplicated()).with_columns(first=first)
    dupes = dupes.filter(pl.col(_ROW) + FIRST_DATA_ROW != pl.col("first"))
    if not dupes.height:
        return
    if table.id_column is not None:
        yield row_issues(
            table.name,
            Rule.DUPLICATE_ID,
            dupes,
            column=table.id_column,
            message=pl.format("duplicate id: also on row {}", pl.col("first")),
        )
    else:
        listed = pl.concat_str([pl.col(k).fill_null("(none)") for k in key], separator=", ")
        yield row_issues(
            table.name,
            Rule.DUPLICATE_ROW,
            dupes.with_columns(key=listed),
            column=None,
            message=pl.format(
                f"duplicate row for ({', '.join(key)}) = ({{}}): also on row {{}}",
                pl.col("key"),
                pl.col("first"),
            ),
        )


def _reference_issues(
    table: Table,
    frame: pl.DataFrame,
    dataset: Dataset,
    missing: set[str],
    known_ids: dict[str, pl.Series],
) -> Iterator[pl.DataFrame]:
    """Ids that name no row of the table they refer to.

    `known_ids` keeps the distinct ids of each referenced `table.column` across calls, so
    `supplier_id` and `customer_id` share one pass over a million firm ids.
    """
    for col in table.columns:
        if col.references is None or col.name in missing:
            continue
        target_table, target_column = col.references.split(".")
        c = pl.col(col.name)
        if target_table not in dataset:
            failing = _fails(frame, c.is_not_null(), col.name)
            message = f"refers to table {target_table}, which the dataset does not have"
        else:
            if col.references not in known_ids:
                targets = dataset[target_table].get_column(target_column)
                known_ids[col.references] = targets.drop_nulls().unique()
            ids = known_ids[col.references]
            failing = _fails(frame, c.is_not_null() & ~c.is_in(ids.implode()), col.name)
            message = f"no such {target_column} in {target_table}"
        yield row_issues(
            table.name, Rule.UNKNOWN_REFERENCE, failing, column=col.name, message=message
        )


def _share_issues(supplies: pl.DataFrame) -> pl.DataFrame:
    group = ["customer_id", "item_id"]
    rows = (
        supplies.with_row_index(_ROW)
        .filter(pl.col("item_id").is_not_null() & pl.col("share").is_not_null())
        .group_by(group)
        .agg(pl.col("share").sum().alias("total"), pl.col(_ROW).sort().alias("rows"))
        .filter(pl.col("total") > 1 + SHARE_TOLERANCE)
    )
    failing = rows.select(
        pl.col("rows").list.first().alias(_ROW),
        pl.col("total").round(6).alias("share"),
        *group,
        (
            pl.col("rows")
            .list.eval(pl.element() + FIRST_DATA_ROW)
            .list.head(10)
            .cast(pl.List(pl.String))
            .list.join(", ")
        ).alias("listed"),
    ).sort(_ROW)
    return row_issues(
        "supplies",
        Rule.SHARE_SUM,
        failing,
        column="share",
        message=pl.format(
            "shares of customer {} for item {} sum to {} (> 1); rows {}",
            pl.col("customer_id"),
            pl.col("item_id"),
            pl.col("share"),
            pl.col("listed"),
        ),
    )


def _bom_cycle_issues(bom: pl.DataFrame) -> pl.DataFrame:
    """One issue per cycle found, at the row of the edge that closes it.

    graphlib reports one cycle at a time; dropping one edge of each reported cycle and
    sorting again finds the others. Bills of materials are small, so this is cheap.
    """
    edges = (
        bom.with_row_index(_ROW)
        .filter(pl.col("parent_item_id").is_not_null() & pl.col("child_item_id").is_not_null())
        .select(_ROW, "parent_item_id", "child_item_id")
    )
    row_of = {(p, c): r for r, p, c in edges.iter_rows()}
    children: dict[str, set[str]] = {}
    for parent, child in row_of:
        children.setdefault(parent, set()).add(child)
    found = []
    for _ in range(len(row_of)):
        try:
            tuple(graphlib.TopologicalSorter(children).static_order())
            break
        except graphlib.CycleError as err:
            # args[1] lists the cycle's nodes with the first repeated at the end, each a
            # successor of the next (graphlib walks predecessors): parents come after children.
            cycle = list(reversed(err.args[1]))
            parent, child = cycle[0], cycle[1]
            found.append((row_of[(parent, child)], " -> ".join(cycle)))
            children[parent].discard(child)
    failing = pl.DataFrame(found, schema={_ROW: pl.UInt32, "cycle": pl.String}, orient="row")
    return row_issues(
        "bom",
        Rule.BOM_CYCLE,
        failing.sort(_ROW),
        column="child_item_id",
        message=pl.format("the bill of materials has a cycle: {}", pl.col("cycle")),
    )


def _program_item_issues(programs: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    kinds = items.select("item_id", "kind").unique("item_id", keep="first")
    failing = (
        programs.with_row_index(_ROW)
        .join(kinds, on="item_id", how="inner")
        .filter(pl.col("kind").is_not_null() & (pl.col("kind") != "system"))
    )
    return row_issues(
        "programs",
        Rule.PROGRAM_ITEM_KIND,
        failing,
        column="item_id",
        message=pl.format(
            "the end item of a program must be of kind system, not {}", pl.col("kind")
        ),
    )
