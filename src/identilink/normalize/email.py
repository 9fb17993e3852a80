"""E-mail addresses through email-validator (syntax only, never DNS)."""

from __future__ import annotations

from functools import lru_cache

import attrs
from email_validator import EmailNotValidError, validate_email

from identilink.errors import NormalizationError

__all__ = ["Email", "normalize_email"]


@attrs.frozen
class Email:
    """A normalised e-mail address, keeping what was observed."""

    original: str
    normalized: str
    local_part: str
    domain: str


@lru_cache(maxsize=65536)
def _validate(text: str) -> Email:
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise NormalizationError(text, str(exc)) from None
    local = info.local_part.lower()
    domain = (info.ascii_domain or info.domain).lower()
    return Email(original=text, normalized=f"{local}@{domain}", local_part=local, domain=domain)


def normalize_email(value: object, /) -> Email:
    """Validate and normalise one address: lower-cased local part, IDNA (ASCII) domain.

    >>> normalize_email(" Jane.Doe@Example.COM ").normalized
    'jane.doe@example.com'
    """
    if not isinstance(value, str):
        raise NormalizationError(value, f"expected text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise NormalizationError(value, "empty")
    result = _validate(text)
    return result if result.original == value else attrs.evolve(result, original=value)
