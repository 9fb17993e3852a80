"""Placeholder and generic identifier values that must never link two people.

:func:`blocked_reason` says why a normalised identifier is a placeholder (or ``None``). The
defaults cover test addresses, no-reply senders, reserved example domains, fictional and
repeated-digit phone numbers; a :class:`Blocklist` adds a project's own values and patterns.
Values shared by many *different* people (an office switchboard) are found from the data
instead: see ``identilink.fragments.shared_values``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import attrs

__all__ = ["DEFAULT_BLOCKLIST", "Blocklist", "blocked_reason"]

_EMAIL_LOCALS = frozenset(
    {"test", "testing", "noreply", "no-reply", "donotreply", "do-not-reply", "nobody"}
    | {"null", "none", "na", "n/a", "unknown", "example", "email", "asdf", "xxx", "abc"}
    | {"mailer-daemon", "postmaster", "bounce", "bounces", "notifications", "notification"}
)
_EMAIL_DOMAINS = frozenset(
    {"example.com", "example.org", "example.net", "test.com", "test.test", "email.com"}
    | {"domain.com", "invalid", "localhost", "mailinator.com", "noemail.com", "none.com"}
)
_REPEATED = re.compile(r"^(\d)\1+$")
_SEQUENTIAL = ("1234567890", "0123456789", "9876543210")


@lru_cache(maxsize=65536)  # a number recurs in many fragments
def _phone_reason(e164: str) -> str | None:
    digits = e164.lstrip("+")
    nanp = digits.startswith("1") and len(digits) == 11  # +1 NPA NXX XXXX
    national = digits[1:] if nanp else digits
    if _REPEATED.match(national) or _REPEATED.match(national[-7:]):
        return "repeated digits"
    if any(national in s for s in _SEQUENTIAL) or national.endswith("1234567"):
        return "sequential digits"
    if nanp and digits[4:7] == "555" and digits[7:9] == "01":
        return "fictional 555-01xx number"
    return None


@lru_cache(maxsize=65536)
def _email_reason(email: str) -> str | None:
    local, _, domain = email.rpartition("@")
    base = local.split("+", 1)[0]
    if base in _EMAIL_LOCALS or base.startswith(("noreply", "no-reply", "donotreply")):
        return f"placeholder mailbox {base!r}"
    if domain in _EMAIL_DOMAINS or domain.endswith((".example", ".test", ".invalid")):
        return f"placeholder domain {domain!r}"
    return None


@attrs.frozen
class Blocklist:
    """The default placeholder rules plus a project's own values and regular expressions.

    ``values`` and ``patterns`` are matched against normalised identifiers
    (``jane@x.com``, ``+12015550123``, ``twitter:janedoe``).
    """

    values: frozenset[str] = frozenset()
    patterns: tuple[str, ...] = ()
    defaults: bool = True

    def extend(self, values: Iterable[str] = (), patterns: Iterable[str] = ()) -> Blocklist:
        more_values: frozenset[str] = self.values | frozenset(values)
        more_patterns: tuple[str, ...] = self.patterns + tuple(patterns)
        return attrs.evolve(self, values=more_values, patterns=more_patterns)

    def reason(self, kind: str, value: str) -> str | None:
        """Why ``value`` (an identifier of ``kind``) must not link anyone, or ``None``."""
        if value in self.values:
            return "on the blocklist"
        for pattern in self.patterns:
            if re.fullmatch(pattern, value):
                return f"matches blocklist pattern {pattern!r}"
        if not self.defaults:
            return None
        if kind == "email":
            return _email_reason(value)
        if kind == "phone":
            return _phone_reason(value)
        return None


DEFAULT_BLOCKLIST = Blocklist()


def blocked_reason(
    kind: str, value: str, /, blocklist: Blocklist = DEFAULT_BLOCKLIST
) -> str | None:
    """Why the normalised identifier ``value`` of ``kind`` must not link anyone, or ``None``."""
    return blocklist.reason(kind, value)
