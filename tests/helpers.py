from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import pandas as pd

from identilink._table import IdentilinkWarning, Table, prepare
from identilink.config import Settings


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
