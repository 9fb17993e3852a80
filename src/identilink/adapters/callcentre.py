"""Call detail records in Asterisk's CDR CSV layout (``Master.csv``, no header).

Columns: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
answer, end, duration, billsec, disposition, amaflags, uniqueid, userfield (some versions add
linkedid, peeraccount, sequence). The caller id ``"Jane Doe" <2015550123>`` gives a name and a
number; ``src`` is the number when clid has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from identilink.adapters.base import BaseAdapter, csv_rows
from identilink.fragments import Fragment, Quarantined

__all__ = ["CallCentreAdapter"]

FIELDS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
)
_CLID = re.compile(r'^\s*(?:"?(?P<name>[^"<]*?)"?\s*)?<(?P<number>[^>]*)>\s*$')
_GENERIC_CNAM = frozenset(
    {"unknown", "anonymous", "private", "restricted", "unavailable", "wireless caller"}
    | {"out of area", "toll free", "cell phone", "unknown caller", "private caller"}
)


class CallCentreAdapter(BaseAdapter):
    channel = "call"
    extensions = (".csv",)

    def records(self, path: Path) -> Iterator[tuple[Any, str]]:
        yield from csv_rows(path, self.channel, header=False)

    def fragment(self, record: Any, ref: str) -> Fragment | Quarantined:
        if isinstance(record, dict):
            row = record
        else:
            if len(record) < len(FIELDS):
                reason = f"{len(record)} fields; an Asterisk CDR has at least {len(FIELDS)}"
                return Quarantined(self.channel, ref, reason, ",".join(record)[:200])
            row = dict(zip(FIELDS, record[: len(FIELDS)], strict=True))
        b = self.builder(row.get("uniqueid") or ref)
        b.raw_ref = ref
        match = _CLID.match(row.get("clid") or "")
        number = (match.group("number") if match else "") or row.get("src") or ""
        b.phone(number, "caller id")
        name = (match.group("name") or "").strip() if match else ""
        if name and name.lower() not in _GENERIC_CNAM and not name.replace(" ", "").isdigit():
            b.name(name, initial_last=True)
        b.observed_at = row.get("start") or None
        return b.build()

    def sniff(self, path: Path, head: bytes, /) -> bool:
        first = head.split(b"\n", 1)[0]
        return first.count(b",") >= len(FIELDS) - 1 and b"<" in first and b">" in first
