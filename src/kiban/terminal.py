"""Results as terminal tables, shared by the `kiban` command and the demo."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from rich.table import Table as RichTable


def rich_table(
    frame: pl.DataFrame, title: str | None = None, *, thousands: bool = False
) -> RichTable:
    """`frame` as a terminal table: numbers right-aligned, floats to 3 significant digits
    (whole above 1,000), lists joined, times to the second; `thousands` puts separators in
    integers (not wanted where they are years or ids)."""
    table = RichTable(title=title, title_justify="left", show_lines=False)
    numeric = {name for name, dtype in frame.schema.items() if dtype.is_numeric()}
    for name in frame.columns:
        table.add_column(name, justify="right" if name in numeric else "left", overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*[_cell(v, thousands) for v in row])
    return table


def _cell(value: object, thousands: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and thousands:
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    return str(value)


def program_summary_view(summary: pl.DataFrame) -> pl.DataFrame:
    """`kiban.risk.summary.program_summary` with short headers, for an 80-column terminal."""
    return summary.select(
        pl.col("program_id").alias("program"),
        pl.col("producible").alias("ok"),
        "firms",
        "tiers",
        pl.col("spof").alias("SPOF"),
        pl.col("sole_source_items").alias("sole src"),
        (pl.col("foreign_value_share") * 100).round(1).alias("foreign %"),
        pl.col("fragile_suppliers").alias("fragile"),
        pl.col("stale_links").alias("stale"),
    )
