"""Golden records: one row per cluster, each attribute chosen by a survivorship rule.

The default rule is *most frequent non-null*: the normalised value most records of the cluster
agree on, ties going to the value held by the most complete record (most non-null roles), then
to the earliest record. The value written is the original one, as the chosen record has it, and
``<column>__source`` names that record, so every golden value says where it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from identilink._sort import stable_order

__all__ = ["golden_records"]


def golden_records(
    original: pd.DataFrame,
    normalized: Mapping[str, npt.NDArray[np.object_]],
    roles: Mapping[str, str],
    labels: npt.NDArray[np.int64],
    cluster_ids: npt.NDArray[np.object_],
    record_ids: npt.NDArray[np.object_],
    codes: Callable[[str], npt.NDArray[np.int64]] | None = None,
    several: Mapping[
        str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.object_]]
    ]
    | None = None,
) -> pd.DataFrame:
    """Golden record per cluster (``labels`` index ``cluster_ids``) over the role columns.

    ``original`` holds the input rows in table order; ``normalized`` the role values;
    ``codes``, where given, a role's integer codes of them (-1 for null: what
    ``pd.factorize`` gives, already at hand in a prepared table).

    ``several``: per role whose records may hold several values (list cells), ``(record,
    code, distinct values)`` of every value. For those roles ``<column>__all`` lists every
    value the cluster's records hold, the most frequent first (ties: the first seen), and
    the golden value is the first of them, normalised (an input cell holds a list), its
    source the first record holding it.
    """
    several = several or {}
    n_clusters = len(cluster_ids)
    sizes = np.bincount(labels, minlength=n_clusters)
    out: dict[str, npt.NDArray[Any]] = {"cluster_id": cluster_ids, "n_records": sizes}
    completeness = np.zeros(len(labels), dtype=np.int64)
    for role, values in normalized.items():  # a code is -1 where the value is null
        completeness += codes(role) >= 0 if codes is not None else pd.notna(values)
    alone = sizes[labels] == 1  # a record alone in its cluster is its golden record
    for role, column in roles.items():
        if role not in normalized:
            continue
        col_values = np.full(n_clusters, None, dtype=object)
        every = None
        if role in several:  # the most frequent of every value the cluster holds
            records, value_codes, uniques = several[role]
            every, chosen = _union(records, labels, value_codes, uniques, n_clusters)
            has = chosen >= 0
            col_values[has] = [values[0] for values in every[has]]
        else:
            role_codes = (
                pd.factorize(normalized[role], use_na_sentinel=True)[0]
                if codes is None
                else codes(role)
            )
            chosen = _survivors(role_codes, labels, alone, completeness, n_clusters)
            has = chosen >= 0
            col_values[has] = original[column].to_numpy(dtype=object)[chosen[has]]
        sources = np.full(n_clusters, None, dtype=object)
        sources[has] = record_ids[chosen[has]]
        out[column] = col_values
        out[f"{column}__source"] = sources
        if every is not None:
            out[f"{column}__all"] = every
    return pd.DataFrame(out, copy=False)  # built once: inserting columns copied them


def _survivors(
    role_codes: npt.NDArray[np.int64],
    labels: npt.NDArray[np.int64],
    alone: npt.NDArray[np.bool_],
    completeness: npt.NDArray[np.int64],
    n_clusters: int,
) -> npt.NDArray[np.int64]:
    """Per cluster, the record whose value survives (-1 for none): the most frequent value,
    then the most complete record, then the earliest."""
    chosen = np.full(n_clusters, -1, dtype=np.int64)
    single = np.flatnonzero(alone & (role_codes >= 0))
    chosen[labels[single]] = single
    present = np.flatnonzero(~alone & (role_codes >= 0))
    if len(present):
        cluster = labels[present].astype(np.int64)
        # how many records of the cluster share each record's value (hashing, no sort)
        packed = cluster * (int(role_codes.max()) + 1) + role_codes[present]
        inverse, distinct = pd.factorize(packed)
        freq = np.bincount(inverse, minlength=len(distinct))[inverse]
        # per cluster: the most frequent value, then the most complete record, then the
        # earliest (a stable sort keeps record order among ties)
        order = _order(cluster, freq, completeness[present])
        in_order = cluster[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = in_order[1:] != in_order[:-1]
        chosen[in_order[first]] = present[order][first]
    return chosen


def _union(
    records: npt.NDArray[np.int64],
    labels: npt.NDArray[np.int64],
    values: npt.NDArray[np.int64],
    uniques: npt.NDArray[np.object_],
    n_clusters: int,
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.int64]]:
    """Per cluster, the list of the distinct values its records hold (``None`` for none),
    the most frequent first, ties to the first seen; and the first record holding the
    first of them (-1 for none). ``(records, values)``: every value of every record, records
    ascending, values as codes into ``uniques``."""
    out = np.full(n_clusters, None, dtype=object)
    source = np.full(n_clusters, -1, dtype=np.int64)
    if len(values) == 0:
        return out, source
    width = np.int64(len(uniques))
    inverse, distinct = pd.factorize(labels[records] * width + values)
    count = np.bincount(inverse, minlength=len(distinct))
    first_seen = np.full(len(distinct), len(inverse), dtype=np.int64)
    np.minimum.at(first_seen, inverse, np.arange(len(inverse), dtype=np.int64))
    order = np.lexsort((first_seen, -count, distinct // width))
    owner, words = distinct[order] // width, uniques[distinct[order] % width]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), len(owner)], strict=True):
        out[owner[start]] = words[start:end].tolist()
    source[owner[starts]] = records[first_seen[order][starts]]
    return out, source


def _order(
    cluster: npt.NDArray[np.int64],
    freq: npt.NDArray[np.int64],
    completeness: npt.NDArray[np.int64],
) -> npt.NDArray[np.intp]:
    """Records by cluster, then frequency and completeness descending, then position: one
    stable sort of a packed key where it fits in 63 bits, else ``np.lexsort``."""
    f, c = int(freq.max()) + 1, int(completeness.max()) + 1
    if (int(cluster.max()) + 1) * f * c < 2**62:
        key = (cluster * f + (f - 1 - freq)) * c + (c - 1 - completeness)
        return stable_order(key)
    return np.lexsort((np.arange(len(cluster)), -completeness, -freq, cluster))
