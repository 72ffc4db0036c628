"""The import audit log: who imported what, when, and what came of it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum

import polars as pl
import sqlalchemy as sa

from kiban.dataset.schema import FORMAT_VERSION
from kiban.store.tables import imports


class Outcome(StrEnum):
    """What came of an import."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"
    INVALID = "invalid"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class TableCounts:
    """Rows of one table an import added, updated (replace only), left as they were, removed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class ImportRecord:
    """One entry of the audit log. `imported_at` is in UTC."""

    import_id: int
    imported_at: datetime
    actor: str
    source: str | None
    mode: str
    outcome: str


LOG_SCHEMA = pl.Schema(
    {
        "import_id": pl.Int64(),
        "imported_at": pl.Datetime("us", "UTC"),
        "actor": pl.String(),
        "source": pl.String(),
        "mode": pl.String(),
        "format_version": pl.Int64(),
        "outcome": pl.String(),
        "added": pl.Int64(),
        "updated": pl.Int64(),
        "unchanged": pl.Int64(),
        "removed": pl.Int64(),
        "row_counts": pl.String(),
        "detail": pl.String(),
    }
)
"""Columns of `Store.imports()`: totals over tables, and `row_counts` per table as JSON."""


def now_utc() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back the naive UTC time kiban wrote; PostgreSQL an aware one in its zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def record(
    connection: sa.Connection,
    *,
    actor: str,
    source: str | None,
    replace: bool,
    outcome: Outcome,
    counts: Mapping[str, TableCounts],
    detail: str | None = None,
) -> int:
    """Write one audit row in the caller's transaction and return its import id."""
    row_counts = json.dumps({name: asdict(c) for name, c in counts.items()})
    result = connection.execute(
        sa.insert(imports).values(
            imported_at=now_utc(),
            actor=actor,
            source=source,
            mode="replace" if replace else "merge",
            format_version=FORMAT_VERSION,
            outcome=outcome.value,
            row_counts=row_counts,
            detail=detail,
        ),
    )
    key = result.inserted_primary_key
    if key is None:
        raise AssertionError("the database did not report the new import's id")
    return int(key[0])


def log(connection: sa.Connection) -> pl.DataFrame:
    """The whole audit log, oldest first, with the columns of `LOG_SCHEMA`."""
    rows = connection.execute(sa.select(imports).order_by(imports.c.import_id)).mappings().all()
    records = []
    for row in rows:
        counts = json.loads(row["row_counts"])
        totals = {
            field: sum(c.get(field, 0) for c in counts.values())
            for field in ("added", "updated", "unchanged", "removed")
        }
        records.append(
            {
                **{k: row[k] for k in ("import_id", "actor", "source", "mode")},
                "imported_at": _as_utc(row["imported_at"]),
                "format_version": row["format_version"],
                "outcome": row["outcome"],
                **totals,
                "row_counts": row["row_counts"],
                "detail": row["detail"],
            }
        )
    return pl.DataFrame(records, schema=LOG_SCHEMA)


def count(connection: sa.Connection) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(imports)).scalar_one())


def last(connection: sa.Connection) -> ImportRecord | None:
    """The newest entry of the audit log, if any."""
    row = (
        connection.execute(sa.select(imports).order_by(imports.c.import_id.desc()).limit(1))
        .mappings()
        .first()
    )
    if row is None:
        return None
    return ImportRecord(
        import_id=row["import_id"],
        imported_at=_as_utc(row["imported_at"]),
        actor=row["actor"],
        source=row["source"],
        mode=row["mode"],
        outcome=row["outcome"],
    )
