"""E-mail messages (RFC 5322): single ``.eml`` files and ``mbox`` mailboxes.

The sender's display names and addresses come from ``From``, ``Reply-To`` and ``Sender``;
phone numbers and e-mails written in the body (quoted replies removed) and the signature (after
``-- ``) are added. Header values are parsed by the standard library's ``email`` package with
the default policy, so folded or encoded headers are decoded and injected line breaks rejected.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import mailbox
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from identilink.adapters.base import BaseAdapter
from identilink.extract import find_emails, find_phones, strip_quoted
from identilink.fragments import Fragment, Quarantined

__all__ = ["EmailAdapter"]

_MAX_BODY = 200_000


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(text, str):
        return ""
    if part.get_content_type() == "text/html":
        import re

        text = re.sub(r"<[^>]{0,2000}>", " ", text)
    return text[:_MAX_BODY]


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
        if isinstance(record, EmailMessage):
            message = record
        else:
            data = record if isinstance(record, bytes) else str(record).encode("utf-8", "replace")
            message = email.message_from_bytes(data, policy=email.policy.default)
        senders: list[tuple[str, str]] = []
        for header in ("From", "Reply-To", "Sender"):
            try:
                values = message.get_all(header) or []
            except (ValueError, TypeError, IndexError) as exc:
                return Quarantined(self.channel, ref, f"malformed {header} header: {exc}")
            senders += email.utils.getaddresses([str(v) for v in values])
        if not any(address for _, address in senders):
            return Quarantined(self.channel, ref, "no sender address in From/Reply-To/Sender")
        message_id = str(message.get("Message-ID") or "").strip().strip("<>") or ref
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
