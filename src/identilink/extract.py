"""Identifiers in free text: e-mails (validated) and phone numbers (phonenumbers' matcher).

``@handles`` in text are mentions of *someone else* and are never returned as the author's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from identilink.errors import NormalizationError
from identilink.normalize import normalize_email
from identilink.normalize.phone import NANP_REGIONS, is_valid_e164

__all__ = ["find_emails", "find_names", "find_phones", "strip_quoted"]

_EMAIL_CANDIDATE = re.compile(r"(?<![\w.+'-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_INTROS = ("my name is", "this is", "i am", "i'm", "name:")  # how writers give their name
_NAME_INTRO = re.compile(
    rf"\b(?:{'|'.join(map(re.escape, _INTROS))})\s+([A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?)",
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
    if text.isascii() and _digit_count(text) < 7:  # counted in C: most texts stop here
        return
    if not _DIGITS7.search(text):  # no run of seven digits: the (slow) matcher cannot match
        return
    fast = _fast_phones(text, region)
    if fast is not None:
        yield from fast
        return
    yield from _matcher_phones(text, region)


def _matcher_phones(text: str, region: str) -> Iterator[str]:
    """phonenumbers' matcher at leniency VALID: the reference for :func:`_fast_phones`."""
    for match in PhoneNumberMatcher(text[:_MAX_TEXT], region, leniency=Leniency.VALID):
        yield phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)


_NANP_IN_TEXT = re.compile(
    r"(?<![\w+])(?:\+1 ?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[-. ]?)[2-9]\d{2}[-. ]?\d{4}(?![\w-])"
)
_SAFE_AFTER = re.compile(r"(?:[ \t]*(?:\n|$)|[,;] )")
_PUNCTUATION = str.maketrans("", "", "+()-. ")


@lru_cache(maxsize=65536)
def _valid_nanp(e164: str) -> bool:
    return is_valid_e164(e164)


def _digit_count(text: str) -> int:
    """How many characters of ``text`` are digits (``str.isdigit``): for ASCII text one pass
    in C deleting them (6x ten ``str.count`` calls) instead of a Python step per character."""
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, b"0123456789"))
    return sum(c.isdigit() for c in text)


def _fast_phones(text: str, region: str) -> list[str] | None:
    """North American numbers in plain text, found without the matcher.

    Taken only when the answer cannot differ from the matcher's: the region is in the NANP,
    every digit and every "+" of the text belongs to a well-formed candidate, and each
    candidate is valid and ends a line or is followed by ", " / "; ". Anything else returns
    ``None`` (use the matcher); the tests hold the two to agreement.
    """
    if region not in NANP_REGIONS or len(text) > _MAX_TEXT:
        return None
    found = []
    covered = 0
    pluses = 0
    for m in _NANP_IN_TEXT.finditer(text):
        if not _SAFE_AFTER.match(text, m.end()):
            return None
        written = m.group(0)
        digits = written.translate(_PUNCTUATION)  # a candidate's other characters: + ( ) - . space
        covered += len(digits)
        pluses += written.count("+")
        e164 = "+" + (digits if len(digits) == 11 else "1" + digits)
        if not _valid_nanp(e164):
            return None  # the matcher may still find a shorter valid number inside
        found.append(e164)
    if covered != _digit_count(text) or pluses != text.count("+"):
        return None  # other digits or a stray "+" (an international prefix): use the matcher
    return found


def find_names(text: str, /) -> Iterator[str]:
    """Names a writer gives for themselves ("my name is Jane Doe", "this is Jane")."""
    if text.isascii():  # (elsewhere case-insensitive matching knows more than str.lower)
        lowered = text.lower()
        if not any(intro in lowered for intro in _INTROS):
            return
    for match in _NAME_INTRO.finditer(text[:_MAX_TEXT]):
        name = match.group(1)
        if name.lower() not in {"not", "a", "the", "just", "still", "having", "trying"}:
            yield name


def strip_quoted(body: str, /) -> str:
    """An e-mail body without quoted replies (``>`` lines, everything after "On ... wrote:")."""
    header = _QUOTE_HEADER.search(body) if "wrote:" in body else None
    if header:
        body = body[: header.start()]
    if ">" not in body:  # no quoted line: only the line breaks are made uniform
        return "\n".join(body.splitlines())
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))
