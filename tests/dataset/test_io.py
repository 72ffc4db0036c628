"""Reading and writing datasets: round trips are exact, bad input is a clear DatasetError."""

from __future__ import annotations

import datetime as dt
import gzip
import math
import re
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from kiban.dataset import Dataset, Rule
from kiban.dataset.files import DEFAULT_MAX_FILE_BYTES, MAX_FILE_BYTES_ENV
from kiban.dataset.io import read_dataset, write_dataset
from kiban.dataset.schema import TABLES, Kind
from kiban.errors import DatasetError

FORMATS = ("csv", "parquet", "xlsx")

# --- round trips -----------------------------------------------------------------------------

# Text as people and programs write it: commas, quotes, line breaks, Japanese, spaces, tabs,
# control characters. Left out: the non-characters U+FFFE and U+FFFF and `_xHHHH_`
# sequences, which a workbook's XML reserves for escapes and fastexcel does not read back.
_TEXT = st.one_of(
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"
        )
        | st.sampled_from(",\"'\n\r\t =日本語部品"),
        max_size=12,
    ).filter(lambda s: not re.search(r"_x[0-9A-Fa-f]{4}_", s)),
    st.sampled_from(["a,b", 'say "hi"', "two\nlines", "x\r\ny", " padded ", "=1+1", "007"]),
)
_VALUES = {
    Kind.ID: _TEXT,
    Kind.TEXT: _TEXT,
    Kind.COUNTRY: _TEXT,
    Kind.CHOICE: _TEXT,
    # Whole numbers beyond 2**53 are not exact in any reader's float path; the format's
    # ints (employees, days, levels) never come near.
    Kind.INT: st.integers(-(2**53), 2**53),
    Kind.NUMBER: st.floats(allow_nan=True, allow_infinity=True),
    Kind.FRACTION: st.floats(allow_nan=True, allow_infinity=True),
    Kind.BOOL: st.booleans(),
    Kind.DATE: st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
}


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """Datasets of any subset of tables, valid or not, with nulls and extra columns."""
    names = draw(st.lists(st.sampled_from(list(TABLES)), min_size=1, max_size=3, unique=True))
    frames = {}
    for name in names:
        height = draw(st.integers(0, 5))
        columns: dict[str, pl.Series] = {}
        for column in TABLES[name].columns:
            if not column.required and draw(st.booleans()):
                continue
            values = draw(
                st.lists(st.none() | _VALUES[column.kind], min_size=height, max_size=height)
            )
            columns[column.name] = pl.Series(column.name, values, dtype=column.dtype)
        for extra in draw(st.lists(st.sampled_from(["note", "note_1", "備考"]), unique=True)):
            values = draw(st.lists(st.none() | _TEXT, min_size=height, max_size=height))
            columns[extra] = pl.Series(extra, values, dtype=pl.String)
        frames[name] = pl.DataFrame(list(columns.values()))
    return Dataset.from_frames(frames)


