"""E-mail messages (RFC 5322): single ``.eml`` files and ``mbox`` mailboxes.

The sender's display names and addresses come from ``From``, ``Reply-To`` and ``Sender``;
phone numbers and e-mails written in the body (quoted replies removed) and the signature (after
``-- ``) are added. Header values are parsed by the standard library's ``email`` package with
RFC 2047 encoded words decoded; a sender header with an injected line break is quarantined.
"""

from __future__ import annotations

import contextlib
import email
import email.utils
import re
from collections.abc import Iterator
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import attrs

from identilink.adapters.base import BaseAdapter
from identilink.extract import strip_quoted
from identilink.fragments import Fragment, Quarantined

__all__ = ["EmailAdapter"]

_MAX_BODY = 200_000
_TAGS = re.compile(r"<[^>]{0,2000}>")
_FOLD = re.compile(r"\r?\n[ \t]")
_CHARSET = re.compile(r'charset="?([\w.:-]+)"?')


def _body(message: Message) -> str:
    """The first text/plain part (else text/html, tags removed), decoded by its charset."""
    chosen = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain":
            chosen = part
            break
        if kind == "text/html" and chosen is None:
            chosen = part
    if chosen is None:
        return ""
    payload = chosen.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = chosen.get_content_charset() or "utf-8"
    try:
        text = payload[:_MAX_BODY].decode(charset, errors="replace")
    except (LookupError, ValueError):  # an unknown charset name, or one no codec can be
        text = payload[:_MAX_BODY].decode("utf-8", errors="replace")
    if chosen.get_content_type() == "text/html":
        text = _TAGS.sub(" ", text)
    return text


@attrs.frozen
class _Parsed:
    """What the adapter needs of a message: raw header values by lower-case name, the body."""

    headers: dict[str, list[str]]
    body: str


def _decode(raw: str) -> str:
    text = _FOLD.sub(" ", raw) if "\n" in raw else raw  # folding is not content
    if "=?" in text:
        with contextlib.suppress(MessageError, LookupError, UnicodeError, ValueError):
            text = str(make_header(decode_header(text)))
    return text


def _header(message: _Parsed, name: str) -> list[str]:
    """Decoded values of one header (RFC 2047 encoded words resolved)."""
    return [_decode(v) for v in message.headers.get(name.lower(), [])]


def _parse_slow(data: bytes) -> _Parsed:
    """The standard library's parser (compat32): every MIME structure and encoding."""
    message = email.message_from_bytes(data)
    headers: dict[str, list[str]] = {}
    for key, value in message.items():
        headers.setdefault(key.lower(), []).append(str(value))
    return _Parsed(headers, _body(message))


_SIMPLE_ENCODINGS = frozenset({"", "7bit", "8bit", "binary"})
_HEADER_LINES = re.compile(r"^([!-9;-~]+):[ \t]*(.*(?:\n[ \t].*)*)$", re.MULTILINE)


def _parse_fast(data: bytes) -> _Parsed | None:
    """Single-part text/plain messages without transfer encoding, parsed directly.

    Every line of the header block must be a ``Name: value`` line or its folded continuation
    (one regular-expression pass over the block). Anything else (multipart, base64,
    quoted-printable, odd header lines) returns ``None`` and goes to :func:`_parse_slow`; the
    tests hold both to the same fragments.
    """
    head, sep, body = data.partition(b"\n\n")
    if not sep or b"\r" in head:
        return None
    text = head.decode("utf-8", "replace")
    lines = _HEADER_LINES.findall(text)
    read = len(lines)
    if "\n " in text or "\n\t" in text:  # folded lines: a value spans several
        read += sum(value.count("\n") for _, value in lines)
    if read != text.count("\n") + 1:
        return None  # a line that is neither a header nor a continuation
    headers: dict[str, list[str]] = {}
    for name, value in lines:
        headers.setdefault(name.lower(), []).append(value)
    content_type = (headers.get("content-type") or ["text/plain"])[0].lower()
    encoding = (headers.get("content-transfer-encoding") or [""])[0].strip().lower()
    main_type = content_type.partition(";")[0].strip()  # as Message.get_content_type reads it
    if main_type != "text/plain" or encoding not in _SIMPLE_ENCODINGS:
        return None
    found = _CHARSET.search(content_type)
    charset = found.group(1) if found else "utf-8"
    try:
        text = body[:_MAX_BODY].decode(charset, errors="replace")
    except LookupError:
        return None
    return _Parsed(headers, text)


_SIMPLE_MAILBOX = re.compile(
    r"([A-Za-z][A-Za-z'-]{0,40}(?: [A-Za-z][A-Za-z'-]{0,40}){0,4})? ?<([\w.+'-]+@[\w.-]+)>"
    r"|([\w.+-]+@[\w.-]+)"
)


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs: ``Jane Doe <jane@x.com>`` or a bare address directly,
    anything else (groups, comments, quotes, lists) through ``email.utils.getaddresses``."""
    out: list[tuple[str, str]] = []
    for value in values:
        m = _SIMPLE_MAILBOX.fullmatch(value.strip())
        if m is None:
            out += email.utils.getaddresses([value])
        elif m.group(3):
            out.append(("", m.group(3)))
        else:
            out.append(((m.group(1) or "").strip(), m.group(2)))
    return out


def _split_mbox(data: bytes) -> Iterator[bytes]:
    """Messages of an mbox: each starts at a line beginning ``From `` (that line dropped)."""
    starts = [0] if data.startswith(b"From ") else []
    starts += [m.start() + 1 for m in re.finditer(rb"\nFrom ", data)]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(data)
        chunk = data[start:end]
        yield chunk.partition(b"\n")[2]


class EmailAdapter(BaseAdapter):
    channel = "email"
    extensions = (".eml", ".mbox", ".mbx")

    def records(self, path: Path) -> Iterator[tuple[Any, str]]:
        data = path.read_bytes()
        if path.suffix.lower() == ".eml" or not data.startswith(b"From "):
            yield data, str(path)
            return
        for n, message in enumerate(_split_mbox(data), start=1):
            yield message, f"{path}#{n}"

    def fragment(self, record: Any, ref: str) -> Fragment | Quarantined:
        if isinstance(record, Message):
            record = record.as_bytes()
        data = record if isinstance(record, bytes) else str(record).encode("utf-8", "replace")
        message = _parse_fast(data) or _parse_slow(data)
        senders: list[tuple[str, str]] = []
        for header in ("From", "Reply-To", "Sender"):
            values = _header(message, header)
            if any("\n" in v or "\r" in v for v in values):
                return Quarantined(self.channel, ref, f"line break injected in {header} header")
            senders += _addresses(values)
        if not any(address for _, address in senders):
            return Quarantined(self.channel, ref, "no sender address in From/Reply-To/Sender")
        message_id = " ".join(_header(message, "Message-ID")).strip().strip("<>") or ref
        b = self.builder(message_id)
        b.raw_ref = ref
        for name, address in senders:
            b.email(address, "header")
            if name:
                b.name(name)
        body = strip_quoted(message.body)
        text, _, signature = body.partition("\n-- \n")
        b.identifiers_in(text, "body")
        b.identifiers_in(signature, "signature")
        date = next(iter(_header(message, "Date")), None)
        if date:
            try:
                b.observed_at = email.utils.parsedate_to_datetime(str(date)).isoformat()
            except (TypeError, ValueError, IndexError):
                b.reject("observed_at", date, "not an RFC 5322 date")
        return b.build()

    def sniff(self, path: Path, head: bytes, /) -> bool:
        return path.suffix.lower() in self.extensions or head.startswith(b"From ")
