"""Web chat transcripts: identilink's documented schema and Zendesk Chat's export.

identilink schema (one JSON object per line, or a JSON array)::

    {"transcript_id": "t-1", "started_at": "2024-05-01T10:00:00Z",
     "visitor": {"id": "v-9", "name": "Jane Doe", "email": "jane@x.com", "phone": "+1 201..."},
     "messages": [{"from": "visitor", "text": "hi, my number is ...", "at": "..."}]}

Zendesk Chat export (``type: "chat"``): ``id``, ``timestamp``, ``visitor {id, name, email,
phone}`` and ``history [{type: "chat.msg", name, msg, sender_type}]``. Visitor fields give the
identifiers; identifiers the visitor types in messages are added. Agents' messages are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from identilink.adapters.base import BaseAdapter
from identilink.fragments import Fragment, Quarantined

__all__ = ["WebChatAdapter"]

_ANONYMOUS = ("visitor", "guest", "anonymous")


class WebChatAdapter(BaseAdapter):
    channel = "webchat"
    extensions = (".jsonl", ".json")

    def fragment(self, record: Any, ref: str) -> Fragment | Quarantined:
        if not isinstance(record, dict) or not isinstance(record.get("visitor"), dict):
            return Quarantined(self.channel, ref, "no visitor object", str(record)[:200])
        visitor = record["visitor"]
        if record.get("type") == "chat":  # Zendesk Chat export
            source_id = record.get("id")
            started = record.get("timestamp")
            texts = [
                h.get("msg")
                for h in record.get("history") or []
                if isinstance(h, dict)
                and h.get("type") == "chat.msg"
                and h.get("sender_type", "Visitor") == "Visitor"
                and "agent" not in str(h.get("nick", ""))
            ]
        else:
            source_id = record.get("transcript_id")
            started = record.get("started_at")
            texts = [
                m.get("text")
                for m in record.get("messages") or []
                if isinstance(m, dict) and m.get("from", "visitor") == "visitor"
            ]
        if not source_id:
            return Quarantined(self.channel, ref, "no transcript id", str(record)[:200])
        b = self.builder(source_id)
        b.raw_ref = ref
        name = visitor.get("name")
        if isinstance(name, str) and not name.lower().startswith(_ANONYMOUS):
            b.name(name)
        b.email(visitor.get("email"), "visitor")
        b.phone(visitor.get("phone"), "visitor")
        for text in texts:
            b.identifiers_in(text, "message")
        b.observed_at = str(started) if started else None
        return b.build()

    def sniff(self, path: Path, head: bytes, /) -> bool:
        return b'"visitor"' in head
