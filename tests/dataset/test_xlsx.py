"""The survey workbook: what it shows a supplier, what Excel checks, and reading it back."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import polars as pl
import pytest
import xlsxwriter
from polars.testing import assert_frame_equal

from kiban.dataset import FORMAT_VERSION, TABLES, Dataset, Kind, Rule
from kiban.dataset.files import MAX_FILE_BYTES_ENV
from kiban.dataset.io import read_dataset, write_dataset
from kiban.dataset.xlsx import EXCEL_MAX_ROWS, INSTRUCTIONS_SHEET, LISTS_SHEET, write_template
from kiban.errors import DatasetError

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class Workbook:
    """The parts of an .xlsx file, read as XML, to see what Excel will show."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        book = self.xml("xl/workbook.xml")
        targets = self.rels("xl/workbook.xml")
        self.sheets = {
            s.get("name"): (f"xl/{targets[s.get(f'{REL}id')]}", s.get("state") or "visible")
            for s in book.iter(f"{MAIN}sheet")
        }

    def xml(self, name: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.zip.read(name))

    def rels(self, part: str) -> dict[str, str]:
        folder, _, file = part.rpartition("/")
        name = f"{folder}/_rels/{file}.rels"
        if name not in self.zip.namelist():
            return {}
        return {r.get("Id"): r.get("Target") for r in self.xml(name).iter(f"{PKG}Relationship")}

    def sheet(self, name: str) -> ElementTree.Element:
        return self.xml(self.sheets[name][0])

    def notes(self, name: str) -> dict[str, str]:
        """Cell reference -> text of the note (comment) on it."""
        part = self.sheets[name][0]
        comments = [t for t in self.rels(part).values() if "comments" in t]
        if not comments:
            return {}
        xml = self.xml("xl/" + comments[0].removeprefix("../"))
        return {
            c.get("ref"): "".join(t.text or "" for t in c.iter(f"{MAIN}t"))
            for c in xml.iter(f"{MAIN}comment")
        }

    def validations(self, name: str) -> dict[str, ElementTree.Element]:
        """Column letter -> its data validation."""
        return {
            re.match(r"[A-Z]+", v.get("sqref", "")).group(0): v  # type: ignore[union-attr]
            for v in self.sheet(name).iter(f"{MAIN}dataValidation")
        }

    def header_styles(self, name: str) -> dict[str, tuple[bool, str | None]]:
        """Header text -> (bold, fill colour) of its cell."""
        styles = self.xml("xl/styles.xml")
        fonts = list(styles.find(f"{MAIN}fonts") or [])
        fills = list(styles.find(f"{MAIN}fills") or [])
        xfs = list(styles.find(f"{MAIN}cellXfs") or [])
        out = {}
        for cell in self.sheet(name).find(f"{MAIN}sheetData")[0]:  # type: ignore[index]
            xf = xfs[int(cell.get("s", "0"))]
            font = fonts[int(xf.get("fontId", "0"))]
            fg = fills[int(xf.get("fillId", "0"))].find(f".//{MAIN}fgColor")
            text = "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
            out[text] = (font.find(f"{MAIN}b") is not None, None if fg is None else fg.get("rgb"))
        return out


def letters(table: str) -> dict[str, str]:
    return {c.name: xlsxwriter.utility.xl_col_to_name(i) for i, c in enumerate(TABLES[table])}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("t") / "survey.xlsx")


# --- what the supplier sees ------------------------------------------------------------------


def test_instructions_first_then_a_sheet_per_table(template: Path) -> None:
    book = Workbook(template)
    assert list(book.sheets) == [INSTRUCTIONS_SHEET, *TABLES, LISTS_SHEET]
    assert book.sheets[LISTS_SHEET][1] == "hidden"
    assert all(book.sheets[t][1] == "visible" for t in TABLES)


def test_instructions_say_what_how_and_that_data_is_confidential(template: Path) -> None:
    cells = pl.read_excel(template, sheet_name=INSTRUCTIONS_SHEET, has_header=False)
    text = " ".join(str(v) for row in cells.rows() for v in row if v is not None)
    assert f"format version {FORMAT_VERSION}" in text
    assert "confidential" in text
    assert "yen" in text
    assert "0.25" in text  # fractions, not percentages
    assert "YYYY-MM-DD" in text
    for table in TABLES.values():
        assert table.doc in text


def test_every_header_has_a_note_with_meaning_type_and_need(template: Path) -> None:
    book = Workbook(template)
    for table in TABLES.values():
        notes = book.notes(table.name)
        for column, letter in letters(table.name).items():
            declared = table.column(column)
            note = notes[f"{letter}1"]
            assert declared.doc in note
            assert declared.describe_type() in note
            assert ("(required)" in note) == declared.required


def test_required_headers_stand_out(template: Path) -> None:
    styles = Workbook(template).header_styles("firms")
    assert styles["firm_id"] == (True, "FFC00000")
    assert styles["country"] == (True, "FFC00000")
    assert styles["region"][1] != "FFC00000"
    for table in TABLES.values():
        marked = {
            h
            for h, (_, fill) in Workbook(template).header_styles(table.name).items()
            if fill == "FFC00000"
        }
        assert marked == {c.name for c in table.required}


