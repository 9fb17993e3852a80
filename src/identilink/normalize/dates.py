"""Dates in the common written formats, to ISO ``YYYY-MM-DD``."""

from __future__ import annotations

import datetime as dt
import re

from identilink.errors import NormalizationError

__all__ = ["normalize_date"]

_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_WORDY = re.compile(r"^(\d{1,2})\s*([a-z]+)\.?,?\s*(\d{4})$|^([a-z]+)\.?\s*(\d{1,2}),?\s*(\d{4})$")


def _make(year: int, month: int, day: int, value: object) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError as exc:
        raise NormalizationError(value, str(exc)) from None


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:  # two-digit years: 00-29 -> 2000s, else 1900s
        year += 2000 if year < 30 else 1900
    return year


def normalize_date(value: object, /, *, dayfirst: bool = True) -> str:
    """Parse one date; ``dayfirst`` decides ``01/02/2000`` (1 Feb when true, 2 Jan when false).

    Unambiguous forms (``2000-02-01``, ``20000201``, ``1 Feb 2000``, ``Feb 1, 2000``,
    ``13/02/2000``) are read the same way whatever ``dayfirst`` says.

    >>> normalize_date("19560409")
    '1956-04-09'
    """
    if isinstance(value, dt.datetime | dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif isinstance(value, float) and value.is_integer():
        value = str(int(value))
    if not isinstance(value, str):
        raise NormalizationError(value, f"expected a date, got {type(value).__name__}")
    text = value.strip().lower()
    if m := _COMPACT.match(text):
        return _make(int(m[1]), int(m[2]), int(m[3]), value)
    if m := _ISO.match(text):
        return _make(int(m[1]), int(m[2]), int(m[3]), value)
    if m := _NUMERIC.match(text):
        first, second, year = int(m[1]), int(m[2]), _year(m[3])
        if first > 12 or (dayfirst and second <= 12):
            day, month = first, second
        else:
            month, day = first, second
        return _make(year, month, day, value)
    if m := _WORDY.match(text):
        day_text, month_name, year_text = (m[1], m[2], m[3]) if m[1] else (m[5], m[4], m[6])
        month_number = _MONTHS.get(month_name)
        if month_number is None:
            raise NormalizationError(value, f"unknown month {month_name!r}")
        return _make(int(year_text), month_number, int(day_text), value)
    raise NormalizationError(value, "not a date in a known format")
