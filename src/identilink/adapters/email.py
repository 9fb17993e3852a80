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
import mailbox
import re
from collections.abc import Iterator
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

from identilink.adapters.base import BaseAdapter
from identilink.extract import find_emails, find_phones, strip_quoted
from identilink.fragments import Fragment, Quarantined

__all__ = ["EmailAdapter"]

_MAX_BODY = 200_000
_TAGS = re.compile(r"<[^>]{0,2000}>")
_FOLD = re.compile(r"\r?\n[ \t]")


def _header(message: Message, name: str) -> list[str]:
    """Decoded values of one header (RFC 2047 encoded words resolved)."""
    out = []
    for raw in message.get_all(name) or []:
        text = _FOLD.sub(" ", str(raw))  # folding is not content
        if "=?" in text:
            with contextlib.suppress(HeaderParseError, LookupError, UnicodeError, ValueError):
                text = str(make_header(decode_header(text)))
        out.append(text)
    return out


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
    except LookupError:  # an unknown charset name
        text = payload[:_MAX_BODY].decode("utf-8", errors="replace")
    if chosen.get_content_type() == "text/html":
        text = _TAGS.sub(" ", text)
    return text


class EmailAdapter(BaseAdapter):
    channel = "email"
    extensions = (".eml", ".mbox", ".mbx")

    def records(self, path: Path) -> Iterator[tuple[Any, str]]:
        if path.suffix.lower() == ".eml":
            yield path.read_bytes(), str(path)
            return
        box = mailbox.mbox(str(path), create=False)
        try:
            for n, key in enumerate(box.iterkeys(), start=1):
                try:
                    yield box.get_bytes(key), f"{path}#{n}"
                except (OSError, ValueError) as exc:
                    yield Quarantined(self.channel, f"{path}#{n}", f"unreadable: {exc}"), ""
        finally:
            box.close()

    def fragment(self, record: Any, ref: str) -> Fragment | Quarantined:
        if isinstance(record, Message):
            message = record
        else:
            data = record if isinstance(record, bytes) else str(record).encode("utf-8", "replace")
            message = email.message_from_bytes(data)  # compat32: fast, headers kept as text
        senders: list[tuple[str, str]] = []
        for header in ("From", "Reply-To", "Sender"):
            values = _header(message, header)
            if any("\n" in v or "\r" in v for v in values):
                return Quarantined(self.channel, ref, f"line break injected in {header} header")
            senders += email.utils.getaddresses(values)
        if not any(address for _, address in senders):
            return Quarantined(self.channel, ref, "no sender address in From/Reply-To/Sender")
        message_id = " ".join(_header(message, "Message-ID")).strip().strip("<>") or ref
        b = self.builder(message_id)
        b.raw_ref = ref
        for name, address in senders:
            b.email(address, "header")
            if name:
                b.name(name)
        body = strip_quoted(_body(message))
        text, _, signature = body.partition("\n-- \n")
        for found, origin in ((text, "body"), (signature, "signature")):
            for address in find_emails(found):
                b.email(address, origin)
            for number in find_phones(found, region=self.region):
                b.phone(number, origin)
        date = message.get("Date")
        if date:
            try:
                b.observed_at = email.utils.parsedate_to_datetime(str(date)).isoformat()
            except (TypeError, ValueError, IndexError):
                b.reject("observed_at", date, "not an RFC 5322 date")
        return b.build()

    def sniff(self, path: Path, head: bytes, /) -> bool:
        return path.suffix.lower() in self.extensions or head.startswith(b"From ")
