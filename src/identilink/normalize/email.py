"""E-mail addresses through email-validator (syntax only, never DNS)."""

from __future__ import annotations

import re
from functools import lru_cache

import attrs
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from identilink.errors import NormalizationError
from identilink.normalize.blocklist import _email_reason

__all__ = ["Email", "normalize_email"]


@attrs.frozen
class Email:
    """A normalised e-mail address, keeping what was observed."""

    original: str
    normalized: str
    local_part: str
    domain: str


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_COMMON = re.compile(
    rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+[A-Za-z][A-Za-z0-9-]{{0,61}}[A-Za-z0-9]"
)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def _fast(text: str) -> Email | None:
    """The common case, without email-validator: a plain ASCII dot-atom address.

    Only addresses email-validator accepts unchanged take this path (no IDNA labels, no
    special-use domains, within length limits); the tests hold the two paths to agreement.
    """
    if len(text) > 254 or not _COMMON.fullmatch(text) or "--" in text.partition("@")[2]:
        return None
    local, _, domain = text.partition("@")
    if len(local) > 64 or domain.rsplit(".", 1)[-1].lower() in _SPECIAL_USE:
        return None
    local, domain = local.lower(), domain.lower()
    return Email(original=text, normalized=f"{local}@{domain}", local_part=local, domain=domain)


def quick_normalized(value: object, /) -> str | None:
    """A whole column's common case in one step: the normalised form of a plain address that
    is not a default placeholder, or ``None`` for anything else (the caller then takes
    :func:`normalize_email` and the placeholder rules, which say why). Same answers as those
    where it answers (the tests hold it to them); no objects, no cache, no exceptions."""
    if type(value) is not str:
        return None
    text = value.strip()
    if len(text) > 254 or not _COMMON.fullmatch(text):
        return None
    local, _, domain = text.partition("@")
    if len(local) > 64 or "--" in domain or domain.rsplit(".", 1)[-1].lower() in _SPECIAL_USE:
        return None
    normalized = text.lower()
    return None if _email_reason(normalized) is not None else normalized


@lru_cache(maxsize=65536)
def _validate(text: str) -> Email:
    fast = _fast(text)
    if fast is not None:
        return fast
    return _slow(text)


def _slow(text: str) -> Email:
    """email-validator itself: the reference for :func:`_fast`."""
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise NormalizationError(text, str(exc)) from None
    local = info.local_part.lower()
    domain = (info.ascii_domain or info.domain).lower()
    return Email(original=text, normalized=f"{local}@{domain}", local_part=local, domain=domain)


#: Providers whose mailboxes ignore ``+tags`` (and, for Gmail, dots in the local part).
PLUS_TAG_PROVIDERS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "icloud.com"}
    | {"me.com", "fastmail.com", "protonmail.com", "proton.me"}
)
DOT_BLIND_PROVIDERS = frozenset({"gmail.com", "googlemail.com"})


def _provider_canonical(local: str, domain: str) -> tuple[str, str]:
    if domain in PLUS_TAG_PROVIDERS:
        local = local.split("+", 1)[0] or local
    if domain in DOT_BLIND_PROVIDERS:
        local = local.replace(".", "") or local
        domain = "gmail.com"
    return local, domain


def normalize_email(value: object, /, *, provider_rules: bool = False) -> Email:
    """Validate and normalise one address: lower-cased local part, IDNA (ASCII) domain.

    With ``provider_rules``, addresses that reach the same mailbox become equal: ``+tags`` are
    dropped at providers that ignore them and dots at Gmail (``J.Doe+news@googlemail.com`` ->
    ``jdoe@gmail.com``).

    >>> normalize_email(" Jane.Doe@Example.COM ").normalized
    'jane.doe@example.com'
    >>> normalize_email("J.Doe+news@googlemail.com", provider_rules=True).normalized
    'jdoe@gmail.com'
    """
    if not isinstance(value, str):
        raise NormalizationError(value, f"expected text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise NormalizationError(value, "empty")
    result = _validate(text)
    if provider_rules:
        local, domain = _provider_canonical(result.local_part, result.domain)
        result = Email(result.original, f"{local}@{domain}", local, domain)
    return result if result.original == value else attrs.evolve(result, original=value)
