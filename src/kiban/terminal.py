"""Results as terminal tables, shared by the `kiban` command and the demo."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table as RichTable

from kiban.reference.formatting import format_frac, format_jpy


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


# -- simulation results (kiban.simulate) ------------------------------------------------------

_MARKS = "▁▂▃▄▅▆▇█"


def sparkline(
    values: Sequence[float], width: int = 60, *, low: float | None = None, high: float | None = None
) -> tuple[str, int]:
    """`values` as one line of at most `width` block marks, and the values per mark.

    A mark stands for `per` consecutive values and shows the lowest of them (a one-day dip
    stays visible), on a scale from `low` (▁, default the lowest value) to `high` (█, default
    the highest). Values all equal read as a full line.

    >>> sparkline([1.0, 1.0, 0.5, 0.75, 1.0], width=5)
    ('██▁▅█', 1)
    >>> sparkline([1.0, 0.9, 0.8, 0.8, 0.9, 1.0], width=3)
    ('▅▁▅', 2)
    """
    array = np.asarray(values, dtype=np.float64)
    if not array.size:
        return "", 1
    per = max(1, -(-array.size // max(1, width)))  # ceiling division
    marks = np.minimum.reduceat(array, np.arange(0, array.size, per))
    bottom = float(array.min()) if low is None else low
    top = float(array.max()) if high is None else high
    if not top > bottom:
        return _MARKS[-1] * marks.size, per
    level = np.clip((marks - bottom) / (top - bottom), 0.0, 1.0)
    index = np.rint(level * (len(_MARKS) - 1)).astype(np.int64)
    return "".join(_MARKS[i] for i in index), per


def propagation_programs_view(programs: pl.DataFrame) -> pl.DataFrame:
    """`Propagation.programs` for an 80-column terminal: money in billions of yen, shares in
    percent, days to recover as text ("not yet": still below 99% on the last day)."""
    return programs.select(
        pl.col("program_id").alias("program"),
        (pl.col("baseline_output_jpy") / 1e9).alias("bn JPY/day"),
        (pl.col("output_loss_jpy") / 1e9).alias("loss bn JPY"),
        (pl.col("loss_share") * 100).round(1).alias("loss %"),
        (pl.col("lowest_share") * 100).round(1).alias("lowest %"),
        pl.col("days_to_recover").cast(pl.String).fill_null("not yet").alias("recovered in"),
    )


def hardest_hit_view(hardest_hit: pl.DataFrame) -> pl.DataFrame:
    """`Propagation.hardest_hit` for a terminal: loss in billions of yen, share in percent."""
    return hardest_hit.select(
        pl.col("firm_id").alias("firm"),
        "name",
        (pl.col("output_loss_jpy") / 1e9).alias("loss bn JPY"),
        (pl.col("loss_share") * 100).round(1).alias("loss %"),
    )


PROGRESS_DELAY_S = 1.0
"""A progress bar appears once the work has run this long."""


class DelayedProgress:
    """A transient progress bar of `total` steps, labelled `label`, on `console` (stderr by
    default). It appears only once the work has taken `delay_s`, and only on a terminal:
    nothing is written to a pipe or a file. `update(done)` reports the steps done so far."""

    def __init__(
        self,
        label: str,
        total: int,
        *,
        console: Console | None = None,
        delay_s: float = PROGRESS_DELAY_S,
    ) -> None:
        self._console = console or Console(stderr=True)
        self._label, self._total = label, total
        self._delay_s = delay_s
        self._started = time.monotonic()
        self._bar: Progress | None = None
        self._task: Any = None
        self.shown = False

    def update(self, done: int) -> None:
        """Show `done` of the total steps finished."""
        if self._bar is None:
            late = time.monotonic() - self._started >= self._delay_s
            if not (self._console.is_terminal and late and done < self._total):
                return
            self._bar = Progress(
                TextColumn(self._label),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._task = self._bar.add_task(self._label, total=self._total)
            self._bar.start()
            self.shown = True
        self._bar.update(self._task, completed=done)

    def close(self) -> None:
        """Take the bar off the screen."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def export_study_lines(s: dict[str, Any]) -> list[str]:
    """The headline of `kiban.econ.trade.export_study`'s summary, in sentences."""
    change = s["unit_price_jpy"] / s["unit_price_jpy_without_exports"] - 1
    needed = s["exports_for_target_margin_units"]
    target = format_frac(s["target_margin_frac"], 1)
    return [
        f"{s['program']}: {s['quantity']:,} units exported to {s['partner']} in "
        f"FY{s['fiscal_year']} at {format_jpy(s['export_unit_price_jpy'])} JPY each.",
        f"The ministry's unit price that year: {format_jpy(s['unit_price_jpy_without_exports'])} "
        f"-> {format_jpy(s['unit_price_jpy'])} JPY ({change:+.1%}); over the schedule the ministry "
        f"saves {format_jpy(s['ministry_saving_jpy'])} JPY.",
        f"The maker's margin: {format_frac(s['margin_frac_without_exports'], 1)} -> "
        f"{format_frac(s['margin_frac'], 1)}; profit {format_jpy(s['profit_jpy_without_exports'])}"
        f" -> {format_jpy(s['profit_jpy'])} JPY.",
        f"Exports needed for a margin of {target}: "
        + (f"{needed:,} units." if needed is not None else "none is enough at this price."),
        f"Of the program's {s['suppliers']:,} suppliers, {s['suppliers_not_viable']:,} lose money"
        f" on defense work in FY{s['fiscal_year']} with the export, "
        f"{s['suppliers_not_viable_without_exports']:,} without it.",
    ]
