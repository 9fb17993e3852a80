from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from identilink import InputDataError, InputFileError, read_table, write_table
from identilink._io import to_pandas


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".json", ".jsonl"])
def test_round_trip_by_extension(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"id": ["1", "2"], "postcode": ["0800", None]})
    path = tmp_path / "sub" / f"data{suffix}"
    write_table(frame, path)
    back = read_table(path)
    assert back["id"].astype(str).tolist() == ["1", "2"]
    if suffix in {".csv", ".tsv", ".parquet"}:
        assert back["postcode"].tolist()[0] == "0800"  # leading zeros survive
        assert pd.isna(back["postcode"].tolist()[1])


def test_csv_strips_spaces_after_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "febrl.csv"
    path.write_text("rec_id, given_name\nrec-1, anna\n")
    assert read_table(path).to_dict("records") == [{"rec_id": "rec-1", "given_name": "anna"}]


def test_duplicate_columns_are_an_error() -> None:
    with pytest.raises(InputDataError, match="duplicate column"):
        to_pandas(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputFileError, match="cannot write"):
        write_table(pd.DataFrame({"a": [1]}), blocker / "out.csv")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputFileError, match="directory"):
        read_table(tmp_path / "d.csv")


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_csv_delimiter_read_from_the_header(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "semi.csv"
    path.write_text(f"id{sep}first_name{sep}city\n1{sep}anna{sep}Graz, Styria\n")
    assert read_table(path).to_dict("records") == [
        {"id": "1", "first_name": "anna", "city": "Graz, Styria"}
    ]
