"""Twitter / X API v2 objects as JSON Lines.

Each line is a user object (``id, username, name, description, location, url``), a tweet object
(``id, text, author_id, created_at``), or a response page ``{"data": ..., "includes":
{"users": [...]}}``. One fragment per author: the platform user id and ``twitter:<username>``,
the display name, and e-mails and phones written in the bio or the tweet. ``@mentions`` in text
are other people and are never taken as the author's handle.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from identilink.adapters.base import BaseAdapter, Source
from identilink.fragments import Fragment, Quarantined

__all__ = ["TwitterAdapter"]


def _page_units(page: dict[str, Any], ref: str) -> Iterator[tuple[Any, str]]:
    includes = page.get("includes") if isinstance(page.get("includes"), dict) else {}
    listed = (includes or {}).get("users")
    users = {
        str(u.get("id")): u
        for u in (listed if isinstance(listed, list) else [])
        if isinstance(u, dict)
    }
    data = page.get("data")
    items = data if isinstance(data, list) else [data] if data else []
    seen = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        if "text" in item:  # a tweet: its author comes from includes.users
            seen.add(str(item.get("author_id")))
            yield {"tweet": item, "user": users.get(str(item.get("author_id")))}, ref
        else:  # a user object
            seen.add(str(item.get("id")))
            yield {"user": item}, ref
    for uid, user in users.items():
        if uid not in seen:
            yield {"user": user}, ref


class TwitterAdapter(BaseAdapter):
    channel = "twitter"
    extensions = (".jsonl", ".json")

    def units(self, source: Source) -> Iterator[tuple[Any, str]]:
        """Response pages are flattened into one (tweet, author) or (user) unit each."""
        for record, ref in super().units(source):
            if isinstance(record, dict) and ("data" in record or "includes" in record):
                yield from _page_units(record, ref)
            elif isinstance(record, dict) and "text" in record:
                yield {"tweet": record, "user": None}, ref
            else:
                yield ({"user": record} if isinstance(record, dict) else record), ref

    def fragment(self, record: dict[str, Any], ref: str) -> Fragment | Quarantined:
        user = record.get("user") or {}
        tweet = record.get("tweet") or {}
        user_id = user.get("id") or tweet.get("author_id")
        if not user_id:
            return Quarantined(self.channel, ref, "no user id or author_id", str(record)[:200])
        source_id = f"tweet-{tweet['id']}" if tweet.get("id") else f"user-{user_id}"
        b = self.builder(source_id)
        b.raw_ref = ref
        b.user_id("twitter", user_id, "author")
        if user.get("username"):
            b.handle("twitter", user["username"], "author")
        if user.get("name"):
            b.name(user["name"])
        if user.get("location"):  # free text; "Springfield, IL" gives a city and a state
            parts = [part.strip() for part in str(user["location"]).split(",")]
            b.attribute("city", parts[0])
            if len(parts) > 1 and len(parts[-1]) == 2 and parts[-1].isalpha():
                b.attribute("state", parts[-1])
        b.identifiers_in(user.get("description"), "bio")
        b.identifiers_in(tweet.get("text"), "tweet")
        b.observed_at = tweet.get("created_at") or user.get("created_at") or None
        return b.build()

    def sniff(self, path: Path, head: bytes, /) -> bool:
        return b'"username"' in head or b'"author_id"' in head
