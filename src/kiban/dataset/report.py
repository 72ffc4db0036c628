"""Problems found in a dataset, kept as a table so a million of them stay cheap.

Each problem names the table, the row as the user sees it (header = row 1, first data row =
row 2, in a CSV file and an Excel sheet alike), the column, the offending value and the rule
broken. Rules are the identifiers of `Rule`; the list is the one in DATASET.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

from kiban.errors import KibanError

FIRST_DATA_ROW = 2
"""Row number of the first data row: the header is row 1, as a spreadsheet shows it."""


class Rule(StrEnum):
    """The rules a dataset can break (errors) or bend (warnings)."""

    REQUIRED_COLUMN = "required-column"
    REQUIRED_VALUE = "required-value"
    TYPE = "type"
    RANGE = "range"
    CHOICE = "choice"
    COUNTRY = "country"
    DATE = "date"
    ID_FORMAT = "id-format"
    DUPLICATE_ID = "duplicate-id"
    DUPLICATE_ROW = "duplicate-row"
    UNKNOWN_REFERENCE = "unknown-reference"
    AT_MOST = "at-most"
    SHARE_SUM = "share-sum"
    BOM_CYCLE = "bom-cycle"
    PROGRAM_ITEM_KIND = "program-item-kind"
    # warnings
    UNKNOWN_COLUMN = "unknown-column"
    UNKNOWN_TABLE = "unknown-table"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


ISSUE_SCHEMA = pl.Schema(
    {
        "severity": pl.String(),
        "table": pl.String(),
        "row": pl.Int64(),
        "column": pl.String(),
        "value": pl.String(),
        "rule": pl.String(),
        "message": pl.String(),
    }
)


def no_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def issue(
    table: str,
    rule: Rule,
    message: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: object = None,
    severity: Severity = Severity.ERROR,
) -> pl.DataFrame:
    """One problem as a one-row issue frame."""
    return pl.DataFrame(
        [
            [severity.value],
            [table],
            [row],
            [column],
            [None if value is None else str(value)],
            [rule.value],
            [message],
        ],
        schema=ISSUE_SCHEMA,
        orient="col",
    )


def row_issues(
    table: str,
    rule: Rule,
    failing: pl.DataFrame,
    *,
    column: str | None,
    message: str | pl.Expr,
    severity: Severity = Severity.ERROR,
) -> pl.DataFrame:
    """Issues for many rows at once.

    `failing` holds a `__row__` column (0-based position in the table) and, when `column` is
    given, that column with the offending values. `message` is a fixed text or an expression
    over `failing`'s columns.
    """
    value = (
        pl.col(column).cast(pl.String)
        if column is not None and column in failing.columns
        else pl.lit(None, dtype=pl.String)
    )
    msg = message if isinstance(message, pl.Expr) else pl.lit(message)
    # pl.format over a frame filtered from a many-chunk one can panic (polars #25525).
    return failing.rechunk().select(
        severity=pl.lit(severity.value),
        table=pl.lit(table),
        row=(pl.col("__row__") + FIRST_DATA_ROW).cast(pl.Int64),
        column=pl.lit(column, dtype=pl.String),
        value=value,
        rule=pl.lit(rule.value),
        message=msg.cast(pl.String),
    )


def concat_issues(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    return pl.concat(frames, how="vertical") if frames else no_issues()


@dataclass(frozen=True)
class ValidationReport:
    """Every problem of a dataset: `errors` stop an import, `warnings` do not."""

    issues: pl.DataFrame
    row_counts: Mapping[str, int] = field(default_factory=dict)
    locations: Mapping[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> pl.DataFrame:
        return self.issues.filter(pl.col("severity") == Severity.ERROR.value)

    @property
    def warnings(self) -> pl.DataFrame:
        return self.issues.filter(pl.col("severity") == Severity.WARNING.value)

    @property
    def ok(self) -> bool:
        return self.errors.height == 0

    def counts(self) -> pl.DataFrame:
        """Number of problems per severity, table and rule."""
        return (
            self.issues.group_by("severity", "table", "rule")
            .len("count")
            .sort("severity", "table", "rule")
        )

    def lines(self, frame: pl.DataFrame | None = None, limit: int | None = None) -> list[str]:
        """Problems as lines: `d/firms.csv, row 7, column country: 'XX': is not ... [country]`.

        Each names where the table came from (its location, else the table), the row and
        column when known, the value, the message and the rule in brackets.
        """
        frame = self.issues if frame is None else frame
        if limit is not None:
            frame = frame.head(limit)
        out = []
        for rec in frame.iter_rows(named=True):
            where = self.locations.get(rec["table"], rec["table"])
            parts = [where]
            if rec["row"] is not None:
                parts.append(f"row {rec['row']}")
            if rec["column"] is not None:
                parts.append(f"column {rec['column']}")
            value = "" if rec["value"] is None else f" {rec['value']!r}:"
            out.append(f"{', '.join(parts)}:{value} {rec['message']} [{rec['rule']}]")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


class ValidationError(KibanError):
    """A dataset broke rules; the report holds every problem."""

    def __init__(self, report: ValidationReport, shown: int = 20) -> None:
        self.report = report
        errors = report.errors
        head = report.lines(errors, limit=shown)
        more = errors.height - len(head)
        tail = [f"... and {more} more errors"] if more > 0 else []
        super().__init__(
            f"the dataset has {errors.height} error(s); nothing was imported:\n"
            + "\n".join([*head, *tail])
        )