def test_excel_checks_follow_the_schema(template: Path) -> None:
    book = Workbook(template)
    for table in TABLES.values():
        rules = book.validations(table.name)
        for column, letter in letters(table.name).items():
            kind = table.column(column).kind
            rule = rules.get(letter)
            if kind in (Kind.ID, Kind.TEXT):
                assert rule is None
                continue
            assert rule is not None, f"{table.name}.{column} has no check"
            assert rule.get("sqref") == f"{letter}2:{letter}{EXCEL_MAX_ROWS}"
            expected_type = {
                Kind.CHOICE: "list",
                Kind.BOOL: "list",
                Kind.COUNTRY: "list",
                Kind.DATE: "date",
                Kind.INT: "whole",
                Kind.NUMBER: "decimal",
                Kind.FRACTION: "decimal",
            }[kind]
            assert rule.get("type") == expected_type

    firms = book.validations("firms")
    formula = lambda v: v.find(f"{MAIN}formula1").text  # noqa: E731
    col = letters("firms")
    assert formula(firms[col["status"]]) == '"active,withdrawing,exited"'
    assert formula(firms[col["has_successor"]]) == '"TRUE,FALSE"'
    assert formula(firms[col["country"]]).startswith(f"{LISTS_SHEET}!$A$1:$A$2")
    cyber = firms[col["cyber_level"]]
    assert (cyber.get("operator"), formula(cyber)) in ((None, "0"), ("between", "0"))
    assert cyber.find(f"{MAIN}formula2").text == "3"
    share = book.validations("supplies")[letters("supplies")["share"]]
    assert (formula(share), share.find(f"{MAIN}formula2").text) == ("0", "1")
    quantity = book.validations("bom")[letters("bom")["quantity"]]
    assert (quantity.get("operator"), formula(quantity)) == ("greaterThan", "0")


def test_country_list_holds_the_iso_codes(template: Path) -> None:
    codes = pl.read_excel(template, sheet_name=LISTS_SHEET, has_header=False)[:, 0].to_list()
    assert {"JP", "US", "KR", "DE"} <= set(codes)
    assert all(len(c) == 2 for c in codes)


def test_header_row_is_frozen(template: Path) -> None:
    book = Workbook(template)
    for table in TABLES:
        pane = book.sheet(table).find(f".//{MAIN}pane")
        assert pane is not None
        assert (pane.get("ySplit"), pane.get("state")) == ("1", "frozen")


# --- reading it back -------------------------------------------------------------------------


def test_the_empty_template_reads_as_empty_tables(template: Path) -> None:
    dataset = read_dataset(template)
    assert dataset.row_counts() == dict.fromkeys(TABLES, 0)
    assert dataset.read_issues.height == 0
    assert dataset.locations["firms"] == f"{template}, sheet firms"


def test_a_filled_survey_reads_back(tmp_path: Path) -> None:
    """Filled as people fill it: ids typed as numbers, dates as dates or text, mixed cells."""
    path = tmp_path / "filled.xlsx"
    book = xlsxwriter.Workbook(str(path))
    date = book.add_format({"num_format": "yyyy/m/d"})
    book.add_worksheet("README").write_string(0, 0, "our notes")
    firms = book.add_worksheet("Firms")
    firms.write_row(0, 0, ["Name", "firm_id", "country", "employees", "observed_at", "synthetic"])
    firms.write_row(1, 0, ["Acme 株式会社", 1001, "JP", 120])
    firms.write_datetime(1, 4, dt.datetime(2024, 3, 31), date)
    firms.write_boolean(1, 5, True)
    firms.write_row(2, 0, ["Beta", "007", "US", "many", "2024-04-01", "no"])
    supplies = book.add_worksheet("supplies")
    supplies.write_row(0, 0, ["supplier_id", "customer_id", "share", "lead_time_days"])
    supplies.write_row(1, 0, [1001, "007", 1 / 3, 30.0])
    supplies.write_row(2, 0, ["007", 1001, "half", 12.5])
    book.close()

    dataset = read_dataset(path)
    assert dataset.firms.select(
        "firm_id", "name", "employees", "observed_at", "synthetic", "status"
    ).rows() == [
        ("1001", "Acme 株式会社", 120, dt.date(2024, 3, 31), True, "active"),
        ("007", "Beta", None, dt.date(2024, 4, 1), False, "active"),
    ]
    assert dataset.supplies["share"].to_list() == [1 / 3, None]  # exact, beside text
    assert dataset.supplies["lead_time_days"].to_list() == [30, None]
    problems = dataset.read_issues.select("table", "row", "column", "value", "rule").rows()
    assert problems == [
        ("firms", 3, "employees", "many", Rule.TYPE.value),
        ("supplies", 3, "share", "half", Rule.TYPE.value),
        ("supplies", 3, "lead_time_days", "12.5", Rule.TYPE.value),
    ]


