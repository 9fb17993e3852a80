"""Orders of integer arrays by numpy's vectorised kernels: a stable argsort of non-negative
integers, ranks within groups."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Index = npt.NDArray[np.int64]


def stable_order(values: Index) -> Index:
    """``np.argsort(values, kind="stable")`` of integers: each value with its position in the
    low bits, sorted by numpy's vectorised sort (several times faster than a stable argsort),
    where the values are non-negative and both fit in 62 bits; else the stable argsort."""
    n = len(values)
    bits = max(1, n.bit_length())
    if n == 0 or int(values.min()) < 0 or int(values.max()) >= 1 << (62 - bits):
        return np.argsort(values, kind="stable")
    keyed = (values.astype(np.int64) << bits) | np.arange(n, dtype=np.int64)
    keyed.sort()
    return keyed & ((1 << bits) - 1)


def ranks(sizes: Index) -> Index:
    """``[0..s0-1, 0..s1-1, ...]`` for group sizes ``s``: each member's rank in its group."""
    total = int(sizes.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
