"""Inbound SMS webhooks with Twilio's field names (``From``, ``To``, ``Body``, ``MessageSid``).

JSON Lines (one webhook payload per line) or CSV with those columns. The sender's number is
the identifier; a name or e-mail the body gives ("this is Jane, jane@x.com") is added too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from identilink.adapters.base import BaseAdapter, csv_rows, json_lines
from identilink.extract import find_emails, find_names
from identilink.fragments import Fragment, Quarantined

__all__ = ["SmsAdapter"]


class SmsAdapter(BaseAdapter):
    channel = "sms"
    extensions = (".jsonl", ".json", ".csv")

    def records(self, path: Path) -> Iterator[tuple[Any, str]]:
        if path.suffix.lower() == ".csv":
            yield from csv_rows(path, self.channel)
        else:
            yield from json_lines(path, self.channel)

    def fragment(self, record: dict[str, Any], ref: str) -> Fragment | Quarantined:
        sid = record.get("MessageSid") or record.get("SmsSid")
        if not sid or not record.get("From"):
            return Quarantined(self.channel, ref, "no MessageSid or From", str(record)[:200])
        b = self.builder(sid)
        b.raw_ref = ref
        region = record.get("FromCountry") or self.region
        b.phone(record["From"], "sender", region=str(region))
        body = str(record.get("Body") or "")
        for email in find_emails(body):
            b.email(email, "body")
        for name in find_names(body):
            b.name(name)
            break
        b.attribute("city", record.get("FromCity"))
        b.attribute("state", record.get("FromState"))
        b.attribute("postcode", record.get("FromZip"))
        b.observed_at = record.get("DateSent") or record.get("DateCreated") or None
        return b.build()

    def sniff(self, path: Path, head: bytes, /) -> bool:
        return b"MessageSid" in head or b"SmsSid" in head
