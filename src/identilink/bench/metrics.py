"""Pairwise accuracy metrics, computed from counts (never by listing pairs)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np
import pandas as pd

__all__ = [
    "PairMetrics",
    "b_cubed",
    "blocking_metrics",
    "cluster_pair_metrics",
    "peak_memory_mib",
]


@attrs.frozen
class PairMetrics:
    """Pair counts and the precision, recall and F1 that follow from them."""

    true_positives: int
    predicted_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "true_positives": self.true_positives,
            "predicted_pairs": self.predicted_pairs,
            "true_pairs": self.true_pairs,
        }


def _pairs(counts: pd.Series | np.ndarray) -> int:
    c = np.asarray(counts, dtype=np.int64)
    return int((c * (c - 1) // 2).sum())


def cluster_pair_metrics(
    predicted: Sequence[object] | pd.Series,
    truth: Sequence[object] | pd.Series,
    /,
    *,
    side: Sequence[object] | pd.Series | None = None,
) -> PairMetrics:
    """Pairwise metrics of a clustering: pairs in one predicted cluster vs one true entity.

    ``predicted`` and ``truth`` give each record's cluster and entity. With ``side`` (for
    linking), only pairs of records from different sides count.
    """
    frame = pd.DataFrame({"p": np.asarray(predicted), "t": np.asarray(truth)})
    if side is None:
        return PairMetrics(
            true_positives=_pairs(frame.groupby(["p", "t"]).size()),
            predicted_pairs=_pairs(frame.groupby("p").size()),
            true_pairs=_pairs(frame.groupby("t").size()),
        )
    frame["s"] = np.asarray(side)

    def cross(keys: list[str]) -> int:
        by_side = frame.groupby([*keys, "s"]).size().unstack("s", fill_value=0)
        if by_side.shape[1] < 2:
            return 0
        return int((by_side.iloc[:, 0].to_numpy() * by_side.iloc[:, 1].to_numpy()).sum())

    return PairMetrics(
        true_positives=cross(["p", "t"]),
        predicted_pairs=cross(["p"]),
        true_pairs=cross(["t"]),
    )


def b_cubed(
    predicted: Sequence[object] | pd.Series, truth: Sequence[object] | pd.Series, /
) -> dict[str, float]:
    """B-cubed precision, recall and F1 (Bagga and Baldwin): per-record cluster overlap.

    For record r with predicted cluster C and true entity E, precision is |C & E| / |C| and
    recall |C & E| / |E|; both are averaged over records.
    """
    frame = pd.DataFrame({"p": np.asarray(predicted), "t": np.asarray(truth)})
    both = frame.groupby(["p", "t"])["p"].transform("size").to_numpy(dtype=np.float64)
    pred = frame.groupby("p")["p"].transform("size").to_numpy(dtype=np.float64)
    true = frame.groupby("t")["t"].transform("size").to_numpy(dtype=np.float64)
    precision = float((both / pred).mean()) if len(frame) else 1.0
    recall = float((both / true).mean()) if len(frame) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def blocking_metrics(
    left: Sequence[object], right: Sequence[object], truth: pd.Series, /, *, n_total_pairs: int
) -> dict[str, float]:
    """Pair completeness (share of true pairs among candidates) and reduction ratio.

    ``truth`` maps record id -> entity; ``left``/``right`` are the candidate pairs' ids.
    """
    el = pd.Series(np.asarray(left)).map(truth).to_numpy()
    er = pd.Series(np.asarray(right)).map(truth).to_numpy()
    found = int(((el == er) & pd.notna(el)).sum())
    counts = truth.value_counts().to_numpy()
    true_pairs = _pairs(counts)
    return {
        "candidate_pairs": len(el),
        "true_pairs_found": found,
        "pair_completeness": found / true_pairs if true_pairs else 1.0,
        "reduction_ratio": 1.0 - len(el) / n_total_pairs if n_total_pairs else 0.0,
    }


def peak_memory_mib() -> float:
    """This process's peak resident memory in MiB: the kernel's high-water mark (VmHWM),
    which, unlike ``ru_maxrss``, does not carry a parent's peak across fork and exec; where
    there is no ``/proc``, ``ru_maxrss``; 0 where neither exists."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # not a Unix
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
