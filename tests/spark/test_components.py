"""The distributed connected components give the local engine's partition."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from identilink.cluster import components
from identilink.spark import connected_components

pytestmark = [
    # py4j leaves its sockets to the garbage collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _partition(labels: dict[int, int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for vertex, label in labels.items():
        groups.setdefault(label, set()).add(vertex)
    return {frozenset(g) for g in groups.values()}


def test_one_graph_of_every_shape_matches_the_local_components(spark: Any) -> None:
    rng = np.random.default_rng(0)
    # a sparse random graph on 0..299 (trees, cycles, many small parts), a path 300-...-449
    # given in shuffled order (diameter 149), isolated vertices 450..499, then duplicate
    # edges, reversed edges and self loops
    a = list(rng.integers(0, 300, 220))
    b = list(rng.integers(0, 300, 220))
    path = rng.permutation(149)
    a += [300 + int(i) for i in path]
    b += [301 + int(i) for i in path]
    a += [0, 1, 7, 7]
    b += [1, 0, 7, 7]
    n = 500
    edges = spark.createDataFrame(
        pd.DataFrame({"src": np.array(a, dtype=np.int64), "dst": np.array(b, dtype=np.int64)})
    )
    rows = connected_components(edges, spark.range(n), checkpoint_every=2).collect()
    got = {int(r["id"]): int(r["component"]) for r in rows}
    assert sorted(got) == list(range(n))
    local = components(n, np.array(a, dtype=np.int64), np.array(b, dtype=np.int64))
    assert _partition(got) == _partition(dict(enumerate(local.tolist())))
    # each component is named after its smallest vertex
    assert all(got[v] == min(group) for group in _partition(got) for v in group)
    assert {got[v] for v in range(300, 450)} == {300}
    assert all(got[v] == v for v in range(450, n))


def test_checkpoint_every_must_be_positive(spark: Any) -> None:
    edges = spark.createDataFrame(pd.DataFrame({"src": [1], "dst": [2]}))
    with pytest.raises(ValueError, match="checkpoint_every"):
        connected_components(edges, checkpoint_every=0)
