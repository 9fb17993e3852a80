"""Channel adapters: one module per channel, one registry.

``get_adapter("sms")`` returns an adapter instance; :func:`detect_channel` guesses a file's
channel from its name and first bytes. Third parties add adapters through the entry-point group
``identilink.adapters`` (name -> class); set ``IDENTILINK_NO_PLUGINS=1`` to ignore them.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from identilink._gc import collector_paused
from identilink.adapters.base import BaseAdapter, ChannelAdapter
from identilink.adapters.callcentre import CallCentreAdapter
from identilink.adapters.crm import CrmAdapter
from identilink.adapters.email import EmailAdapter
from identilink.adapters.facebook import FacebookAdapter
from identilink.adapters.sms import SmsAdapter
from identilink.adapters.twitter import TwitterAdapter
from identilink.adapters.webchat import WebChatAdapter
from identilink.errors import ConfigurationError, InputFileError

__all__ = [
    "ADAPTERS",
    "BaseAdapter",
    "CallCentreAdapter",
    "ChannelAdapter",
    "CrmAdapter",
    "EmailAdapter",
    "FacebookAdapter",
    "SmsAdapter",
    "TwitterAdapter",
    "WebChatAdapter",
    "adapter_names",
    "collector_paused",
    "detect_channel",
    "get_adapter",
    "ingest",
]

#: Built-in adapters by channel name. Detection tries them in this order.
ADAPTERS: dict[str, type[Any]] = {
    "email": EmailAdapter,
    "sms": SmsAdapter,
    "twitter": TwitterAdapter,
    "facebook": FacebookAdapter,
    "webchat": WebChatAdapter,
    "call": CallCentreAdapter,
    "crm": CrmAdapter,
}
ENTRY_POINT_GROUP = "identilink.adapters"


def _plugins() -> dict[str, type[Any]]:
    if os.environ.get("IDENTILINK_NO_PLUGINS"):
        return {}
    found: dict[str, type[Any]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must not break the built-in channels
            raise ConfigurationError(f"adapter plugin {ep.name!r} failed to load: {exc}") from None
    return found


def adapter_names() -> list[str]:
    return [*ADAPTERS, *sorted(set(_plugins()) - set(ADAPTERS))]


def get_adapter(name: str, /, **options: Any) -> Any:
    """An adapter instance for channel ``name`` (options: region, provider_rules, blocklist)."""
    cls = ADAPTERS.get(name) or _plugins().get(name)
    if cls is None:
        raise ConfigurationError(f"unknown channel {name!r}; expected one of {adapter_names()}")
    return cls(**options)


def detect_channel(path: str | Path, /) -> str:
    """The channel of ``path`` when exactly one adapter recognises it."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise InputFileError(f"{p}: cannot read: {exc.strerror or exc}") from None
    adapters = {name: get_adapter(name) for name in adapter_names()}
    matches = [
        name
        for name, adapter in adapters.items()
        if (not getattr(adapter, "extensions", ()) or p.suffix.lower() in adapter.extensions)
        and adapter.sniff(p, head)
    ]
    if len(matches) == 1:
        return matches[0]
    if matches[:1] == ["email"]:  # .eml / mbox are unambiguous
        return "email"
    if not matches:
        raise ConfigurationError(f"{p}: cannot tell its channel; pass --channel")
    raise ConfigurationError(f"{p}: could be any of {matches}; pass --channel")


def ingest(
    paths: list[str | Path], /, *, channel: str | None = None, **options: Any
) -> tuple[list[Any], list[Any]]:
    """Fragments and quarantined records of ``paths`` (channel detected per file unless given).

    The cyclic garbage collector is paused while the files are read: parsing makes millions
    of small acyclic objects (fragments, identifiers, dicts), each allocation burst set off a
    collection that walked them all again, and that was a quarter of the time. It runs again
    (and collects whatever cycles parsing left) as soon as the files are read."""
    fragments: list[Any] = []
    quarantined: list[Any] = []
    with collector_paused():
        for path in paths:
            adapter = get_adapter(channel or detect_channel(path), **options)
            for item in adapter.parse(Path(path)):
                (quarantined if type(item).__name__ == "Quarantined" else fragments).append(item)
    return fragments, quarantined
