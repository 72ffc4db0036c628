"""The kiban dataset format, version 1, declared once.

Each table of DATASET.md is declared here as a `Table` of `Column`s. Everything else derives
from these declarations: parsing and validation (`kiban.dataset.parse`, `kiban.dataset.validate`),
the database tables (`kiban.store.tables`), the Excel survey template (`kiban.dataset.xlsx`) and
the reference page `docs/dataset-format.md` (`kiban.dataset.docs`). To change the format,
change it here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

FORMAT_VERSION = 1


class Kind(StrEnum):
    """The value types of DATASET.md."""

    ID = "id"
    TEXT = "text"
    INT = "int"
    NUMBER = "number"
    FRACTION = "fraction"
    BOOL = "bool"
    DATE = "date"
    COUNTRY = "country"
    CHOICE = "choice"

    @property
    def dtype(self) -> pl.DataType:
        """The polars type that holds values of this kind."""
        return _DTYPES[self]


_DTYPES: dict[Kind, pl.DataType] = {
    Kind.ID: pl.String(),
    Kind.TEXT: pl.String(),
    Kind.INT: pl.Int64(),
    Kind.NUMBER: pl.Float64(),
    Kind.FRACTION: pl.Float64(),
    Kind.BOOL: pl.Boolean(),
    Kind.DATE: pl.Date(),
    Kind.COUNTRY: pl.String(),
    Kind.CHOICE: pl.String(),
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    `minimum`/`maximum` bound numbers (inclusive unless `exclusive_minimum`); `choices` lists
    the allowed values of a `CHOICE`; `references` names the `table.column` an id must exist in;
    `at_most` names a column of the same row this value may not exceed; `default` fills a
    missing value when the dataset is read.
    """

    name: str
    kind: Kind
    doc: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    references: str | None = None
    at_most: str | None = None
    default: object = None

    @property
    def dtype(self) -> pl.DataType:
        return self.kind.dtype

    @property
    def reference_table(self) -> str | None:
        return self.references.split(".")[0] if self.references else None

    def describe_type(self) -> str:
        """The type as DATASET.md writes it, e.g. `int 0..3` or `id in firms`."""
        if self.references:
            return f"id in {self.reference_table}"
        if self.kind is Kind.CHOICE:
            return " / ".join(f"`{c}`" for c in self.choices)
        if self.kind is Kind.COUNTRY:
            return "ISO 3166-1 alpha-2"
        if self.kind is Kind.FRACTION:
            return "fraction in [0, 1]"
        bounds = []
        if self.minimum is not None:
            op = ">" if self.exclusive_minimum else ">="
            bounds.append(f"{op} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        if self.at_most:
            bounds.append(f"<= {self.at_most}")
        if self.kind is Kind.INT and self.minimum is not None and self.maximum is not None:
            return f"int {self.minimum:g}..{self.maximum:g}"
        return " ".join([self.kind.value, ", ".join(bounds)]).strip()


@dataclass(frozen=True)
class Table:
    """One table of a dataset: its columns and the columns that identify a row."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name} declares a column twice")
        if not set(self.key) <= set(names):
            raise ValueError(f"table {self.name}: key {self.key} is not among its columns")

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def id_column(self) -> str | None:
        """The single id column of a table keyed by one id (`firms.firm_id`), else None."""
        if len(self.key) == 1 and self.column(self.key[0]).kind is Kind.ID:
            return self.key[0]
        return None

    def empty(self) -> pl.DataFrame:
        """A frame with this table's columns and no rows."""
        return pl.DataFrame(schema=self.polars_schema)


_OBSERVED_AT = "when this was last reported or checked"

FIRMS = Table(
    name="firms",
    doc="The firms of the industrial base: primes, sub-tier suppliers, foreign makers.",
    key=("firm_id",),
    columns=(
        Column("firm_id", Kind.ID, "unique id of the firm", required=True),
        Column("name", Kind.TEXT, "the firm's name", required=True),
        Column(
            "country", Kind.COUNTRY, "where the producing site is (`JP`, `US`, ...)", required=True
        ),
        Column("region", Kind.TEXT, "in Japan the prefecture, in English (`Aichi`)"),
        Column("sector", Kind.TEXT, "industry, free text or a JSIC code"),
        Column("employees", Kind.INT, "number of employees", minimum=0),
        Column("revenue_jpy", Kind.NUMBER, "total annual sales", minimum=0),
        Column(
            "defense_revenue_jpy",
            Kind.NUMBER,
            "annual sales to defense",
            minimum=0,
            at_most="revenue_jpy",
        ),
        Column("operating_margin", Kind.NUMBER, "operating profit / sales", minimum=-1, maximum=1),
        Column(
            "cyber_level",
            Kind.INT,
            "3 = meets the defense industry cybersecurity standard",
            minimum=0,
            maximum=3,
        ),
        Column("has_successor", Kind.BOOL, "the business has a successor (for owner-run firms)"),
        Column(
            "foreign_ownership", Kind.FRACTION, "share of equity held abroad", minimum=0, maximum=1
        ),
        Column(
            "status",
            Kind.CHOICE,
            "whether the firm still does this work",
            choices=("active", "withdrawing", "exited"),
            default="active",
        ),
        Column(
            "final_demand_jpy",
            Kind.NUMBER,
            "annual sales to final users (households, exports, government); used by simulation",
            minimum=0,
        ),
        Column("synthetic", Kind.BOOL, "the row was generated, not observed", default=False),
        Column("observed_at", Kind.DATE, _OBSERVED_AT),
        Column(
            "source", Kind.TEXT, "where it came from (a survey id, a public document, a generator)"
        ),
    ),
)

ITEMS = Table(
    name="items",
    doc="What is made and bought: systems, assemblies, components, materials, software, services.",
    key=("item_id",),
    columns=(
        Column("item_id", Kind.ID, "unique id of the item", required=True),
        Column("name", Kind.TEXT, "the item's name", required=True),
        Column(
            "kind",
            Kind.CHOICE,
            "what sort of item it is",
            required=True,
            choices=("system", "assembly", "component", "material", "software", "service"),
        ),
        Column(
            "custom",
            Kind.BOOL,
            "made for defense use only (not a commercial off-the-shelf product)",
        ),
        Column(
            "qualification_days", Kind.INT, "time to qualify a new source for this item", minimum=0
        ),
        Column("unit_cost_jpy", Kind.NUMBER, "cost of one unit", minimum=0),
    ),
)

BOM = Table(
    name="bom",
    doc="What one unit of a parent item needs. The bill of materials must be acyclic.",
    key=("parent_item_id", "child_item_id"),
    columns=(
        Column(
            "parent_item_id",
            Kind.ID,
            "the item that is made",
            required=True,
            references="items.item_id",
        ),
        Column(
            "child_item_id", Kind.ID, "an item it needs", required=True, references="items.item_id"
        ),
        Column(
            "quantity",
            Kind.NUMBER,
            "units of child per unit of parent",
            required=True,
            minimum=0,
            exclusive_minimum=True,
        ),
    ),
)

SUPPLIES = Table(
    name="supplies",
    doc='Who supplies whom. With `item_id` a row is an item-level sourcing record ("supplier '
    'delivers this item to this customer"); without it, a firm-level transaction of a '
    "national inter-firm network.",
    key=("supplier_id", "customer_id", "item_id"),
    columns=(
        Column(
            "supplier_id",
            Kind.ID,
            "the firm that delivers",
            required=True,
            references="firms.firm_id",
        ),
        Column(
            "customer_id",
            Kind.ID,
            "the firm that receives",
            required=True,
            references="firms.firm_id",
        ),
        Column("item_id", Kind.ID, "the item delivered", references="items.item_id"),
        Column(
            "share",
            Kind.FRACTION,
            "part of the customer's need for this item that this supplier delivers; rows of "
            "one (customer, item) sum to at most 1 (default: split equally)",
            minimum=0,
            maximum=1,
        ),
        Column("annual_value_jpy", Kind.NUMBER, "value delivered per year", minimum=0),
        Column("lead_time_days", Kind.INT, "days from order to delivery", minimum=0),
        Column("observed_at", Kind.DATE, _OBSERVED_AT),
        Column("source", Kind.TEXT, "where it came from"),
    ),
)

PROGRAMS = Table(
    name="programs",
    doc="A defense program: an end item bought by the ministry from a prime contractor.",
    key=("program_id",),
    columns=(
        Column("program_id", Kind.ID, "unique id of the program", required=True),
        Column("name", Kind.TEXT, "the program's name", required=True),
        Column(
            "item_id",
            Kind.ID,
            "the end item (kind `system`)",
            required=True,
            references="items.item_id",
        ),
        Column(
            "prime_id", Kind.ID, "the prime contractor", required=True, references="firms.firm_id"
        ),
        Column(
            "category",
            Kind.TEXT,
            "one of the designated-equipment categories (aircraft, ships, vehicles, "
            "ammunition, ...)",
        ),
        Column("annual_quantity", Kind.NUMBER, "units bought per year", minimum=0),
        Column("unit_price_jpy", Kind.NUMBER, "price of one unit", minimum=0),
        Column("designated", Kind.BOOL, "designated equipment under the 2023 Act"),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (FIRMS, ITEMS, BOM, SUPPLIES, PROGRAMS)}
"""Every table of the format, in the order they are written and imported (referenced first)."""


def table(name: str) -> Table:
    """The declaration of table `name`; KeyError names the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; the tables are {', '.join(TABLES)}") from None
