"""Identifiers in free text: e-mails (validated) and phone numbers (phonenumbers' matcher).

``@handles`` in text are mentions of *someone else* and are never returned as the author's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from identilink.errors import NormalizationError
from identilink.normalize import normalize_email

__all__ = ["find_emails", "find_names", "find_phones", "strip_quoted"]

_EMAIL_CANDIDATE = re.compile(r"(?<![\w.+'-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_NAME_INTRO = re.compile(
    r"\b(?:my name is|this is|i am|i'm|name:)\s+([A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?)",
    re.IGNORECASE,
)
_QUOTE_HEADER = re.compile(r"^\s*On .{3,200}wrote:\s*$", re.MULTILINE)
_MAX_TEXT = 100_000  # longer text is cut: identifiers live near the start, and time is bounded


_DIGITS7 = re.compile(r"(?:\d\D{0,3}){7}")


def find_emails(text: str, /) -> Iterator[str]:
    """Valid e-mail addresses in ``text``, as written (normalise them separately)."""
    if "@" not in text:
        return
    for match in _EMAIL_CANDIDATE.finditer(text[:_MAX_TEXT]):
        candidate = match.group(0).rstrip(".-'")
        try:
            normalize_email(candidate)
        except NormalizationError:
            continue
        yield candidate


def find_phones(text: str, /, *, region: str = "US") -> Iterator[str]:
    """Valid phone numbers in ``text`` in E.164, found by phonenumbers' ``PhoneNumberMatcher``."""
    if not _DIGITS7.search(text):  # no run of seven digits: the (slow) matcher cannot match
        return
    for match in PhoneNumberMatcher(text[:_MAX_TEXT], region, leniency=Leniency.VALID):
        yield phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)


def find_names(text: str, /) -> Iterator[str]:
    """Names a writer gives for themselves ("my name is Jane Doe", "this is Jane")."""
    for match in _NAME_INTRO.finditer(text[:_MAX_TEXT]):
        name = match.group(1)
        if name.lower() not in {"not", "a", "the", "just", "still", "having", "trying"}:
            yield name


def strip_quoted(body: str, /) -> str:
    """An e-mail body without quoted replies (``>`` lines, everything after "On ... wrote:")."""
    header = _QUOTE_HEADER.search(body)
    if header:
        body = body[: header.start()]
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))
