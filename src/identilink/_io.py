"""Input conversion (pandas, polars, pyarrow, dicts) and CSV/Parquet/JSON files."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from identilink.errors import InputDataError, InputFileError

__all__ = ["read_table", "to_pandas", "write_table"]

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_FORMATS |= {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def to_pandas(data: object, /, *, name: str = "input") -> pd.DataFrame:
    """A pandas DataFrame from a pandas/polars DataFrame, a pyarrow Table or dict rows."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif type(data).__module__.startswith("polars") or type(data).__module__.startswith("pyarrow"):
        frame = data.to_pandas()  # type: ignore[attr-defined]
    elif isinstance(data, str | bytes | Path):
        raise InputDataError(
            f"{name} is a path; read it with identilink.read_table({str(data)!r}) first"
        )
    elif isinstance(data, Mapping):
        raise InputDataError(f"{name} is a single mapping; pass an iterable of dict rows")
    elif isinstance(data, Iterable):
        rows = list(data)
        bad = next((i for i, r in enumerate(rows) if not isinstance(r, Mapping)), None)
        if bad is not None:
            raise InputDataError(
                f"{name} row {bad} is a {type(rows[bad]).__name__}, expected a dict"
            )
        frame = pd.DataFrame.from_records(rows)
    else:
        raise InputDataError(
            f"{name} must be a pandas or polars DataFrame, a pyarrow Table or an iterable "
            f"of dicts, not {type(data).__name__}"
        )
    if frame.columns.duplicated().any():
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InputDataError(f"{name} has duplicate column names {dupes}")
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _format(path: Path) -> str:
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        raise InputFileError(
            f"{path}: unsupported file type {path.suffix!r}; use one of {sorted(_FORMATS)}"
        ) from None


def _delimiter(path: Path, encoding: str) -> str:
    """``,`` unless the header line is clearly split by ``;``, tab or ``|`` instead."""
    try:
        with path.open(encoding=encoding, errors="replace") as f:
            header = f.readline()
    except OSError:
        return ","
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _read_csv(path: Path, fmt: str, encoding: str) -> pd.DataFrame:
    return pd.read_csv(
        path,
        sep=_delimiter(path, encoding) if fmt == "csv" else "\t",
        index_col=False,  # a row with extra fields is an error, not an index
        dtype=str,
        keep_default_na=False,
        na_values=["", "NULL", "null", "NaN", "nan", "N/A", "n/a", "None"],
        skipinitialspace=True,
        encoding=encoding,
    )


def read_table(path: str | Path, /, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Read CSV/TSV (all columns as text), Parquet, JSON or JSON Lines by extension."""
    path = Path(path)
    fmt = _format(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a file")
    try:
        if fmt in {"csv", "tsv"}:
            with warnings.catch_warnings():
                # pandas only warns when a row has more fields than the header: never drop data
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = _read_csv(path, fmt, encoding)
        elif fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_json(path, lines=fmt == "jsonl", dtype=False)
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path}: not valid {encoding} text (byte {exc.start}); "
            "convert it to UTF-8 or pass the right encoding"
        ) from None
    except pd.errors.ParserWarning as exc:
        raise InputFileError(f"{path}: a row has more fields than the header ({exc})") from None
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(f"{path}: cannot read as {fmt}: {first}") from None
    except Exception as exc:  # pyarrow raises its own error classes for corrupt files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(f"{path}: cannot read as {fmt}: {first}") from None
    return to_pandas(frame, name=str(path))


def _lists_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells holding lists (golden records' ``<column>__all``) as text with ``; `` between
    values, the form a cell of several values is read back in."""
    listed = [  # a C-level scan of the types (a Python test per cell took seconds on pairs)
        c
        for c in frame.columns
        if frame[c].dtype == object and list in set(map(type, frame[c].to_numpy()))
    ]
    if not listed:
        return frame
    out = frame.copy(deep=False)
    for c in listed:
        out[c] = frame[c].map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
    return out


def write_table(frame: pd.DataFrame, path: str | Path, /, **kwargs: Any) -> None:
    """Write CSV/TSV, Parquet, JSON or JSON Lines by extension, creating parent folders."""
    path = Path(path)
    fmt = _format(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt in {"csv", "tsv"}:
            frame = _lists_as_text(frame)
            frame.to_csv(path, index=False, sep="," if fmt == "csv" else "\t", **kwargs)
        elif fmt == "parquet":
            frame.to_parquet(path, index=False, **kwargs)
        else:
            frame.to_json(path, orient="records", lines=fmt == "jsonl", **kwargs)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot write: {exc.strerror or exc}") from None
