"""`Dataset`: the tables of one industrial base, in the schema's types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from kiban.dataset.parse import coerce
from kiban.dataset.report import Rule, Severity, concat_issues, issue, no_issues
from kiban.dataset.schema import TABLES


@dataclass(frozen=True)
class Dataset:
    """The firms, items, bill of materials, supplies and programs of an industrial base.

    Tables are polars DataFrames with the schema's columns in the schema's types, followed by
    any unknown columns (as text). A table the dataset does not have is absent from `tables`;
    indexing it gives an empty frame. `read_issues` holds what reading found wrong (values of
    the wrong type, missing columns); `kiban.validate` reports them with everything else.
    `locations` says where each table came from (`d/firms.csv`, `s.xlsx, sheet firms`).
    `given_columns` names, per table, the declared columns its source had (the others were
    filled with nulls or defaults); a table not listed had them all.

    Build one with `Dataset.from_frames`, `kiban.read_dataset` or a generator.

    >>> import polars as pl
    >>> ds = Dataset.from_frames({"firms": pl.DataFrame(
    ...     {"firm_id": ["F1"], "name": ["Acme"], "country": ["JP"]})})
    >>> ds.firms.select("firm_id", "status", "synthetic").row(0)
    ('F1', 'active', False)
    >>> ds.row_counts()
    {'firms': 1}
    """

    tables: Mapping[str, pl.DataFrame]
    read_issues: pl.DataFrame = field(default_factory=no_issues)
    missing_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    locations: Mapping[str, str] = field(default_factory=dict)
    source: str = "<memory>"
    given_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pl.DataFrame],
        *,
        source: str = "<memory>",
        locations: Mapping[str, str] | None = None,
        ignore_unknown_tables: bool = False,
    ) -> Dataset:
        """Coerce frames named by table to the schema (see `kiban.dataset.parse.coerce`).

        Frames named like no table are reported as a warning and left out, unless
        `ignore_unknown_tables` (a workbook's instruction sheet, say).
        """
        tables: dict[str, pl.DataFrame] = {}
        issues = []
        missing: dict[str, tuple[str, ...]] = {}
        given: dict[str, tuple[str, ...]] = {}
        for name, frame in frames.items():
            key = name.strip().lower()
            if key not in TABLES:
                if not ignore_unknown_tables:
                    issues.append(
                        issue(
                            name,
                            Rule.UNKNOWN_TABLE,
                            f"unknown table, ignored; the tables are {', '.join(TABLES)}",
                            severity=Severity.WARNING,
                        )
                    )
                continue
            coerced = coerce(TABLES[key], frame)
            tables[key] = coerced.frame
            issues.append(coerced.issues)
            given[key] = coerced.given_columns
            if coerced.missing_columns:
                missing[key] = coerced.missing_columns
        ordered = {name: tables[name] for name in TABLES if name in tables}
        return cls(
            tables=ordered,
            read_issues=concat_issues(issues),
            missing_columns=missing,
            locations=dict(locations or {}),
            source=source,
            given_columns=given,
        )

    def __getitem__(self, name: str) -> pl.DataFrame:
        if name in self.tables:
            return self.tables[name]
        return TABLES[name].empty()

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    @property
    def firms(self) -> pl.DataFrame:
        return self["firms"]

    @property
    def items(self) -> pl.DataFrame:
        return self["items"]

    @property
    def bom(self) -> pl.DataFrame:
        return self["bom"]

    @property
    def supplies(self) -> pl.DataFrame:
        return self["supplies"]

    @property
    def programs(self) -> pl.DataFrame:
        return self["programs"]

    def row_counts(self) -> dict[str, int]:
        """Rows per table present, in the format's table order."""
        return {name: frame.height for name, frame in self.tables.items()}

    def given(self, name: str) -> tuple[str, ...]:
        """The declared columns of table `name` that its source had."""
        if name in self.given_columns:
            return self.given_columns[name]
        return tuple(c for c in TABLES[name].column_names if c in self[name].columns)

    def extra_columns(self, name: str) -> tuple[str, ...]:
        """Columns of table `name` that the format does not declare."""
        declared = set(TABLES[name].column_names)
        return tuple(c for c in self[name].columns if c not in declared)
