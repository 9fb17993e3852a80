"""Facebook Messenger Platform webhook events and User Profile API responses (JSON Lines).

A webhook line is ``{"object": "page", "entry": [{"messaging": [{"sender": {"id": PSID},
"timestamp": ..., "message": {"mid": ..., "text": ...}}]}]}``; a profile line is ``{"id": PSID,
"first_name": ..., "last_name": ..., ...}``. One fragment per message (the page-scoped id plus
e-mails and phones in the text) and one per profile (the id plus the names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from identilink.adapters.base import BaseAdapter, Source
from identilink.extract import find_names
from identilink.fragments import Fragment, Quarantined

__all__ = ["FacebookAdapter"]


def _iso(timestamp: object) -> str | None:
    try:
        value = float(timestamp)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if value > 1e11:  # milliseconds
        value /= 1000.0
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


class FacebookAdapter(BaseAdapter):
    channel = "facebook"
    extensions = (".jsonl", ".json")

    def units(self, source: Source) -> Iterator[tuple[Any, str]]:
        """Webhook batches are flattened into one messaging event each."""
        for record, ref in super().units(source):
            if isinstance(record, dict) and isinstance(record.get("entry"), list):
                for entry in record["entry"]:
                    events = entry.get("messaging") if isinstance(entry, dict) else None
                    for event in events if isinstance(events, list) else []:
                        yield {"event": event}, ref
            else:
                yield record, ref

    def fragment(self, record: Any, ref: str) -> Fragment | Quarantined | None:
        if not isinstance(record, dict):
            return Quarantined(self.channel, ref, "not a JSON object", str(record)[:200])
        if "event" in record:
            event = record["event"]
            psid = (event.get("sender") or {}).get("id")
            message = event.get("message") or {}
            if not psid:
                return Quarantined(self.channel, ref, "messaging event without sender.id")
            if not message:  # deliveries, reads, echoes: nothing about the person
                return None
            b = self.builder(message.get("mid") or f"{psid}-{event.get('timestamp')}")
            b.raw_ref = ref
            b.user_id("facebook", psid, "sender")
            text = message.get("text") or ""
            b.identifiers_in(text, "message")
            if isinstance(text, str):
                for name in find_names(text):
                    b.name(name)
                    break
            b.observed_at = _iso(event.get("timestamp"))
            return b.build()
        if record.get("id") and ("first_name" in record or "name" in record):
            b = self.builder(f"profile-{record['id']}")
            b.raw_ref = ref
            b.user_id("facebook", record["id"], "profile")
            b.attribute("first_name", record.get("first_name"))
            b.attribute("last_name", record.get("last_name"))
            if record.get("name"):
                b.name(record["name"])
            return b.build()
        return Quarantined(self.channel, ref, "neither a webhook batch nor a user profile")

    def sniff(self, path: Path, head: bytes, /) -> bool:
        return b'"messaging"' in head or (b'"first_name"' in head and b'"profile_pic"' in head)
