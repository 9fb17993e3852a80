"""Apply a scalar normaliser to a whole column, once per distinct value."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from identilink.errors import NormalizationError

__all__ = ["ColumnReport", "normalize_column", "normalized_codes", "normalized_value_sets"]

_MAX_EXAMPLES = 5
_BULK_FROM = 64  # fewer distinct values than this: the per-value path costs less
_NONE = np.array([None], dtype=object)


@attrs.frozen
class ColumnReport:
    """What normalising one column did: how many values were rejected, with examples."""

    column: str
    role: str
    n_values: int
    n_null: int
    n_invalid: int
    examples: tuple[tuple[str, str], ...] = ()  # (raw value, reason)

    def to_dict(self) -> dict[str, object]:
        return {
            "column": self.column,
            "role": self.role,
            "n_values": self.n_values,
            "n_null": self.n_null,
            "n_invalid": self.n_invalid,
            "examples": [list(e) for e in self.examples],
        }


def _is_blank(value: object) -> bool:
    return isinstance(value, str) and not value.strip()


def normalize_column(
    values: pd.Series,
    func: Callable[[object], str],
    /,
    *,
    column: str,
    role: str,
    quick: Callable[[object], str | None] | None = None,
    bulk: Callable[[npt.NDArray[np.object_]], npt.NDArray[np.object_]] | None = None,
) -> tuple[npt.NDArray[np.object_], ColumnReport]:
    """Normalise every value of ``values``; invalid ones become ``None`` and are counted.

    ``func`` runs once per distinct non-null value, so repeated values cost nothing.
    ``quick``, where given, is tried first: the same answer as ``func`` for the common case,
    ``None`` for the rest (which ``func`` then handles, with its reasons); ``bulk`` as in
    :func:`normalized_codes`.
    Returns an object array of normalised strings (``None`` for null or invalid) and a report.
    """
    codes, uniques, report = normalized_codes(
        values, func, column=column, role=role, quick=quick, bulk=bulk
    )
    return decode(codes, uniques), report


def decode(
    codes: npt.NDArray[np.int64], uniques: npt.NDArray[np.object_]
) -> npt.NDArray[np.object_]:
    """The values the codes stand for, ``None`` for code ``-1``."""
    lookup = np.empty(len(uniques) + 1, dtype=object)
    lookup[:-1] = uniques
    lookup[-1] = None  # code -1 picks it
    out: npt.NDArray[np.object_] = lookup[codes]
    return out


def normalized_codes(
    values: pd.Series,
    func: Callable[[object], str],
    /,
    *,
    column: str,
    role: str,
    quick: Callable[[object], str | None] | None = None,
    bulk: Callable[[npt.NDArray[np.object_]], npt.NDArray[np.object_]] | None = None,
    factorized: tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], ColumnReport]:
    """:func:`normalize_column` as integer codes (``-1`` for null or invalid) and the
    distinct normalised values, numbered in order of first appearance: what
    ``pd.factorize`` of the normalised column gives, without a pass over every row.

    ``bulk``, where given, goes first: the distinct values in, for each the answer of
    ``quick`` (or ``func``) or ``None`` where it does not decide, in one vectorised call.
    ``factorized``: ``pd.factorize`` of ``values``, where the caller has it already.
    """
    examples: list[tuple[str, str]] = []
    n_nested = 0
    try:
        codes, uniques = (
            factorized if factorized is not None else pd.factorize(values, use_na_sentinel=True)
        )
    except TypeError:  # unhashable containers (from JSON input) are rejected, not crashed on
        nested = values.map(lambda v: isinstance(v, list | dict | set | tuple)).to_numpy(np.bool_)
        n_nested = int(nested.sum())
        examples.append((str(values[nested].iloc[0])[:200], "a nested value, not a scalar"))
        values = values.mask(pd.Series(nested, index=values.index))
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    invalid_codes: list[int] = []
    blank_codes: list[int] = []
    mapped = np.full(len(uniques), None, dtype=object)
    todo: Iterable[int] = range(len(uniques))
    if bulk is not None and len(uniques) >= _BULK_FROM:
        mapped[:] = bulk(np.asarray(uniques, dtype=object))
        todo = np.flatnonzero(pd.isna(mapped)).tolist()  # the values it left undecided
    for i in todo:
        raw = uniques[i]
        if quick is not None and (done := quick(raw)) is not None:
            mapped[i] = done
            continue
        if _is_blank(raw):
            blank_codes.append(i)
            continue
        try:
            mapped[i] = func(raw)
        except NormalizationError as exc:
            invalid_codes.append(i)
            if len(examples) < _MAX_EXAMPLES:
                examples.append((str(raw)[:200], exc.reason))
    n_invalid = int(np.isin(codes, invalid_codes).sum()) if invalid_codes else 0
    n_invalid += n_nested
    n_blank = int(np.isin(codes, blank_codes).sum()) if blank_codes else 0
    report = ColumnReport(
        column=column,
        role=role,
        n_values=len(values),
        n_null=int((codes < 0).sum()) - n_nested + n_blank,
        n_invalid=n_invalid,
        examples=tuple(examples),
    )
    # number the normalised values (few: one per distinct raw value) and map every row
    # through them; raw values come in order of first appearance, so do these
    out_codes, out_uniques = pd.factorize(np.concatenate([mapped, _NONE]))
    out_codes = out_codes.astype(np.int64, copy=False)  # the trailing None is code -1
    return out_codes[codes], np.asarray(out_uniques, dtype=object), report


#: a record's several values: ``(record, code)`` for every distinct value of each record
#: that holds more than one, records ascending
ValueSets = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


def _elements(value: object, separators: str) -> list[object] | None:
    """The values of a multi-valued cell (a list, tuple or array; or a text with one of
    ``separators`` between values), ``None`` for a single value."""
    if isinstance(value, list | tuple | np.ndarray):
        return list(value)
    if separators and isinstance(value, str) and any(s in value for s in separators):
        for s in separators[1:]:
            value = value.replace(s, separators[0])
        return [part.strip() for part in value.split(separators[0])]
    return None


def _holds_several(distinct: npt.NDArray[np.object_], separators: str) -> bool:
    """Does any of a column's distinct values hold several? (C-level scans: a Python test
    per value cost 0.2 s a column at a million records.)"""
    listed = distinct.tolist()
    kinds = set(map(type, listed))
    if kinds - {str, int, float, bool}:
        return any(_elements(v, separators) is not None for v in listed)
    if not separators or str not in kinds:
        return False
    text = "\x00".join(listed if kinds == {str} else [v for v in listed if type(v) is str])
    return any(s in text for s in separators)


def normalized_value_sets(
    values: pd.Series,
    func: Callable[[object], str],
    /,
    *,
    column: str,
    role: str,
    separators: str = "",
    quick: Callable[[object], str | None] | None = None,
    bulk: Callable[[npt.NDArray[np.object_]], npt.NDArray[np.object_]] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], ColumnReport, ValueSets | None]:
    """:func:`normalized_codes` for a column whose cells may hold several values: a list,
    tuple or array, or a text with one of ``separators`` between values.

    Each value of a cell is normalised on its own and counted in the report as a value
    (rejected ones with their reason). Per record, the code is its first valid value;
    the value sets (``None`` when no cell holds several) give every valid value of the
    records that hold more than one. Columns without such cells take
    :func:`normalized_codes` unchanged, after one look at their distinct values.
    """
    cells = values.to_numpy(dtype=object)
    try:
        factorized = pd.factorize(cells, use_na_sentinel=True)
    except TypeError:  # unhashable cells: lists or arrays (or a dict, rejected below)
        factorized = None
    if factorized is not None and not _holds_several(factorized[1], separators):
        codes, uniques, report = normalized_codes(
            values,
            func,
            column=column,
            role=role,
            quick=quick,
            bulk=bulk,
            factorized=(factorized[0].astype(np.int64, copy=False), factorized[1]),
        )
        return codes, uniques, report, None
    parts = [_elements(v, separators) for v in cells]
    counts = np.array([1 if p is None else len(p) for p in parts], dtype=np.int64)
    # fromiter, not an assignment: numpy would read values that are lists as rows
    flat = np.fromiter(
        (e for v, p in zip(cells, parts, strict=True) for e in ([v] if p is None else p)),
        dtype=object,
        count=int(counts.sum()),
    )
    owner = np.repeat(np.arange(len(cells), dtype=np.int64), counts)
    element_codes, uniques, report = normalized_codes(
        pd.Series(flat, dtype=object), func, column=column, role=role, quick=quick, bulk=bulk
    )
    valid = element_codes >= 0
    owner, element_codes = owner[valid], element_codes[valid]
    # each record's distinct values, in the order they came (a stable sort by record, then
    # the first of each (record, value))
    width = np.int64(len(uniques) + 1)
    _, first = np.unique(owner * width + element_codes, return_index=True)
    first.sort()
    owner, element_codes = owner[first], element_codes[first]
    codes = np.full(len(cells), -1, dtype=np.int64)
    head = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.zeros(0, dtype=bool)
    codes[owner[head]] = element_codes[head]
    per_record = np.bincount(owner, minlength=len(cells))
    many = per_record[owner] > 1
    sets = (owner[many], element_codes[many])
    return codes, uniques, report, (sets if len(sets[0]) else None)
