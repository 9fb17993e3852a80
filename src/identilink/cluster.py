"""Clustering: connected components of the links at or above the threshold."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["components", "reference_components"]

Index = npt.NDArray[np.int64]


def components(n: int, a: Index, b: Index, /) -> Index:
    """Component label per record, numbered by first appearance (record 0 is in component 0).

    Min-label propagation with pointer jumping, all in numpy: each round hooks every edge's
    larger root under its smaller one, then compresses paths until every record points at
    its root; rounds repeat until no edge joins two roots. A handful of rounds suffice for
    the shallow graphs record linkage makes.
    """
    labels = np.arange(n, dtype=np.int64)
    if len(a):
        while True:
            la, lb = labels[a], labels[b]
            cross = la != lb
            if not cross.any():
                break
            la, lb = la[cross], lb[cross]
            np.minimum.at(labels, np.maximum(la, lb), np.minimum(la, lb))
            while True:  # pointer jumping: every record straight to its root
                jumped = labels[labels]
                if np.array_equal(jumped, labels):
                    break
                labels = jumped
    # renumber so that labels follow the first record of each component
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return np.asarray(rank[inverse.ravel()], dtype=np.int64)


def reference_components(n: int, a: Index, b: Index, /) -> Index:
    """Union-find, one pair at a time: the oracle for :func:`components`."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    roots = [find(i) for i in range(n)]
    numbering: dict[int, int] = {}
    return np.array([numbering.setdefault(r, len(numbering)) for r in roots], dtype=np.int64)
