"""The adapter contract: a Protocol for typing and a base class with the shared machinery."""

from __future__ import annotations

import csv
import io
import json
import reprlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import msgspec

from identilink.fragments import Fragment, FragmentBuilder, Quarantined
from identilink.normalize.blocklist import DEFAULT_BLOCKLIST, Blocklist

__all__ = ["BaseAdapter", "ChannelAdapter", "Item", "Source"]

Item = Fragment | Quarantined
Source = str | Path | Iterable[Any]


@runtime_checkable
class ChannelAdapter(Protocol):
    """Reads one channel's native records and yields fragments (or quarantined records).

    Third-party adapters need not inherit anything: a class with these members, registered
    under the ``identilink.adapters`` entry-point group, is picked up by name.
    """

    channel: str

    def parse(self, source: Source, /) -> Iterator[Item]: ...

    def sniff(self, path: Path, head: bytes, /) -> bool: ...


class BaseAdapter:
    """Defaults shared by the built-in adapters.

    ``parse`` accepts a file path or an iterable of already-decoded native records (dicts,
    rows or messages). Subclasses implement :meth:`records` (a file's raw records, each with a
    reference), :meth:`fragment` (one record -> fragment, quarantined record or ``None`` for a
    record about no one) and :meth:`sniff`; :meth:`units` may regroup records first. A record
    whose fields have the wrong shape is quarantined with the error, never raised.
    """

    channel = "base"
    extensions: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        region: str = "US",
        provider_rules: bool = False,
        blocklist: Blocklist = DEFAULT_BLOCKLIST,
    ) -> None:
        self.region = region
        self.provider_rules = provider_rules
        self.blocklist = blocklist

    def builder(self, source_id: object) -> FragmentBuilder:
        return FragmentBuilder(
            self.channel,
            source_id,
            region=self.region,
            provider_rules=self.provider_rules,
            blocklist=self.blocklist,
        )

    def parse(self, source: Source, /) -> Iterator[Item]:
        for record, ref in self.units(source):
            if isinstance(record, Quarantined):
                yield record
                continue
            try:
                fragment = self.fragment(record, ref)
            except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
                # RecursionError: structure nested past the parsers' recursion (MIME parts)
                why = "nested too deeply" if isinstance(exc, RecursionError) else exc
                yield Quarantined(self.channel, ref, f"malformed record: {why}", _excerpt(record))
                continue
            if fragment is not None:
                yield fragment

    def units(self, source: Source) -> Iterator[tuple[Any, str]]:
        """Native records with references: a file's (via :meth:`records`) or an iterable's."""
        if isinstance(source, str | Path):
            yield from self.records(Path(source))
        else:
            for n, record in enumerate(source, start=1):
                yield record, f"<input>#{n}"

    # -- hooks --------------------------------------------------------------------------

    def records(self, path: Path) -> Iterator[tuple[Any, str]]:
        """Native records of a file with a reference to each (``path:line``).

        JSON Lines (or one JSON array) unless an adapter reads another format.
        """
        return json_lines(path, self.channel)

    def fragment(self, record: Any, ref: str) -> Fragment | Quarantined | None:
        raise NotImplementedError

    def sniff(self, path: Path, head: bytes, /) -> bool:
        return False


def _excerpt(record: Any) -> str:
    try:
        text = record if isinstance(record, str) else json.dumps(record, default=str)
    except (TypeError, ValueError, RecursionError):
        text = reprlib.repr(record)  # bounded in depth and length
    return text[:200]


_JSON = msgspec.json.Decoder()


def loads(text: str) -> Any:
    """One JSON text decoded as ``json.loads`` decodes it, by msgspec (twice as fast on the
    channel files); where msgspec refuses a text ``json`` accepts (``NaN``, lone surrogate
    escapes) or neither does, ``json.loads`` answers or raises its ``JSONDecodeError``. A
    property test holds the two together. Nesting too deep for either decoder's recursion
    is a ``JSONDecodeError`` too (a line of ``[[[[...`` is quarantined, not a crash)."""
    try:
        try:
            return _JSON.decode(text)
        except msgspec.DecodeError:
            return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def json_lines(path: Path, channel: str) -> Iterator[tuple[Any, str]]:
    """Objects of a JSON Lines file (or one JSON array / object); bad lines are quarantined."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Quarantined(channel, f"{path}", f"not valid UTF-8 (byte {exc.start})", ""), str(path)
        text = raw.decode("utf-8-sig", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = loads(stripped)
        except json.JSONDecodeError as exc:
            yield Quarantined(channel, str(path), f"invalid JSON: {exc}", stripped[:200]), str(path)
            return
        for n, item in enumerate(items, start=1):
            yield item, f"{path}#{n}"
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        ref = f"{path}:{n}"
        try:
            yield loads(line), ref
        except json.JSONDecodeError as exc:
            yield Quarantined(channel, ref, f"invalid JSON: {exc.msg}", line[:200]), ref


def csv_rows(path: Path, channel: str, *, header: bool = True) -> Iterator[tuple[Any, str]]:
    """Rows of a CSV file as dicts (or lists without a header); undecodable bytes quarantined."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Quarantined(channel, str(path), f"not valid UTF-8 (byte {exc.start})", ""), str(path)
        text = raw.decode("utf-8-sig", errors="replace")
    csv.field_size_limit(10_000_000)
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: list[str] | None = None
    n = 0
    while True:
        n += 1
        ref = f"{path}:{n}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a field over the size limit: the row is quarantined
            yield Quarantined(channel, ref, f"unreadable CSV row: {exc}", ""), ref
            continue
        if header and columns is None:
            columns = [c.strip() for c in row]
            continue
        if not row:
            continue
        if columns is None:
            yield row, ref
        elif len(row) != len(columns):
            reason = f"{len(row)} fields where the header has {len(columns)}"
            yield Quarantined(channel, ref, reason, ",".join(row)[:200]), ref
        else:
            yield dict(zip(columns, row, strict=True)), ref
