"""Pure, stateless normalisers: one value in, one comparable value out.

Each function raises :class:`~identilink.errors.NormalizationError` for a value it cannot
normalise; :func:`normalize_column` applies one to a whole column, once per distinct value,
and turns failures into nulls that it counts.
"""

from __future__ import annotations

from identilink.normalize._column import ColumnReport, normalize_column
from identilink.normalize.dates import normalize_date
from identilink.normalize.email import Email, normalize_email
from identilink.normalize.phone import Phone, normalize_phone
from identilink.normalize.text import (
    normalize_gender,
    normalize_handle,
    normalize_id,
    normalize_name,
    normalize_postcode,
    normalize_street,
    normalize_text,
)

__all__ = [
    "ColumnReport",
    "Email",
    "Phone",
    "normalize_column",
    "normalize_date",
    "normalize_email",
    "normalize_gender",
    "normalize_handle",
    "normalize_id",
    "normalize_name",
    "normalize_phone",
    "normalize_postcode",
    "normalize_street",
    "normalize_text",
]
