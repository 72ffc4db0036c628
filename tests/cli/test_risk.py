"""`kiban risk ...` on a stored dataset: every command, each output format, clear refusals.

The shared sample (tests/samples.py): F1 is the prime of P-FX and makes SYS-1 from ASM-1; F2
alone supplies ASM-1, made from CMP-1; F3 and F4 both deliver CMP-1, made from MAT-1, but only
F3 is supplied MAT-1 (by F4), so F4 cannot make CMP-1 itself. Every firm of the chain is
therefore a single point of failure, F3 through CMP-1 and F4 through MAT-1.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from tests.cli.conftest import fails, one_line, succeeds, table_row

AS_OF = "2024-06-30"


def test_spof_json_lists_each_firm_with_its_reason(stored: str) -> None:
    result = succeeds(
        "risk", "spof", "--program", "P-FX", "--format", "json", "--as-of", AS_OF, "--db", stored
    )

    found = json.loads(result.stdout)
    assert found["producible"] is True
    spof = {row["firm_id"]: row for row in found["single_points_of_failure"]}
    assert set(spof) == {"F1", "F2", "F3", "F4"}
    assert spof["F1"]["reason"] == "prime contractor"
    assert spof["F2"]["name"] == "Gear Works"
    assert "ASM-1" in spof["F2"]["reason"]
    assert "MAT-1" in spof["F4"]["reason"]
    assert found["data_age"]["as_of"] == AS_OF


def test_spof_table_and_pairs(stored: str) -> None:
    result = succeeds("risk", "spof", "-p", "P-FX", "--pairs", "--as-of", AS_OF, "--db", stored)

    assert "Single points of failure of P-FX: 4" in result.stdout
    # Every firm alone breaks it, so no pair is needed to.
    assert "Critical pairs of P-FX: 0" in result.stdout
    assert "older than 13 months as of 2024-06-30" in one_line(result.stdout)


def test_summary_has_a_row_per_program(stored: str) -> None:
    result = succeeds("risk", "summary", "--as-of", AS_OF, "--db", stored)
    row = table_row(result.stdout, "P-FX")
    assert row[1:6] == ["true", "4", "3", "4", row[5]]

    as_csv = succeeds("risk", "summary", "--format", "csv", "--as-of", AS_OF, "--db", stored)
    frame = pl.read_csv(as_csv.stdout.encode())
    assert frame.get_column("program_id").to_list() == ["P-FX"]
    assert frame.get_column("spof").to_list() == [4]


def test_firms_ranks_and_explain_decomposes(stored: str) -> None:
    firms = succeeds(
        "risk", "firms", "--top", "2", "--format", "json", "--as-of", AS_OF, "--db", stored
    )
    ranked = json.loads(firms.stdout)
    assert len(ranked) == 2
    assert ranked[0]["risk"] >= ranked[1]["risk"]

    why = json.loads(
        succeeds(
            "risk", "explain", "F3", "--format", "json", "--as-of", AS_OF, "--db", stored
        ).stdout
    )
    assert why["firm_id"] == "F3"
    contributions = sum(f["contribution"] for f in why["fragility_factors"])
    assert abs(contributions - why["fragility"]) < 1e-9
    assert {"factor", "value", "weight", "contribution"} <= set(why["fragility_factors"][0])
    assert "vanishing_sources" in why["archetypes_tags"] or why["facts"]["status"] == "withdrawing"

    table = succeeds("risk", "explain", "F3", "--as-of", AS_OF, "--db", stored)
    assert "Fragility: factor, value, weight, part" in table.stdout


def test_exposure_by_tier_and_country_with_countries_of_concern(stored: str) -> None:
    result = succeeds(
        "risk",
        "exposure",
        "-p",
        "P-FX",
        "--concern",
        "DE",
        "--format",
        "json",
        "--as-of",
        AS_OF,
        "--db",
        stored,
    )
    found = json.loads(result.stdout)
    assert found["firms"] == 4
    assert [row["tier"] for row in found["by_tier"]] == [0, 1, 2, 3]
    assert found["concern"]["countries"] == ["DE"]
    assert found["concern"]["firms"] == 1
    # MAT-1 comes to F3 only from F4, in Germany.
    assert [r["item_id"] for r in found["concern"]["items_only_from_concern"]] == ["MAT-1"]


def test_chokepoints_of_a_firm(stored: str) -> None:
    result = succeeds(
        "risk", "chokepoints", "F1", "--format", "json", "--as-of", AS_OF, "--db", stored
    )
    found = {row["firm_id"]: row["dominated_firms"] for row in json.loads(result.stdout)}
    # F1 <- F2 <- {F3, F4}, F3 <- F4: every path from F3 and F4 to F1 runs through F2.
    assert found == {"F2": 2}


def test_a_user_config_changes_the_weights(stored: str, tmp_path: Path) -> None:
    config = tmp_path / "risk.toml"
    config.write_text('countries_of_concern = ["DE"]\n', encoding="utf-8")
    result = succeeds(
        "risk", "exposure", "-p", "P-FX", "--config", config, "--as-of", AS_OF, "--db", stored
    )
    assert "countries of concern DE: 1 firms" in one_line(result.stdout)


def test_refusals_are_clear(stored: str, tmp_path: Path) -> None:
    unknown_program = fails("risk", "spof", "-p", "NOPE", "--db", stored)
    assert "NOPE" in unknown_program.stderr
    assert "P-FX" in unknown_program.stderr

    unknown_firm = fails("risk", "explain", "F99", "--db", stored)
    assert "F99" in unknown_firm.stderr

    bad_date = fails("risk", "summary", "--as-of", "30/06/2024", "--db", stored)
    assert "YYYY-MM-DD" in bad_date.stderr

    typo = tmp_path / "typo.toml"
    typo.write_text("countries_of_conern = []\n", encoding="utf-8")
    bad_config = fails("risk", "summary", "--config", typo, "--db", stored)
    assert "countries_of_conern" in bad_config.stderr
    assert "typo.toml" in bad_config.stderr

    empty_store = f"sqlite:///{tmp_path / 'empty.db'}"
    succeeds("init", "--db", empty_store)
    empty = fails("risk", "summary", "--db", empty_store)
    assert "holds no data" in empty.stderr
