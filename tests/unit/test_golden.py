from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from identilink.golden import _order, golden_records


def test_most_frequent_then_most_complete() -> None:
    original = pd.DataFrame(
        {"fn": ["Anna", "ANNA", "Ann", "Bob", None], "city": ["X", None, "Y", None, "Z"]}
    )
    normalized = {
        "first_name": np.array(["anna", "anna", "ann", "bob", None], dtype=object),
        "city": np.array(["x", None, "y", None, "z"], dtype=object),
    }
    labels = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    out = golden_records(
        original,
        normalized,
        {"first_name": "fn", "city": "city"},
        labels,
        np.array(["c0", "c1"], dtype=object),
        np.array(["r0", "r1", "r2", "r3", "r4"], dtype=object),
    )
    assert out["n_records"].tolist() == [3, 2]
    # "anna" wins by frequency; of its holders r0 is more complete, so its spelling survives
    assert out["fn"].tolist() == ["Anna", "Bob"]
    assert out["fn__source"].tolist() == ["r0", "r3"]
    # city: x and y tie on frequency; r0 (2 roles) beats r2 (2 roles) by order
    assert out["city"].tolist() == ["X", "Z"]


def _reference(
    normalized: dict[str, np.ndarray], labels: np.ndarray, n_clusters: int
) -> dict[str, list[int]]:
    """Per role and cluster, the chosen record by the documented rule, one record at a time."""
    completeness = [sum(v[i] is not None for v in normalized.values()) for i in range(len(labels))]
    out: dict[str, list[int]] = {}
    for role, values in normalized.items():
        chosen = []
        for c in range(n_clusters):
            members = [i for i in range(len(labels)) if labels[i] == c and values[i] is not None]
            if not members:
                chosen.append(-1)
                continue

            def freq(i: int, members: list[int] = members, values: np.ndarray = values) -> int:
                return sum(values[j] == values[i] for j in members)

            chosen.append(min(members, key=lambda i: (-freq(i), -completeness[i], i)))
        out[role] = chosen
    return out


@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from([None, "a", "b"]),
            st.sampled_from([None, "x", "y", "z"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_golden_choices_match_a_record_by_record_reference(
    rows: list[tuple[int, str | None, str | None]],
) -> None:
    raw_labels = [r[0] for r in rows]
    _, labels = np.unique(raw_labels, return_inverse=True)
    n_clusters = int(labels.max()) + 1
    normalized = {
        "first_name": np.array([r[1] for r in rows], dtype=object),
        "city": np.array([r[2] for r in rows], dtype=object),
    }
    original = pd.DataFrame({"fn": normalized["first_name"], "city": normalized["city"]})
    ids = np.array([f"r{i}" for i in range(len(rows))], dtype=object)
    clusters = np.array([f"c{i}" for i in range(n_clusters)], dtype=object)
    roles = {"first_name": "fn", "city": "city"}
    out = golden_records(original, normalized, roles, labels.astype(np.int64), clusters, ids)
    expected = _reference(normalized, labels, n_clusters)
    for role, column in (("first_name", "fn"), ("city", "city")):
        got = [None if pd.isna(s) else int(s[1:]) for s in out[f"{column}__source"]]
        assert got == [None if i < 0 else i for i in expected[role]]
    # a prepared table's codes give the same records (completeness counted from them)
    factorized = {role: pd.factorize(v, use_na_sentinel=True)[0] for role, v in normalized.items()}
    with_codes = golden_records(
        original,
        normalized,
        roles,
        labels.astype(np.int64),
        clusters,
        ids,
        codes=lambda role: factorized[role].astype(np.int64),
    )
    pd.testing.assert_frame_equal(out, with_codes)


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(1, 6), st.integers(0, 5)), min_size=1))
def test_packed_order_equals_lexsort(rows: list[tuple[int, int, int]]) -> None:
    cluster, freq, complete = (np.array(x, dtype=np.int64) for x in zip(*rows, strict=True))
    expected = np.lexsort((np.arange(len(rows)), -complete, -freq, cluster))
    np.testing.assert_array_equal(_order(cluster, freq, complete), expected)
