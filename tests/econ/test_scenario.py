"""Program studies from TOML: the shipped example reads, and every bad key is named."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from kiban.econ.learning import CurveKind
from kiban.econ.program import run_program
from kiban.econ.scenario import load_study
from kiban.errors import EconError
from kiban.reference.programs import generate_programs

EXAMPLE = Path(str(resources.files("kiban.econ") / "examples" / "fighter_exports.toml"))

MINIMAL = """
name = "m"
[cost]
first_unit_cost_jpy = 100.0
slope = 0.9
[domestic]
2026 = 4
2027 = 4
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_reads_and_runs() -> None:
    study = load_study(EXAMPLE)
    cost = study.cost_model()
    assert cost.recurring.slope == 0.85
    assert cost.recurring.kind is CurveKind.UNIT
    assert cost.units_built_before == 40
    assert [o.partner for o in study.scenario.exports] == ["AU", "US"]
    assert study.scenario.exports[1].work_share_frac == 0.3
    assert study.import_unit_price_jpy == 1.1e10
    assert study.target_margin_frac == 0.08
    years = run_program(cost, study.scenario).years
    assert years["fiscal_year"].to_list() == [2026, 2027, 2028, 2029, 2030]
    assert years["export_units"].to_list() == [0, 0, 6, 20, 0]


def test_a_study_can_take_its_cost_from_a_dataset_program(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'name = "t"\nprogram = "tank"\n[assumptions]\nfiscal_year = 2026\n'
        "years_in_production = 3\n[domestic]\n2026 = 10\n",
    )
    study = load_study(path)
    cost = study.cost_model(generate_programs(1))
    assert cost.units_built_before == 30
    with pytest.raises(EconError, match=r"needs a dataset"):
        study.cost_model()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL.replace("slope", "slop"),
         r"\[cost\]: unknown key 'slop' \(did you mean 'slope'\?\)"),
        (MINIMAL.replace("slope = 0.9", "slope = 1.2"),
         r"\[cost\]: slope 1\.2 is outside \(0, 1\]"),
        (MINIMAL.replace("2027 = 4", "2027 = -4"), r"\[domestic\]: 2027 must be >= 0"),
        (MINIMAL.replace("2027 = 4", 'next = 4'), r"'next' is not a fiscal year"),
        (MINIMAL.replace("[domestic]\n2026 = 4\n2027 = 4", ""), r"order schedule is empty"),
        (MINIMAL + "[[export]]\npartner = 'AU'\nfiscal_year = 2025\nquantity = 2\n",
         r"FY2025 is before the schedule starts \(FY2026\)"),
        (MINIMAL + "[[export]]\npartner = 'AU'\nfiscal_year = 2026\n",
         r"\[\[export\]\] #1: missing key 'quantity'"),
        (MINIMAL + "[[export]]\npartner = 'AU'\nfiscal_year = 2026\nquantity = 1.5\n",
         r"\[\[export\]\] #1: quantity must be a whole number"),
        (MINIMAL + "[pricing]\nregime = 'fy2099'\n", r"unknown profit regime 'fy2099'"),
        (MINIMAL.replace('name = "m"', 'name = "m"\nnmae = 1'), r"top level: unknown key 'nmae'"),
        (MINIMAL.replace("[cost]\nfirst_unit_cost_jpy = 100.0\nslope = 0.9\n", ""),
         r"give a \[cost\] table or the `program`"),
        ("name = 'x'\n[cost\n", r"not valid TOML"),
    ],
)  # fmt: skip
def test_bad_studies_name_the_file_table_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(EconError, match=message) as caught:
        load_study(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(EconError, match=r"nothing\.toml not found"):
        load_study(tmp_path / "nothing.toml")
