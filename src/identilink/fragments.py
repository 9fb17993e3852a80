"""Fragments: what one channel knows about one person at one moment.

A :class:`Fragment` carries normalised identifiers (e-mails, phones, platform-qualified handles
and platform user ids), attributes (names, address parts, dob), the time it was observed and a
pointer back to the raw record. Values that fail normalisation stay in the fragment, raw, with
their reason (:attr:`Fragment.rejects`); placeholder identifiers stay too, marked ``blocked``, and
never link anyone. A record an adapter cannot read at all becomes a :class:`Quarantined` entry.

Fragments are written and read as JSON Lines (:func:`write_fragments`, :func:`read_fragments`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from identilink.errors import InputFileError, NormalizationError
from identilink.extract import find_emails, find_phones
from identilink.normalize import (
    normalize_date,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    normalize_text,
)
from identilink.normalize.blocklist import DEFAULT_BLOCKLIST, Blocklist
from identilink.normalize.text import NAME_SUFFIXES

__all__ = [
    "ATTRIBUTES",
    "FRAME_COLUMNS",
    "IDENTIFIER_KINDS",
    "Fragment",
    "FragmentBuilder",
    "Identifier",
    "Quarantined",
    "Reject",
    "fragments_frame",
    "read_fragments",
    "write_fragments",
]

#: Kinds of identifier a fragment can carry.
IDENTIFIER_KINDS = ("email", "phone", "handle", "user_id")
#: Attributes a fragment can carry, each normalised like the batch role of the same name.
ATTRIBUTES = (
    "first_name",
    "last_name",
    "full_name",
    "dob",
    "street",
    "city",
    "postcode",
    "state",
    "country",
)
_ATTRIBUTE_NORMALIZERS = {
    "first_name": normalize_name,
    "last_name": normalize_name,
    "full_name": normalize_name,
    "street": normalize_street,
    "postcode": normalize_postcode,
}


@attrs.frozen
class Identifier:
    """One normalised identifier: ``kind`` and ``value`` (``twitter:janedoe``), the raw text."""

    kind: str
    value: str
    raw: str
    #: Where it was found (``from``, ``body``, ``signature``, ``profile``...) or the phone type.
    origin: str = ""
    #: Why it must never link anyone (a placeholder), or ``""``.
    blocked: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"kind": self.kind, "value": self.value, "raw": self.raw}
        if self.origin:
            out["origin"] = self.origin
        if self.blocked:
            out["blocked"] = self.blocked
        return out


@attrs.frozen
class Reject:
    """A value that failed normalisation, kept raw with its reason."""

    field: str
    raw: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "raw": self.raw, "reason": self.reason}


@attrs.frozen
class Fragment:
    """What one channel record says about one person."""

    channel: str
    source_id: str
    observed_at: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    attributes: dict[str, str] = attrs.field(factory=dict)
    #: Where the raw record is: ``path:line`` for line formats, ``path#n`` for messages.
    raw_ref: str = ""
    rejects: tuple[Reject, ...] = ()

    @property
    def fragment_id(self) -> str:
        return f"{self.channel}:{self.source_id}"

    def values(self, kind: str) -> list[str]:
        """Normalised identifiers of ``kind`` that may link (placeholders left out)."""
        return [i.value for i in self.identifiers if i.kind == kind and not i.blocked]

    def to_dict(self) -> dict[str, Any]:
        return {
            "fragment_id": self.fragment_id,
            "channel": self.channel,
            "source_id": self.source_id,
            "observed_at": self.observed_at,
            "identifiers": [i.to_dict() for i in self.identifiers],
            "attributes": dict(self.attributes),
            "raw_ref": self.raw_ref,
            "rejects": [r.to_dict() for r in self.rejects],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fragment:
        """The fragment :meth:`to_dict` wrote; ``TypeError`` or ``KeyError`` for anything
        else (a field missing, of the wrong type, or unknown)."""
        observed_at = data.get("observed_at")
        if observed_at is not None and not isinstance(observed_at, str):
            raise TypeError(f"observed_at must be text or null, not {type(observed_at).__name__}")
        return cls(
            channel=str(data["channel"]),
            source_id=str(data["source_id"]),
            observed_at=observed_at,
            identifiers=tuple(Identifier(**_texts(i)) for i in data.get("identifiers", ())),
            attributes={str(k): str(v) for k, v in (data.get("attributes") or {}).items()},
            raw_ref=str(data.get("raw_ref", "")),
            rejects=tuple(Reject(**_texts(r)) for r in data.get("rejects", ())),
        )


def _texts(fields: dict[str, Any]) -> dict[str, str]:
    """``fields`` when every value is text (an identifier's, a reject's), else ``TypeError``."""
    if not all(isinstance(v, str) for v in fields.values()):
        raise TypeError(f"expected text fields, got {fields!r:.80}")
    return fields


@attrs.frozen
class Quarantined:
    """A record an adapter could not turn into a fragment: where it was, why, an excerpt."""

    channel: str
    raw_ref: str
    reason: str
    excerpt: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "channel": self.channel,
            "raw_ref": self.raw_ref,
            "reason": self.reason,
            "excerpt": self.excerpt,
        }


_SPACE = re.compile(r"\s")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas
        return None
    text = str(value).strip()
    return text or None


def _surname_first(text: str) -> tuple[str, str] | None:
    """(given name, surname) of ``Doe, Jane``; ``None`` where a side of the comma is no name
    or the part after it is only a suffix (``Jane Doe, Jr.``)."""
    before, _, after = text.partition(",")
    try:
        surname, given = normalize_name(before).split(), normalize_name(after).split()
    except NormalizationError:
        return None
    if all(token in NAME_SUFFIXES for token in given):
        return None
    return given[0], surname[-1]


class FragmentBuilder:
    """Collects one record's values, normalising each; failures become rejects, never errors.

    Adapters create one builder per record, feed it raw values and call :meth:`build`.
    """

    def __init__(
        self,
        channel: str,
        source_id: object,
        *,
        region: str = "US",
        provider_rules: bool = False,
        blocklist: Blocklist = DEFAULT_BLOCKLIST,
    ) -> None:
        self.channel = channel
        self.source_id = str(source_id)
        self.region = region
        self.provider_rules = provider_rules
        self.blocklist = blocklist
        self.observed_at: str | None = None
        self.raw_ref = ""
        self._identifiers: dict[tuple[str, str], Identifier] = {}
        self._attributes: dict[str, str] = {}
        self._rejects: list[Reject] = []

    def _add(self, kind: str, value: str, raw: str, origin: str) -> None:
        key = (kind, value)
        if key not in self._identifiers:
            blocked = self.blocklist.reason(kind, value) or ""
            self._identifiers[key] = Identifier(kind, value, raw, origin, blocked)

    def reject(self, field: str, raw: object, reason: str) -> None:
        self._rejects.append(Reject(field, str(raw)[:500], reason))

    def email(self, raw: object, origin: str = "") -> None:
        text = _text(raw)
        if text is None:
            return
        try:
            email = normalize_email(text, provider_rules=self.provider_rules)
        except NormalizationError as exc:
            self.reject("email", text, exc.reason)
            return
        self._add("email", email.normalized, text, origin)

    def phone(self, raw: object, origin: str = "", *, region: str | None = None) -> None:
        text = _text(raw)
        if text is None:
            return
        try:
            phone = normalize_phone(text, region=region or self.region)
        except NormalizationError as exc:
            self.reject("phone", text, exc.reason)
            return
        self._add("phone", phone.e164, text, origin or phone.number_type)

    def handle(self, platform: str, raw: object, origin: str = "") -> None:
        text = _text(raw)
        if text is None:
            return
        handle = text.lstrip("@").casefold()
        if not handle or _SPACE.search(handle) or len(handle) > 100:
            self.reject("handle", text, "not a handle")
            return
        self._add("handle", f"{platform}:{handle}", text, origin)

    def user_id(self, platform: str, raw: object, origin: str = "") -> None:
        text = _text(raw)
        if text is None:
            return
        if len(text) > 100 or _SPACE.search(text):
            self.reject("user_id", text, "not a platform user id")
            return
        self._add("user_id", f"{platform}:{text}", text, origin)

    def identifiers_in(self, text: object, origin: str) -> None:
        """Every valid e-mail and phone number written in free ``text`` (mentions excluded)."""
        if not isinstance(text, str) or not text:
            return
        for address in find_emails(text):
            self.email(address, origin)
        for number in find_phones(text, region=self.region):
            self.phone(number, origin)

    def attribute(self, name: str, raw: object) -> None:
        if name not in ATTRIBUTES:
            raise ValueError(f"unknown attribute {name!r}")  # a programming error in an adapter
        text = _text(raw)
        if text is None or name in self._attributes:
            return
        func = _ATTRIBUTE_NORMALIZERS.get(name, normalize_text)
        try:
            value = normalize_date(text, dayfirst=False) if name == "dob" else func(text)
        except NormalizationError as exc:
            self.reject(name, text, exc.reason)
            return
        self._attributes[name] = value

    def name(self, raw: object, *, initial_last: bool = False) -> None:
        """A display name: kept whole and, when it has two or more words, split first / last.

        ``Doe, Jane`` is read surname first. With ``initial_last`` (caller-id names, written
        ``DOE J`` by the telephone directories), so is a name whose last word is one letter;
        elsewhere ``Jane D.`` is a given name and a surname's initial."""
        text = _text(raw)
        if text is None:
            return
        try:
            full = normalize_name(text)
        except NormalizationError as exc:
            self.reject("full_name", text, exc.reason)
            return
        self._attributes.setdefault("full_name", full)
        parts = full.split()
        if len(parts) < 2:
            return
        first, last = parts[0], parts[-1]
        if "," in text:
            first, last = _surname_first(text) or (first, last)
        elif initial_last and len(parts) == 2 and len(parts[1]) == 1 < len(parts[0]):
            first, last = parts[1], parts[0]
        self._attributes.setdefault("first_name", first)
        self._attributes.setdefault("last_name", last)

    def build(self) -> Fragment:
        return Fragment(
            channel=self.channel,
            source_id=self.source_id,
            observed_at=self.observed_at,
            identifiers=tuple(self._identifiers.values()),
            attributes=dict(self._attributes),
            raw_ref=self.raw_ref,
            rejects=tuple(self._rejects),
        )


