"""Phone numbers through phonenumbers, to E.164."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import attrs
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from identilink.errors import NormalizationError
from identilink.normalize.blocklist import _phone_reason

__all__ = ["Phone", "is_valid_e164", "national_number", "normalize_phone", "parsed_e164"]

_TYPE_NAMES = {
    value: name.lower()
    for name, value in vars(PhoneNumberType).items()
    if not name.startswith("_") and isinstance(value, int)
}


@attrs.frozen
class Phone:
    """A normalised phone number, keeping what was observed; its number type on demand."""

    original: str
    e164: str

    @property
    def number_type(self) -> str:
        """``mobile``, ``fixed_line``, ``toll_free``, ... from phonenumbers' metadata."""
        return _type_of(self.e164)


@lru_cache(maxsize=65536)
def _type_of(e164: str) -> str:
    return _TYPE_NAMES.get(phonenumbers.number_type(parsed_e164(e164)), "unknown")


_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")


def parsed_e164(e164: str, /) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse`` of an E.164 string; a North American one (``+1`` and ten ASCII
    digits, the first 2-9) is built directly: what the parser would give it (a country code
    and a national number, no leading zero), for less than half of a validity check's cost."""
    if _NANP_E164.fullmatch(e164):
        return phonenumbers.PhoneNumber(country_code=1, national_number=int(e164[2:]))
    return phonenumbers.parse(e164)


def is_valid_e164(e164: str, /) -> bool:
    """``phonenumbers.is_valid_number`` of an E.164 string. A +1 number valid in the US is
    valid: phonenumbers gives a +1 number the first region of +1 whose number types it
    fits, and the US comes first with no leading-digits rule (a test holds both facts), so
    the other regions are only tried for the numbers the US does not take."""
    in_us = _valid_for("US", e164[2:]) if _NANP_E164.fullmatch(e164) else None
    if in_us:
        return True
    number = parsed_e164(e164)
    us_unknown = in_us is None and number.country_code == 1
    if us_unknown and phonenumbers.is_valid_number_for_region(number, "US"):
        return True
    return bool(phonenumbers.is_valid_number(number))


_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


@cache
def _types_of(region: str) -> tuple[frozenset[int], re.Pattern[str], re.Pattern[str]] | None:
    """Lengths, general pattern and one pattern of every number type of ``region``: what
    phonenumbers' validity check for the region tries one type at a time (4.5 us a number,
    against 0.4). Built from phonenumbers' own metadata, and only where every type allows
    the same lengths (else ``None``: ask phonenumbers)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    whole = None if metadata is None else metadata.general_desc
    if whole is None or not whole.national_number_pattern:
        return None
    descs = [getattr(metadata, name) for name in _TYPES]
    descs = [d for d in descs if d is not None and d.national_number_pattern]
    lengths = {tuple(d.possible_length) for d in [whole, *descs]}
    if len(lengths) != 1 or not descs:
        return None
    [allowed] = lengths
    if not allowed or min(allowed) < 1:
        return None
    types = "|".join(f"(?:{d.national_number_pattern})" for d in descs)
    general = re.compile(whole.national_number_pattern)
    return frozenset(allowed), general, re.compile(types)


def _valid_for(region: str, nsn: str) -> bool | None:
    """Whether ``nsn`` is a valid national number of ``region``, or ``None`` (not known
    here: ask phonenumbers)."""
    types = _types_of(region)
    if types is None:
        return None
    lengths, general, any_type = types
    return len(nsn) in lengths and bool(general.fullmatch(nsn)) and bool(any_type.fullmatch(nsn))


#: default regions whose numbers the fast paths may read as North American
NANP_REGIONS = frozenset({"US", "CA"})
_NANP = re.compile(
    r"\s*(?:\+\s*1|1)?[\s.\-]*(\(\s*[2-9]\d{2}\s*\)|[2-9]\d{2})[\s.\-]*([2-9]\d{2})[\s.\-]*(\d{4})\s*"
)


def _fast(value: str, region: str) -> Phone | None:
    """North American numbers in the usual spellings, without phonenumbers' parser.

    Only taken where the result cannot differ: the default region is in the NANP (or the
    number says ``+1``), and the area code and exchange are well-formed. Tests hold this path
    to agreement with phonenumbers.
    """
    if region not in NANP_REGIONS and not value.lstrip().startswith("+1"):
        return None
    m = _NANP.fullmatch(value)
    if m is None:
        return None
    area = m.group(1).strip("() ")
    return Phone(original=value, e164=f"+1{area}{m.group(2)}{m.group(3)}")


def quick_e164(value: object, /, region: str) -> str | None:
    """A whole column's common case in one step: the E.164 form of a usual North American
    spelling that is not a default placeholder, or ``None`` for anything else (the caller
    then takes :func:`normalize_phone` and the placeholder rules, which say why)."""
    if type(value) is not str:
        return None
    fast = _fast(value, region)
    if fast is None or _phone_reason(fast.e164) is not None:
        return None
    return fast.e164


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
    return _fast(value, region) or _slow(value, region)


def _slow(value: str, region: str) -> Phone:
    """phonenumbers itself: the reference for :func:`_fast`."""
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException as exc:
        raise NormalizationError(value, exc._msg) from None
    if not phonenumbers.is_possible_number(number):
        raise NormalizationError(value, "not a possible phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(original=value, e164=e164)


@lru_cache(maxsize=65536)
def national_number(e164: str, /) -> str:
    """The national significant number of an E.164 string (``+442079460958`` -> ``2079460958``)."""
    if len(e164) == 12 and e164.startswith("+1") and e164[2:].isdigit():
        return e164[2:]  # country code 1 (NANP): always ten national digits
    return _national_slow(e164)


def _national_slow(e164: str) -> str:
    """phonenumbers itself: the reference for :func:`national_number`'s fast path."""
    try:
        number = phonenumbers.parse(e164)
    except NumberParseException:
        return e164.lstrip("+")
    return str(phonenumbers.national_significant_number(number))