def test_a_template_filled_from_a_dataset_reads_back_the_same(tmp_path: Path) -> None:
    firms = pl.DataFrame(
        {
            "firm_id": ["F1", "F2"],
            "name": ["Acme", "Beta"],
            "country": ["JP", "US"],
            "operating_margin": [0.1 + 0.2, -0.05],
            "observed_at": [dt.date(1899, 12, 31), dt.date(2024, 3, 31)],
        }
    )
    dataset = Dataset.from_frames({"firms": firms})
    back = read_dataset(write_template(tmp_path / "s.xlsx", dataset))
    assert_frame_equal(back.firms, dataset.firms, check_exact=True)
    assert back.row_counts() == {"firms": 2} | {t: 0 for t in TABLES if t != "firms"}


def test_a_workbook_needs_a_sheet_named_like_a_table(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Sheet1").write_string(0, 0, "firm_id")
    book.close()
    with pytest.raises(DatasetError, match=r"missing sheet.*'Sheet1'.*firms, items, bom"):
        read_dataset(path)


def write_sheet(path: Path, name: str, rows: list[list[object]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


@pytest.mark.parametrize(
    "header",
    [["firm_id", "name", "country", "name"], ["firm_id", "Name", "country", "name "]],
    ids=["same", "same but for case and spaces"],
)
def test_a_sheet_naming_a_column_twice(tmp_path: Path, header: list[object]) -> None:
    path = write_sheet(tmp_path / "s.xlsx", "firms", [header, ["F1", "A", "JP", "B"]])
    with pytest.raises(DatasetError, match=r"sheet firms: .*more than once: .*name"):
        read_dataset(path)


def test_columns_named_like_renamed_duplicates_are_fine(tmp_path: Path) -> None:
    header = ["firm_id", "name", "country", "note", "note_1"]
    path = write_sheet(tmp_path / "s.xlsx", "firms", [header, ["F1", "A", "JP", "x", "y"]])
    assert read_dataset(path).firms.select("note", "note_1").row(0) == ("x", "y")


def test_values_under_an_empty_header_cell(tmp_path: Path) -> None:
    rows = [["firm_id", "name", "country", None, None], ["F1", "A", "JP", "see note", None]]
    dataset = read_dataset(write_sheet(tmp_path / "s.xlsx", "firms", rows))
    assert dataset.firms["(column 4)"].to_list() == ["see note"]
    assert dataset.read_issues["rule"].to_list() == [Rule.UNKNOWN_COLUMN.value]


def test_an_empty_table_sheet(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("firms")
    book.close()
    with pytest.raises(DatasetError, match="sheet firms is empty"):
        read_dataset(path)


def test_two_sheets_for_one_table(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("firms").write_string(0, 0, "firm_id")
    book.add_worksheet("FIRMS ").write_string(0, 0, "firm_id")
    book.close()
    with pytest.raises(DatasetError, match="both hold table firms"):
        read_dataset(path)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"firm_id,name\n", "s.xlsx", "not a valid .xlsx workbook"),
        (b"PK\x03\x04 damaged", "s.xlsx", "not a valid .xlsx workbook"),
        (b"", "s.xlsx", "is empty"),
        (b"\xd0\xcf\x11\xe0", "s.xls", "save it as"),
    ],
    ids=["csv renamed", "damaged zip", "empty", "old .xls"],
)
def test_files_that_are_not_workbooks(
    tmp_path: Path, content: bytes, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        read_dataset(path)


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(DatasetError, match="not a valid Excel workbook"):
        read_dataset(path)


def test_a_workbook_that_expands_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_sheet(tmp_path / "s.xlsx", "firms", [["firm_id"], *[["F" * 100]] * 2000])
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, str(path.stat().st_size + 1))
    with pytest.raises(
        DatasetError, match=f"holds sheets of .*over the limit.*{MAX_FILE_BYTES_ENV}"
    ):
        read_dataset(path)


# --- what a sheet cannot hold ----------------------------------------------------------------


def test_a_table_longer_than_a_sheet_is_refused(tmp_path: Path) -> None:
    rows = EXCEL_MAX_ROWS  # one more than fits below the header
    supplies = pl.DataFrame({"supplier_id": pl.repeat("a", rows, eager=True)})
    dataset = Dataset(tables={"supplies": supplies})
    with pytest.raises(DatasetError, match=r"table supplies has 1,048,576 rows.*Parquet"):
        write_dataset(dataset, tmp_path / "s.xlsx", "xlsx")
    assert not (tmp_path / "s.xlsx").exists()


def test_a_value_longer_than_a_cell_is_refused(tmp_path: Path) -> None:
    firms = pl.DataFrame({"firm_id": ["F1"], "name": ["x" * 40_000], "country": ["JP"]})
    with pytest.raises(DatasetError, match=r"table firms, column name: .*40,000 characters"):
        write_dataset(Dataset.from_frames({"firms": firms}), tmp_path / "s.xlsx", "xlsx")


def test_a_workbook_name_must_end_in_xlsx(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"must end in \.xlsx"):
        write_template(tmp_path / "survey")
