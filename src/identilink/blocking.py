"""Blocking: candidate pairs from OR-ed rules, generated in bulk from sorted integer codes.

A rule's key is the combination of its keys' codes; records sharing a non-null key form a
block, and every pair inside a block is a candidate. Pairs are produced by numpy index
arithmetic (no Python loop per block or per pair) and de-duplicated across rules.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from identilink._table import IdentilinkWarning, Table
from identilink.config import BlockingRule

__all__ = [
    "BlockingResult",
    "block",
    "count_pairs",
    "cumulative_pairs",
    "pairs_between",
    "pairs_within",
    "rule_codes",
]

Index = npt.NDArray[np.int64]


def rule_codes(table: Table, rule: BlockingRule) -> Index:
    """One integer code per record for the rule's combined key, ``-1`` where any key is null.

    Computed once per table: the pair budget, blocking and training all ask for them.
    """
    name = str(rule)
    if name not in table._rule_codes:
        table._rule_codes[name] = _combined_codes(table, rule)
    return table._rule_codes[name]


def _combined_codes(table: Table, rule: BlockingRule) -> Index:
    combined: Index | None = None
    for key in rule.keys:
        codes = table.key_codes(key)
        if combined is None:
            combined = codes.copy()
            continue
        null = (combined < 0) | (codes < 0)
        width = int(codes.max()) + 1 if len(codes) else 1
        merged = combined * width + codes
        merged[null] = -1
        # re-number densely so that the next multiplication cannot overflow
        _, dense = np.unique(merged, return_inverse=True)
        combined = dense.astype(np.int64) - (1 if null.any() else 0)
        combined[null] = -1
    assert combined is not None
    return combined


def _groups(codes: Index) -> tuple[Index, Index, Index]:
    """Sorted record order, group starts and group sizes over non-null codes."""
    valid = np.flatnonzero(codes >= 0)
    order = valid[np.argsort(codes[valid], kind="stable")]
    sorted_codes = codes[order]
    if len(sorted_codes) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return order, empty, empty
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_codes)])
    return order, starts.astype(np.int64), sizes.astype(np.int64)


def pairs_within(
    codes: Index, /, *, max_block_size: int | None = None
) -> tuple[Index, Index, Index]:
    """All pairs ``(a, b)`` with ``a < b`` sharing a code; returns ``(a, b, oversized codes)``.

    Blocks larger than ``max_block_size`` are skipped and their codes returned.
    """
    order, starts, sizes = _groups(codes)
    oversized = np.zeros(0, dtype=np.int64)
    if max_block_size is not None:
        big = sizes > max_block_size
        if big.any():
            oversized = codes[order[starts[big]]]
            starts, sizes = starts[~big], sizes[~big]
    keep = sizes >= 2
    starts, sizes = starts[keep], sizes[keep]
    if len(starts) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, oversized
    # each sorted position p in a block [g, g + s) pairs with positions p+1 .. g+s-1
    member_start = np.repeat(starts, sizes)
    positions = member_start + _ranks(sizes)
    counts = member_start + np.repeat(sizes, sizes) - positions - 1
    left_pos = np.repeat(positions, counts)
    offsets = np.arange(len(left_pos), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    right_pos = left_pos + offsets + 1
    a, b = order[left_pos], order[right_pos]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo, hi, oversized


def _ranks(sizes: Index) -> Index:
    """``[0..s0-1, 0..s1-1, ...]`` for group sizes ``s``."""
    total = int(sizes.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def pairs_between(
    codes: Index, is_right: npt.NDArray[np.bool_], /, *, max_block_size: int | None = None
) -> tuple[Index, Index, Index]:
    """Pairs ``(a, b)`` with ``a`` a left record and ``b`` a right record sharing a code."""
    left = np.flatnonzero(~is_right & (codes >= 0))
    right = np.flatnonzero(is_right & (codes >= 0))
    width = int(codes.max()) + 1 if len(codes) else 1
    count_left = np.bincount(codes[left], minlength=width)
    count_right = np.bincount(codes[right], minlength=width)
    oversized = np.zeros(0, dtype=np.int64)
    allowed = np.ones(width, dtype=bool)
    if max_block_size is not None:
        big = (count_left + count_right) > max_block_size
        oversized = np.flatnonzero(big & (count_left > 0) & (count_right > 0)).astype(np.int64)
        allowed = ~big
    right_order = right[np.argsort(codes[right], kind="stable")]
    right_start = np.cumsum(count_right) - count_right
    left = left[allowed[codes[left]]]
    reps = count_right[codes[left]]
    a = np.repeat(left, reps)
    offsets = _ranks(reps)
    b = right_order[np.repeat(right_start[codes[left]], reps) + offsets]
    return a.astype(np.int64), b.astype(np.int64), oversized


@attrs.frozen
class BlockingResult:
    """Candidate pairs plus, per rule, how many pairs it made and how many were new."""

    left: Index
    right: Index
    rule_stats: pd.DataFrame
    oversized: dict[str, int]


def _rule_pairs(
    table: Table, rule: BlockingRule, max_block_size: int | None
) -> tuple[Index, Index, Index, Index]:
    codes = rule_codes(table, rule)
    if table.source is None:
        a, b, big = pairs_within(codes, max_block_size=max_block_size)
    else:
        a, b, big = pairs_between(codes, table.source == 1, max_block_size=max_block_size)
    return a, b, big, codes


def block(
    table: Table, rules: Sequence[BlockingRule], /, *, max_block_size: int | None
) -> BlockingResult:
    """Candidate pairs of ``table`` under the OR of ``rules``, each pair once."""
    n = np.int64(table.n)
    parts: list[Index] = []
    stats = []
    oversized: dict[str, int] = {}
    for rule in rules:
        a, b, big, codes = _rule_pairs(table, rule, max_block_size)
        if len(big):
            oversized[str(rule)] = len(big)
            sizes = np.bincount(codes[codes >= 0])
            worst = int(big[np.argmax(sizes[big])])
            member = int(np.flatnonzero(codes == worst)[0])
            example = ", ".join(f"{k.role}={table.values[k.role][member]!r}" for k in rule.keys)
            warnings.warn(
                f"blocking rule '{rule}': {len(big)} block(s) larger than max_block_size="
                f"{max_block_size} skipped (largest: {int(sizes[worst])} records with {example})",
                IdentilinkWarning,
                stacklevel=2,
            )
        parts.append(a * n + b)
        stats.append({"rule": str(rule), "pairs": len(parts[-1])})
    # One sort for all rules: each pair once, credited to the first rule that made it.
    everything = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    seen, first = np.unique(everything, return_index=True)
    offsets = np.cumsum([0] + [len(p) for p in parts])
    owner = np.searchsorted(offsets, first, side="right") - 1
    new_pairs = np.bincount(owner, minlength=len(parts)).astype(np.int64)
    frame = pd.DataFrame(stats, columns=["rule", "pairs"])
    frame["new_pairs"] = new_pairs[: len(parts)]
    frame["cumulative_pairs"] = frame["new_pairs"].cumsum()
    return BlockingResult(left=seen // n, right=seen % n, rule_stats=frame, oversized=oversized)


def count_pairs(table: Table, rules: Sequence[BlockingRule], /) -> pd.DataFrame:
    """Pairs each rule makes on its own and the largest block, without generating pairs."""
    rows = []
    for rule in rules:
        codes = rule_codes(table, rule)
        valid = codes[codes >= 0]
        if table.source is None:
            sizes = np.bincount(valid) if len(valid) else np.zeros(0, dtype=np.int64)
            pairs = int((sizes * (sizes - 1) // 2).sum())
        else:
            src = table.source[codes >= 0]
            width = int(valid.max()) + 1 if len(valid) else 0
            left = np.bincount(valid[src == 0], minlength=width)
            right = np.bincount(valid[src == 1], minlength=width)
            sizes = left + right
            pairs = int((left * right).sum())
        rows.append(
            {
                "rule": str(rule),
                "pairs": pairs,
                "largest_block": int(sizes.max()) if len(sizes) else 0,
                "null_keys": int((codes < 0).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["rule", "pairs", "largest_block", "null_keys"])


def cumulative_pairs(
    table: Table, rules: Sequence[BlockingRule], /, *, sample: int = 200_000, seed: int = 0
) -> tuple[npt.NDArray[np.float64], bool]:
    """Distinct pairs made by the first 1, 2, ... rules together, and whether estimated.

    Exact when the input has at most ``sample`` records; otherwise measured on ``sample``
    records drawn at random and scaled by the ratio of all pairs to sampled pairs (each pair
    survives sampling with the same probability), so large inputs are analysed in bounded
    time and memory.
    """
    n = table.n
    if table.source is None and n > sample:
        keep = np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))
        scale = (n * (n - 1)) / (sample * (sample - 1))
    else:
        keep, scale = None, 1.0
    width = np.int64(n)
    parts = []
    for rule in rules:
        codes = rule_codes(table, rule)
        if table.source is None:
            a, b, _ = pairs_within(codes if keep is None else codes[keep])
        else:
            a, b, _ = pairs_between(codes, table.source == 1)
        parts.append(a * width + b)
    if not parts:
        return np.zeros(0, dtype=np.float64), keep is not None
    _, first = np.unique(np.concatenate(parts), return_index=True)
    owner = np.searchsorted(np.cumsum([0] + [len(p) for p in parts]), first, side="right") - 1
    new = np.bincount(owner, minlength=len(parts))[: len(parts)]
    return np.cumsum(new).astype(np.float64) * scale, keep is not None