def without_empty_tail(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` less its last rows that have no value at all (a sheet has no cells for them)."""
    filled = frame.select(pl.any_horizontal(pl.all().is_not_null()).alias("filled"))["filled"]
    last = max((i for i, f in enumerate(filled) if f), default=-1)
    return frame.head(last + 1)


def assert_same_tables(written: Dataset, read: Dataset, *, sheets: bool = False) -> None:
    assert list(read.tables) == list(written.tables)
    for name, frame in written.tables.items():
        expected = without_empty_tail(frame) if sheets else frame
        assert_frame_equal(read[name], expected, check_exact=True)


@pytest.mark.parametrize("fmt", FORMATS)
@given(dataset=datasets())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_round_trip_is_exact(fmt: str, dataset: Dataset, tmp_path: Path) -> None:
    path = write_dataset(dataset, tmp_path / f"out.{fmt}", fmt, overwrite=True)  # type: ignore[arg-type]
    assert_same_tables(dataset, read_dataset(path), sheets=fmt == "xlsx")


def sample() -> Dataset:
    return Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {
                    "firm_id": ["F1", "F2"],
                    "name": ['Acme, "the" 株式会社\nTokyo', "Beta"],
                    "country": ["JP", "US"],
                    "revenue_jpy": [0.1 + 0.2, 1e300],
                    "employees": [12, None],
                    "has_successor": [True, None],
                    "observed_at": [dt.date(2024, 3, 31), None],
                    "remarks": ["kept", ""],
                }
            ),
            "supplies": pl.DataFrame(
                {"supplier_id": ["F1"], "customer_id": ["F2"], "share": [1 / 3]}
            ),
        }
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_keeps_floats_text_and_extra_columns(fmt: str, tmp_path: Path) -> None:
    dataset = sample()
    path = tmp_path / ("out.xlsx" if fmt == "xlsx" else "out")
    back = read_dataset(write_dataset(dataset, path, fmt))  # type: ignore[arg-type]
    assert_same_tables(dataset, back)
    assert back.firms["revenue_jpy"][0] == 0.30000000000000004
    assert back.firms.columns[-1] == "remarks"


def test_csv_floats_keep_every_digit(tmp_path: Path) -> None:
    values = [0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, -0.0, 2.0**60 + 1]
    dataset = Dataset.from_frames(
        {
            "items": pl.DataFrame(
                {
                    "item_id": ["a"] * 6,
                    "name": ["n"] * 6,
                    "kind": ["system"] * 6,
                    "unit_cost_jpy": values,
                }
            )
        }
    )
    folder = write_dataset(dataset, tmp_path / "d", "csv")
    text = (folder / "items.csv").read_text(encoding="utf-8-sig")
    assert "0.30000000000000004" in text
    assert read_dataset(folder).items["unit_cost_jpy"].to_list() == values


def test_columns_are_written_in_schema_order_then_extras(tmp_path: Path) -> None:
    frame = pl.DataFrame({"extra": ["x"], "country": ["JP"], "name": ["A"], "firm_id": ["F"]})
    folder = write_dataset(Dataset.from_frames({"firms": frame}), tmp_path / "d", "csv")
    header = (folder / "firms.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["firm_id", "name", "country"]
    assert header[-1] == "extra"
    assert header[:-1] == list(TABLES["firms"].column_names)


# --- writing refuses to destroy ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_refuses_a_non_empty_folder_unless_overwrite(fmt: str, tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match=r"not empty.*overwrite"):
        write_dataset(sample(), folder, fmt)  # type: ignore[arg-type]
    write_dataset(sample(), folder, fmt, overwrite=True)  # type: ignore[arg-type]
    assert (folder / "notes.txt").read_text() == "mine"


def test_overwrite_removes_table_files_of_the_previous_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    write_dataset(sample(), folder, "csv")
    firms_only = Dataset.from_frames({"firms": sample().firms})
    write_dataset(firms_only, folder, "parquet", overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == ["firms.parquet"]
    assert list(read_dataset(folder).tables) == ["firms"]


def test_write_xlsx_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    path.write_bytes(b"keep")
    with pytest.raises(DatasetError, match=r"exists.*overwrite"):
        write_dataset(sample(), path, "xlsx")
    assert path.read_bytes() == b"keep"
    write_dataset(sample(), path, "xlsx", overwrite=True)
    assert read_dataset(path).row_counts() == {"firms": 2, "supplies": 1}


def test_write_refuses_unknown_formats_and_empty_datasets(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown dataset format 'json'"):
        write_dataset(sample(), tmp_path / "d", "json")  # type: ignore[arg-type]
    with pytest.raises(DatasetError, match="no tables"):
        write_dataset(Dataset.from_frames({}), tmp_path / "d", "csv")


# --- what is read, and from where ------------------------------------------------------------


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


FIRMS_CSV = "firm_id,name,country\nF1,Acme,JP\nF2,Beta,US\n"


def test_reads_a_csv_folder_with_locations(tmp_path: Path) -> None:
    write_text(tmp_path / "d" / "firms.csv", FIRMS_CSV)
    write_text(tmp_path / "d" / "Supplies.CSV", "supplier_id,customer_id\nF1,F2\n")
    dataset = read_dataset(tmp_path / "d")
    assert dataset.row_counts() == {"firms": 2, "supplies": 1}
    assert dataset.locations == {
        "firms": str(tmp_path / "d" / "firms.csv"),
        "supplies": str(tmp_path / "d" / "Supplies.CSV"),
    }
    assert dataset.source == str(tmp_path / "d")
    assert dataset.read_issues.height == 0


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_folder_names_are_not_patterns(tmp_path: Path, fmt: str) -> None:
    folder = write_dataset(sample(), tmp_path / "survey [2024]*", fmt)  # type: ignore[arg-type]
    assert read_dataset(folder).row_counts() == {"firms": 2, "supplies": 1}


def test_reads_a_single_table_file(tmp_path: Path) -> None:
    dataset = read_dataset(write_text(tmp_path / "firms.csv", FIRMS_CSV))
    assert dataset.row_counts() == {"firms": 2}
    with pytest.raises(DatasetError, match="named like a table"):
        read_dataset(write_text(tmp_path / "survey.csv", FIRMS_CSV))


def test_values_of_the_wrong_type_are_reported_not_raised(tmp_path: Path) -> None:
    write_text(tmp_path / "d" / "firms.csv", "firm_id,name,country,employees\nF1,A,JP,many\n")
    issues = read_dataset(tmp_path / "d").read_issues
    assert issues.select("table", "row", "column", "value", "rule").rows() == [
        ("firms", 2, "employees", "many", Rule.TYPE.value)
    ]


def test_unknown_files_are_a_warning_and_other_files_are_ignored(tmp_path: Path) -> None:
    write_text(tmp_path / "d" / "firms.csv", FIRMS_CSV)
    write_text(tmp_path / "d" / "notes.csv", "anything\n")
    write_text(tmp_path / "d" / "README.txt", "hello")
    write_text(tmp_path / "d" / ".~lock.firms.csv#", "lock")
    dataset = read_dataset(tmp_path / "d")
    assert list(dataset.tables) == ["firms"]
    warnings = dataset.read_issues.select("severity", "table", "rule").rows()
    assert warnings == [("warning", "notes", Rule.UNKNOWN_TABLE.value)]
    assert dataset.locations["notes"] == str(tmp_path / "d" / "notes.csv")


def test_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    dataset = read_dataset(write_text(tmp_path / "firms.csv", "\ufeff" + FIRMS_CSV))
    assert dataset.firms["firm_id"].to_list() == ["F1", "F2"]
    assert dataset.read_issues.height == 0


def test_header_only_file_is_an_empty_table(tmp_path: Path) -> None:
    dataset = read_dataset(write_text(tmp_path / "firms.csv", "firm_id,name,country\n"))
    assert dataset.row_counts() == {"firms": 0}


def test_blank_lines_at_the_end_are_not_rows(tmp_path: Path) -> None:
    dataset = read_dataset(write_text(tmp_path / "firms.csv", FIRMS_CSV + "\n\r\n\n"))
    assert dataset.row_counts() == {"firms": 2}
    assert dataset.read_issues.height == 0


def test_a_blank_line_inside_keeps_row_numbers_as_the_file_shows_them(tmp_path: Path) -> None:
    text = "firm_id,name,country\nF1,A,JP\n\nF3,C,JP\n"
    dataset = read_dataset(write_text(tmp_path / "firms.csv", text))
    assert dataset.firms["firm_id"].to_list() == ["F1", None, "F3"]


def test_quoted_line_breaks_commas_and_quotes(tmp_path: Path) -> None:
    text = 'firm_id,name,country\nF1,"Acme, ""Big""\nWorks",JP\n'
    dataset = read_dataset(write_text(tmp_path / "firms.csv", text))
    assert dataset.firms["name"].to_list() == ['Acme, "Big"\nWorks']


def test_trailing_commas_on_every_line_are_ignored(tmp_path: Path) -> None:
    text = "firm_id,name,country,\nF1,A,JP,\n"
    dataset = read_dataset(write_text(tmp_path / "firms.csv", text))
    assert dataset.firms.columns == list(TABLES["firms"].column_names)
    assert dataset.read_issues.height == 0


def test_values_under_an_empty_header_are_kept_as_an_unknown_column(tmp_path: Path) -> None:
    text = "firm_id,name,country,\nF1,A,JP,see note\n"
    dataset = read_dataset(write_text(tmp_path / "firms.csv", text))
    assert dataset.firms["(column 4)"].to_list() == ["see note"]
    assert dataset.read_issues["rule"].to_list() == [Rule.UNKNOWN_COLUMN.value]


# --- what cannot be read ---------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        read_dataset(tmp_path / "nowhere")


def test_folder_without_dataset_files(tmp_path: Path) -> None:
    write_text(tmp_path / "d" / "survey.xlsx", "x")
    with pytest.raises(DatasetError, match=r"no dataset files.*firms\.csv.*give the file itself"):
        read_dataset(tmp_path / "d")


def test_not_a_dataset_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a dataset"):
        read_dataset(write_text(tmp_path / "firms.json", "{}"))


def test_a_table_in_two_files_is_ambiguous(tmp_path: Path) -> None:
    write_text(tmp_path / "d" / "firms.csv", FIRMS_CSV)
    pl.read_csv(tmp_path / "d" / "firms.csv").write_parquet(tmp_path / "d" / "firms.parquet")
    with pytest.raises(DatasetError, match=r"both firms\.csv and firms\.parquet"):
        read_dataset(tmp_path / "d")


def test_empty_file(tmp_path: Path) -> None:
    write_text(tmp_path / "d" / "firms.csv", "")
    with pytest.raises(DatasetError, match=r"firms\.csv is empty \(0 bytes\)"):
        read_dataset(tmp_path / "d")


def test_semicolon_separated_csv(tmp_path: Path) -> None:
    path = write_text(tmp_path / "firms.csv", "firm_id;name;country\nF1;A;JP\n")
    with pytest.raises(DatasetError, match="separated by ';'; kiban reads comma-separated"):
        read_dataset(path)


def test_compressed_or_zipped_csv(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_bytes(gzip.compress(FIRMS_CSV.encode()))
    with pytest.raises(DatasetError, match=r"not CSV text: it is compressed \(gzip\)"):
        read_dataset(path)
    write_dataset(sample(), tmp_path / "s.xlsx", "xlsx")
    (tmp_path / "s.xlsx").rename(path)
    with pytest.raises(DatasetError, match="zip archive, perhaps an Excel workbook"):
        read_dataset(path)


def test_file_without_header(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no header row"):
        read_dataset(write_text(tmp_path / "firms.csv", "\n\n"))


def test_shift_jis_csv_names_the_line_and_the_fix(tmp_path: Path) -> None:
    text = "firm_id,name,country\nF1,Acme,JP\nF2,三菱重工業,JP\n"
    path = write_text(tmp_path / "firms.csv", text, encoding="cp932")
    with pytest.raises(DatasetError) as caught:
        read_dataset(path)
    message = str(caught.value)
    assert str(path) in message
    assert "not UTF-8" in message
    assert "line 3" in message
    assert "Shift-JIS" in message
    assert "CSV UTF-8" in message


def test_bad_byte_far_into_a_file_is_located(tmp_path: Path) -> None:
    # Past the first 16 MiB read, so the line count carries across chunks.
    rows = "".join(f"F{i},名前{i},JP\n" for i in range(1_000_000))
    path = tmp_path / "firms.csv"
    path.write_bytes(("firm_id,name,country\n" + rows).encode() + b"Fx,\xff,JP\n")
    assert path.stat().st_size > 1 << 24
    with pytest.raises(DatasetError, match=r"line 1000002:? "):
        read_dataset(path)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("firm_id,name,country\nF1,A,JP\nF2,B,JP,extra\n", 3, "4 field"),
        ("firm_id,name,country\nF1,A,JP\nF2,B\nF3,C,JP\n", 3, "2 field"),
        ('firm_id,name,country\nF1,"A\nB",JP\nF2,B\nF3,C,JP\n', 4, "2 field"),
        ('firm_id,name,country\nF1,A,JP\nF2,"B,JP\nF3,C,JP\n', 3, "never closed"),
    ],
    ids=["long row", "short row", "short row after a quoted line break", "unclosed quote"],
)
def test_malformed_csv_names_the_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = write_text(tmp_path / "firms.csv", text)
    with pytest.raises(DatasetError, match=rf"firms\.csv, line {line}: .*{what}"):
        read_dataset(path)


@pytest.mark.parametrize("header", ["firm_id,name,country,name", "firm_id,Name,country, name "])
def test_duplicate_column_names(tmp_path: Path, header: str) -> None:
    path = write_text(tmp_path / "firms.csv", header + "\nF1,A,JP,B\n")
    with pytest.raises(DatasetError, match=r"same column more than once: .*name"):
        read_dataset(path)


def test_a_2_gb_file_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "d" / "supplies.csv"
    path.parent.mkdir()
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: takes no disk and no time
    start = time.perf_counter()
    with pytest.raises(DatasetError) as caught:
        read_dataset(path.parent)
    assert time.perf_counter() - start < 5  # refused before reading, not after
    message = str(caught.value)
    assert "2.00 GiB" in message
    assert "1.00 GiB" in message
    assert MAX_FILE_BYTES_ENV in message
    assert "Parquet" in message
    assert DEFAULT_MAX_FILE_BYTES == 1024**3


def test_the_limit_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_text(tmp_path / "firms.csv", FIRMS_CSV)
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, "10")
    with pytest.raises(DatasetError, match="over the limit"):
        read_dataset(path)
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, "lots")
    with pytest.raises(DatasetError, match=f"{MAX_FILE_BYTES_ENV} must be a positive"):
        read_dataset(path)
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, "1_000")
    assert read_dataset(path).row_counts() == {"firms": 2}


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_parquet(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "d" / "firms.parquet"
    path.parent.mkdir()
    pl.DataFrame({"firm_id": ["F1"] * 1000, "name": ["A"] * 1000}).write_parquet(path)
    raw = path.read_bytes()
    damaged = {"truncate": raw[: len(raw) // 2], "garbage": b"not parquet at all", "empty": b""}
    path.write_bytes(damaged[damage])
    with pytest.raises(DatasetError, match=r"firms\.parquet (is not a readable Parquet|is empty)"):
        read_dataset(path.parent)


def test_parquet_types_from_other_tools_are_read(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "firm_id": pl.Series(["F1", "F2"], dtype=pl.Categorical),
            "name": ["A", "B"],
            "country": ["JP", "JP"],
            "revenue_jpy": pl.Series(["12.50", "3"], dtype=pl.Decimal(10, 2)),
            "employees": pl.Series([3, 4], dtype=pl.Int32),
            # 23:00 in Tokyo is still the 31st there (14:00 UTC).
            "observed_at": pl.Series([dt.datetime(2024, 3, 31, 23, 0), None]).dt.replace_time_zone(
                "Asia/Tokyo"
            ),
        }
    )
    path = tmp_path / "firms.parquet"
    frame.write_parquet(path)
    dataset = read_dataset(path)
    assert dataset.read_issues.height == 0
    assert dataset.firms.select("firm_id", "revenue_jpy", "employees", "observed_at").rows() == [
        ("F1", 12.5, 3, dt.date(2024, 3, 31)),
        ("F2", 3.0, 4, None),
    ]


def test_nested_parquet_columns_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "firms.parquet"
    pl.DataFrame({"firm_id": ["F1"], "tags": [["a", "b"]]}).write_parquet(path)
    with pytest.raises(DatasetError, match="column 'tags' holds List"):
        read_dataset(path)


def test_nan_and_infinity_survive_csv(tmp_path: Path) -> None:
    dataset = Dataset.from_frames(
        {
            "supplies": pl.DataFrame(
                {"supplier_id": ["a"], "customer_id": ["b"], "share": [math.inf]}
            )
        }
    )
    back = read_dataset(write_dataset(dataset, tmp_path / "d", "csv"))
    assert back.supplies["share"].to_list() == [math.inf]
