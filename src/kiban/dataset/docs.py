"""The reference page of the dataset format, docs/dataset-format.md, made from the schema.

`render_format_doc()` writes the page from the declarations of `kiban.dataset.schema` and the
rules of `kiban.dataset.report.Rule`, so the page cannot say something the code does not do;
a test checks that the committed page is the rendered one. To refresh it after changing the
schema::

    uv run python -m kiban.dataset.docs
"""

from __future__ import annotations

import sys
from pathlib import Path

from kiban.dataset.files import DEFAULT_MAX_FILE_BYTES, MAX_FILE_BYTES_ENV
from kiban.dataset.parse import _FALSE, _TRUE
from kiban.dataset.report import FIRST_DATA_ROW, Rule
from kiban.dataset.schema import FORMAT_VERSION, TABLES, Table
from kiban.dataset.xlsx import EXCEL_MAX_CHARS, EXCEL_MAX_ROWS, INSTRUCTIONS_SHEET

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "dataset-format.md"
"""Where the page lives in a source checkout."""

RULE_DOCS: dict[Rule, str] = {
    Rule.REQUIRED_COLUMN: "a required column is missing from a table's header",
    Rule.REQUIRED_VALUE: "a required column has an empty value",
    Rule.TYPE: "a value cannot be read as its column's type (a word in a number column)",
    Rule.RANGE: "a number is outside its column's bounds (a negative revenue, a share over 1)",
    Rule.CHOICE: "a value is not one of its column's allowed values",
    Rule.COUNTRY: "a country is not an ISO 3166-1 alpha-2 code",
    Rule.DATE: "a date is not a real date written YYYY-MM-DD",
    Rule.ID_FORMAT: "an id starts or ends with spaces",
    Rule.DUPLICATE_ID: "an id appears twice in the table it identifies",
    Rule.DUPLICATE_ROW: "two rows of "
    + " or ".join(f"`{t.name}`" for t in TABLES.values() if t.id_column is None)
    + " have the same key",
    Rule.UNKNOWN_REFERENCE: "an id refers to a row that does not exist (a supplier not in firms)",
    Rule.AT_MOST: "a value exceeds the column of the same row it may not exceed",
    Rule.SHARE_SUM: "the shares of one (customer, item) add up to more than 1",
    Rule.BOM_CYCLE: "the bill of materials has a cycle (an item needs itself)",
    Rule.PROGRAM_ITEM_KIND: "a program's end item is not of kind `system`",
    Rule.UNKNOWN_COLUMN: "warning: a column the format does not declare (kept as text, not used)",
    Rule.UNKNOWN_TABLE: "warning: a file in a dataset folder named like no table (not read)",
}
"""One line per rule, for the page; a test checks that every rule has one."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table_section(table: Table) -> list[str]:
    lines = [f"### {table.name}", "", table.doc, ""]
    key = ", ".join(f"`{k}`" for k in table.key)
    lines += [f"A row is identified by {key}.", ""]
    lines += ["| column | type | required | meaning |", "|---|---|---|---|"]
    for col in table.columns:
        meaning = col.doc
        if col.at_most:
            meaning += f"; at most `{col.at_most}`"
        if col.default is not None:
            meaning += f"; default `{str(col.default).lower()}`"
        required = "yes" if col.required else ""
        lines.append(
            f"| {col.name} | {_cell(col.describe_type())} | {required} | {_cell(meaning)} |"
        )
    lines.append("")
    for note in table.notes:
        lines += [note, ""]
    return lines


def render_format_doc() -> str:
    """The Markdown of docs/dataset-format.md for the schema as declared."""
    true_words = "/".join(f"`{w}`" for w in _TRUE)
    false_words = "/".join(f"`{w}`" for w in _FALSE)
    lines = [
        f"# The kiban dataset format, version {FORMAT_VERSION}",
        "",
        "<!-- Generated from src/kiban/dataset/schema.py by "
        "`uv run python -m kiban.dataset.docs`; do not edit by hand. -->",
        "",
        "A *dataset* is what kiban imports, validates, stores and exports: the firms of a "
        "defense industrial base, what they make, who supplies whom, and the defense programs "
        "that depend on them. It is filled in by people (a supply-chain survey answered by a "
        "prime or a sub-tier supplier) and by programs (a generator, a database export).",
        "",
        "## Containers",
        "",
        "One dataset can be held in any of these; all three carry the same tables and columns, "
        "and kiban writes each so that reading it back gives every value exactly.",
        "",
        "| container | layout |",
        "|---|---|",
        "| folder of CSV files | "
        + ", ".join(f"`{name}.csv`" for name in TABLES)
        + "; UTF-8 (a byte order mark is fine), a header row, comma-separated, values with "
        "commas, quotes or line breaks in double quotes (RFC 4180) |",
        "| folder of Parquet files | the same names with `.parquet` |",
        "| one Excel workbook (`.xlsx`) | one sheet per table, named like the table; other "
        f"sheets (such as `{INSTRUCTIONS_SHEET}`) are ignored |",
        "",
        "A table that a dataset does not need may be absent (a national inter-firm network has "
        "no `items`, `bom` or `programs`). Table, sheet and column names are matched ignoring "
        "case and surrounding spaces. Column order does not matter.",
        "",
        "`kiban template survey.xlsx` writes the survey workbook: an instructions sheet, then "
        "one sheet per table with a note on every column header (meaning, type, required), "
        "required headers in dark red, drop-down lists of allowed values and range checks. An "
        "Excel export (`kiban export -f xlsx`) is the same workbook with the rows filled in.",
        "",
        "Limits:",
        "",
        f"- A file larger than {DEFAULT_MAX_FILE_BYTES // (1 << 30)} GiB is refused before it "
        f"is read, so a large file cannot exhaust memory; set `{MAX_FILE_BYTES_ENV}` (bytes) "
        "to allow larger ones. Parquet is about three times smaller than CSV and much faster "
        "to read.",
        "- CSV files must be UTF-8. Excel on Japanese Windows saves `CSV (Comma delimited)` as "
        "Shift-JIS: choose `CSV UTF-8 (Comma delimited)` instead.",
        f"- An Excel sheet holds {EXCEL_MAX_ROWS - 1:,} rows below its header and "
        f"{EXCEL_MAX_CHARS:,} characters per cell; larger tables go to CSV or Parquet. Rows "
        "left entirely empty at the end of a sheet are not read.",
        "",
        "## Values",
        "",
        "- A *required* column needs a value in every row; other columns may be empty or absent.",
        "- Units are in the names: `_jpy` yen, `_days` days; a *fraction* (`share`, "
        "`foreign_ownership`) is in [0, 1], so 25 % is `0.25`.",
        "- Dates are ISO 8601: `2024-03-31`.",
        f"- Booleans are {true_words} or {false_words}, in any case.",
        "- Identifiers are non-empty text without leading or trailing spaces, unique within "
        "their table; a column typed *id in firms* holds a `firm_id` of `firms`.",
        "- Countries are ISO 3166-1 alpha-2 codes (`JP`, `US`).",
        "- Unknown extra columns are kept as text and reported as a warning, not an error.",
        "",
        "## Tables",
        "",
    ]
    for table in TABLES.values():
        lines += _table_section(table)
    lines += [
        "## Meaning",
        "",
        "A program is *producible* when its prime can make its end item. A firm can make an "
        "item for a customer when the firm is active and, for every child of the item in "
        "`bom`, at least one of its own `supplies` rows for that child (with the firm as "
        "customer) comes from a supplier that can make the child. An item without children "
        "needs nothing. So `bom` children are all needed (AND) and the suppliers of one item "
        "to one customer are alternatives (OR).",
        "",
        "## Validation rules",
        "",
        "Validation reads everything before anything is stored and reports every problem, "
        f"each with table, row (the header is row 1, the first data row row {FIRST_DATA_ROW}, "
        "in a CSV file and an Excel sheet alike), column, the offending value and the rule "
        "broken. A dataset with any error is not imported at all; warnings do not stop it.",
        "",
        "| rule | what it finds |",
        "|---|---|",
    ]
    lines += [f"| `{rule.value}` | {_cell(RULE_DOCS[rule])} |" for rule in Rule]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Write the page to the path given, or to docs/dataset-format.md of the checkout."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DOC_PATH
    target.write_text(render_format_doc(), encoding="utf-8")


if __name__ == "__main__":
    main()