#: Columns of :func:`fragments_frame`, each a role of the same name (``fragment_id`` and
#: ``channel`` excepted).
FRAME_COLUMNS = (
    "fragment_id",
    "channel",
    "first_name",
    "last_name",
    "email",
    "phone",
    "handle",
    "dob",
    "street",
    "city",
    "state",
    "postcode",
)


def fragments_frame(fragments: Iterable[Fragment], /) -> pd.DataFrame:
    """Fragments as a table of records, one row per fragment, for the record engines
    (:func:`identilink.dedupe`, the Spark engine): its first linkable e-mail, phone and
    handle (placeholders left out), names (a lone ``full_name`` split into first and last
    token) and address parts. Columns: :data:`FRAME_COLUMNS`; missing values are ``None``.
    A fragment's further identifiers are not in the table: identifier links across all of
    them are :func:`identilink.resolve.resolve_fragments`' work."""
    rows = []
    for f in fragments:
        attributes = f.attributes
        first, last = attributes.get("first_name"), attributes.get("last_name")
        if not first and not last and attributes.get("full_name"):
            tokens = attributes["full_name"].split()
            first = tokens[0]
            last = tokens[-1] if len(tokens) > 1 else None
        row: dict[str, str | None] = {
            "fragment_id": f.fragment_id,
            "channel": f.channel,
            "first_name": first or None,
            "last_name": last or None,
        }
        for kind in ("email", "phone", "handle"):
            values = f.values(kind)
            row[kind] = values[0] if values else None
        for name in ("dob", "street", "city", "state", "postcode"):
            row[name] = attributes.get(name) or None
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FRAME_COLUMNS), dtype=object)


def write_fragments(fragments: Iterable[Fragment], path: str | Path, /) -> int:
    """Write fragments as JSON Lines; returns how many were written."""
    count = 0
    try:
        with Path(path).open("w", encoding="utf-8") as f:
            for fragment in fragments:
                f.write(json.dumps(fragment.to_dict(), ensure_ascii=False) + "\n")
                count += 1
    except OSError as exc:
        raise InputFileError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return count


def read_fragments(path: str | Path, /) -> Iterator[Fragment]:
    """Read a fragments JSON Lines file written by :func:`write_fragments`."""
    p = Path(path)
    try:
        handle = p.open(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{p}: cannot read: {exc.strerror or exc}") from None
    number = 0
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield Fragment.from_dict(json.loads(line))
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    raise InputFileError(f"{p}:{number}: not a fragment: {exc}") from None
                except RecursionError:
                    reason = "not a fragment: nested too deeply"
                    raise InputFileError(f"{p}:{number}: {reason}") from None
        except UnicodeDecodeError:
            raise InputFileError(f"{p}:{number + 1}: not valid UTF-8") from None
