"""The format's reference page is made from the schema and cannot drift from it."""

from __future__ import annotations

from pathlib import Path

from kiban.dataset import FORMAT_VERSION, TABLES, Rule
from kiban.dataset.docs import DOC_PATH, RULE_DOCS, main, render_format_doc


def test_committed_page_is_the_rendered_one() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render_format_doc(), (
        "docs/dataset-format.md is out of date: run `uv run python -m kiban.dataset.docs`"
    )


def test_page_has_every_table_column_and_rule() -> None:
    page = render_format_doc()
    assert page.startswith(f"# The kiban dataset format, version {FORMAT_VERSION}\n")
    for table in TABLES.values():
        assert f"### {table.name}\n\n{table.doc}\n" in page
        for column in table.columns:
            required = "yes" if column.required else ""
            assert f"| {column.name} | {column.describe_type()} | {required} | {column.doc}" in page
    for rule in Rule:
        assert f"| `{rule.value}` | {RULE_DOCS[rule]} |" in page


def test_every_rule_is_described() -> None:
    assert set(RULE_DOCS) == set(Rule)


def test_main_writes_the_page(tmp_path: Path) -> None:
    target = tmp_path / "format.md"
    main([str(target)])
    assert target.read_text(encoding="utf-8") == render_format_doc()
