"""`kiban facts`: Japan's public figures, readable in a terminal, as JSON and as CSV."""

from __future__ import annotations

import json

import polars as pl

from kiban.reference import topics
from tests.cli.conftest import fails, succeeds, table_row, table_rows


def test_facts_lists_the_topics() -> None:
    result = succeeds("facts")
    listed = [row[0] for row in table_rows(result.stdout)[1:] if row[0]]
    assert listed == [t.slug for t in topics()]
    assert table_row(result.stdout, "budget")[1].startswith("Defense budget")


def test_facts_budget_shows_fy2022_at_5_40_trillion_yen_with_sources() -> None:
    result = succeeds("facts", "budget")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Defense budget")
    fy2022 = table_row(result.stdout, "FY2022")
    assert "5.40 tn" in fy2022
    assert "Sources" in lines
    assert any(line.startswith("note: ") for line in lines)
    assert any("https://www.mod.go.jp/" in line for line in lines)


def test_facts_budget_as_json_and_csv() -> None:
    rows = json.loads(succeeds("facts", "budget", "--format", "json").stdout)
    fy2022 = next(row for row in rows if row["fiscal_year"] == 2022)
    assert fy2022["incl_total_jpy"] == 5_400_500_000_000
    assert fy2022["source_url"].startswith("https://")

    csv = succeeds("facts", "budget", "--year", "2022", "-f", "csv").stdout
    frame = pl.read_csv(csv.encode())
    assert frame["fiscal_year"].to_list() == [2022]
    assert frame["incl_total_jpy"].to_list() == [5_400_500_000_000]


def test_every_topic_prints_as_a_readable_table() -> None:
    for topic in topics():
        out = succeeds("facts", topic.slug).stdout
        # Rich tables only: no polars repr (shape line, dtype row, its box drawing).
        assert "shape:" not in out
        assert "┌─" not in out
        assert "Sources" in out.splitlines(), topic.slug


def test_an_unknown_topic_lists_the_topics() -> None:
    result = fails("facts", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no fact topic 'nope'; topics: budget, ")
    assert result.stdout == ""
