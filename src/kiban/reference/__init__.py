"""Japan's public defense-industry figures, each with its source, and the facts built on them.

`load(name)` gives one reference file (`kiban/reference/data/japan/*.csv`) as a typed polars
frame; `fact_table(topic)` gives it as a readable table with sources and caveats. Conventions,
confidence grades and attribution duties: `kiban/reference/data/README.md`.
"""

from kiban.reference.facts import FactTable, Topic, fact_table, find_topic, topics
from kiban.reference.formatting import format_frac, format_jpy, parse_jpy
from kiban.reference.tables import (
    CONFIDENCE_GRADES,
    SOURCE_COLUMNS,
    RefKind,
    column_kind,
    countries,
    load,
    names,
)

__all__ = [
    "CONFIDENCE_GRADES",
    "SOURCE_COLUMNS",
    "FactTable",
    "RefKind",
    "Topic",
    "column_kind",
    "countries",
    "fact_table",
    "find_topic",
    "format_frac",
    "format_jpy",
    "load",
    "names",
    "parse_jpy",
    "topics",
]
