from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory

import pandas as pd

from identilink._table import IdentilinkWarning, Table, prepare
from identilink.config import Settings
from identilink.fragments import Fragment, FragmentBuilder


def make_table(rows: Sequence[Mapping[str, object]], roles: Sequence[str] | None = None) -> Table:
    frame = pd.DataFrame(list(rows))
    with warnings.catch_warnings():  # all-null role columns are dropped with a warning
        warnings.simplefilter("ignore", IdentilinkWarning)
        return _prepare(frame, roles)


def _prepare(frame: pd.DataFrame, roles: Sequence[str] | None) -> Table:
    role_names = roles if roles is not None else [c for c in frame.columns if c != "id"]
    return prepare(
        [frame],
        Settings(),
        {r: r for r in role_names},
        "id" if "id" in frame.columns else None,
        names=["test"],
        explicit_roles=frozenset(),
    )


def fragment(
    channel: str,
    sid: str,
    *,
    name: str = "",
    emails: tuple[str, ...] = (),
    phones: tuple[str, ...] = (),
    twitter: str = "",
    handle: str = "",
    dob: str = "",
    at: str | None = None,
) -> Fragment:
    b = FragmentBuilder(channel, sid)
    b.observed_at = at
    if name:
        b.name(name)
    for e in emails:
        b.email(e)
    for p in phones:
        b.phone(p)
    if twitter:
        b.user_id("twitter", twitter)
    if handle:
        b.handle("twitter", handle)
    if dob:
        b.attribute("dob", dob)
    return b.build()


def people_with_lists(records: int, seed: int) -> pd.DataFrame:
    """Generated people, some holding two e-mails in one cell (a multi-valued role)."""
    from identilink.bench.people import generate_people

    frame = generate_people(records, seed=seed).drop(columns=["person_id"])
    some = frame.index[::13]
    frame.loc[some, "email"] = frame.loc[some, "email"] + "; other" + frame.loc[some, "email"]
    return frame


@functools.cache
def native_records() -> dict[str, list[bytes]]:
    """A few real records of each channel file the generator writes, by file stem: JSON
    lines, and the mailbox's messages (without their ``From`` separator lines)."""
    from identilink.adapters.email import _split_mbox
    from identilink.bench.multichannel import generate

    with TemporaryDirectory() as tmp:
        generate(tmp, people=40, seed=3)
        out = {
            path.stem: path.read_bytes().splitlines()[:40]
            for path in Path(tmp).glob("*.jsonl")
            if path.stem != "identifiers"
        }
        out["email"] = list(_split_mbox((Path(tmp) / "email.mbox").read_bytes()))[:40]
    return out
