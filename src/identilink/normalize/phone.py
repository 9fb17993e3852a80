"""Phone numbers through phonenumbers, to E.164."""

from __future__ import annotations

from functools import lru_cache

import attrs
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from identilink.errors import NormalizationError

__all__ = ["Phone", "normalize_phone"]

_TYPE_NAMES = {
    value: name.lower()
    for name, value in vars(PhoneNumberType).items()
    if not name.startswith("_") and isinstance(value, int)
}


@attrs.frozen
class Phone:
    """A normalised phone number, keeping what was observed and its number type."""

    original: str
    e164: str
    number_type: str


def normalize_phone(value: object, /, *, region: str = "US") -> Phone:
    """Parse one number with ``region`` as the default country; E.164 out.

    Numbers that phonenumbers cannot parse, or that are not even *possible* numbers
    (wrong length for their country), are errors.

    >>> normalize_phone("(201) 555-0123", region="US").e164
    '+12015550123'
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    if not isinstance(value, str):
        raise NormalizationError(value, f"expected text, got {type(value).__name__}")
    return _parse(value, region)


@lru_cache(maxsize=65536)
def _parse(value: str, region: str) -> Phone:
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException as exc:
        raise NormalizationError(value, exc._msg) from None
    if not phonenumbers.is_possible_number(number):
        raise NormalizationError(value, "not a possible phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kind = _TYPE_NAMES.get(phonenumbers.number_type(number), "unknown")
    return Phone(original=value, e164=e164, number_type=kind)
