"""Accuracy across match thresholds: a sweep of precision and recall, and its HTML report.

:func:`threshold_sweep` re-clusters a run's scored pairs at each threshold (one union-find per
threshold, no re-scoring) and measures, against the truth, pairwise precision / recall / F1
over the clusters and over the scored pairs themselves. :func:`sweep_report` draws both
precision-recall curves as inline SVG beside the table (no plotting library needed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import numpy as np
import pandas as pd

from identilink.bench.metrics import cluster_pair_metrics, peak_memory_mib
from identilink.cluster import components

__all__ = ["DEFAULT_THRESHOLDS", "sweep_report", "threshold_sweep"]

DEFAULT_THRESHOLDS: tuple[float, ...] = (
    0.01,
    0.05,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    0.95,
    0.99,
    0.999,
)


def threshold_sweep(
    pairs: pd.DataFrame,
    clusters: pd.DataFrame,
    truth: Mapping[object, object] | pd.Series,
    /,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> pd.DataFrame:
    """One row per threshold: cluster-level and pair-level precision, recall and F1.

    ``pairs`` and ``clusters`` are a dedupe result's (``left_id``, ``right_id``,
    ``match_probability``; ``record_id``); ``truth`` maps record id -> true entity. Pair-level
    recall counts every true pair, also those blocking never proposed.
    """
    ids = clusters["record_id"].to_numpy()
    position = pd.Series(np.arange(len(ids)), index=ids)
    left = position.reindex(pairs["left_id"].to_numpy()).to_numpy()
    right = position.reindex(pairs["right_id"].to_numpy()).to_numpy()
    entity = pd.Series(ids).map(pd.Series(truth)).to_numpy()
    same = entity[left] == entity[right]
    sizes = pd.Series(entity).value_counts().to_numpy(dtype=np.int64)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    probability = pairs["match_probability"].to_numpy(dtype=np.float64)
    rows = []
    for t in sorted(thresholds):
        matched = probability >= t
        labels = components(len(ids), left[matched], right[matched])
        on_clusters = cluster_pair_metrics(pd.Series(labels), pd.Series(entity))
        tp = int((matched & same).sum())
        predicted = int(matched.sum())
        precision = tp / predicted if predicted else 1.0
        recall = tp / true_pairs if true_pairs else 1.0
        rows.append(
            {
                "threshold": t,
                "cluster_precision": on_clusters.precision,
                "cluster_recall": on_clusters.recall,
                "cluster_f1": on_clusters.f1,
                "pair_precision": precision,
                "pair_recall": recall,
                "pair_f1": 2 * precision * recall / (precision + recall)
                if precision + recall
                else 0.0,
                "matched_pairs": predicted,
            }
        )
    return pd.DataFrame(rows)


def _curve(sweep: pd.DataFrame, kind: str, colour: str, size: int) -> str:
    points = " ".join(
        f"{40 + r * (size - 60):.1f},{size - 30 - p * (size - 60):.1f}"
        for r, p in zip(sweep[f"{kind}_recall"], sweep[f"{kind}_precision"], strict=True)
    )
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'


def sweep_report(sweep: pd.DataFrame, /, *, title: str, facts: Mapping[str, object]) -> str:
    """A self-contained HTML page: the precision-recall curves and the sweep's table."""
    size = 360
    axes = (
        f'<line x1="40" y1="{size - 30}" x2="{size - 20}" y2="{size - 30}" stroke="#444"/>'
        f'<line x1="40" y1="30" x2="40" y2="{size - 30}" stroke="#444"/>'
        f'<text x="{size // 2}" y="{size - 5}" font-size="12">recall</text>'
        f'<text x="2" y="20" font-size="12">precision</text>'
        f'<text x="40" y="{size - 15}" font-size="10">0</text>'
        f'<text x="{size - 25}" y="{size - 15}" font-size="10">1</text>'
    )
    svg = (
        f'<svg width="{size}" height="{size}" role="img" aria-label="precision-recall">'
        f"{axes}{_curve(sweep, 'cluster', '#3b7dd8', size)}"
        f"{_curve(sweep, 'pair', '#d8863b', size)}</svg>"
    )
    header = "".join(f"<th>{escape(c)}</th>" for c in sweep.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{v:.4f}</td>" if isinstance(v, float) else f"<td>{escape(str(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in sweep.itertuples(index=False)
    )
    listed = "".join(
        f"<li><b>{escape(str(k))}</b>: {escape(str(v))}</li>" for k, v in facts.items()
    )
    return (
        f"<!doctype html><meta charset='utf-8'><title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}</style>"
        f"<h1>{escape(title)}</h1><ul>{listed}</ul>{svg}"
        "<p><span style='color:#3b7dd8'>clusters</span> / "
        "<span style='color:#d8863b'>scored pairs</span></p>"
        f"<table><tr>{header}</tr>{body}</table>"
    )


#: Deduplication data sets with ground truth the harness runs (name -> what it is).
DATASETS: Mapping[str, str] = {
    "febrl1": "FEBRL 1 (1,000 records)",
    "febrl2": "FEBRL 2 (5,000 records)",
    "febrl3": "FEBRL 3 (5,000 records)",
    "fake_1000": "Splink's fake_1000 (1,000 records with e-mails)",
    "historical_50k": "Splink's historical_50k (50,000 records)",
    "senzing": "Senzing's demo truth set (customers, reference, watchlist: 159 records)",
    "people": "generated people (--records, 30% duplicates with typos)",
}


def load_dataset(
    name: str, /, *, records: int = 100_000, seed: int = 1
) -> tuple[pd.DataFrame, str]:
    """A data set of :data:`DATASETS` and the name of its truth column."""
    from identilink.bench.datasets import data_dir, load_febrl, load_senzing
    from identilink.bench.people import generate_people
    from identilink.errors import ConfigurationError, InputFileError

    if name.startswith("febrl") and name[5:] in ("1", "2", "3"):
        return load_febrl(int(name[5:])), "entity"
    if name == "people":
        return generate_people(records, seed=seed), "person_id"
    if name == "senzing":
        return load_senzing(), "entity"
    if name in ("fake_1000", "historical_50k"):
        root = data_dir()
        if root is None:
            raise InputFileError(
                f"{name} needs the shared data folder (../shared/data or IDENTILINK_DATA)"
            )
        splink = root / "splink_datasets"
        if name == "fake_1000":
            return pd.read_csv(splink / "fake_1000.csv", dtype=str), "cluster"
        return pd.read_parquet(splink / "historical_figures_with_errors_50k.parquet"), "cluster"
    raise ConfigurationError(f"unknown data set {name!r}; one of {', '.join(DATASETS)}")


def run_benchmark(
    name: str, /, *, records: int = 100_000, seed: int = 1, peers: Sequence[str] = ()
) -> tuple[dict[str, object], pd.DataFrame]:
    """Deduplicate a data set with no settings, measure it against its truth: (report,
    threshold sweep). The report holds time per stage, peak memory, candidate pairs, pair
    completeness and reduction ratio of blocking, and pairwise and B-cubed accuracy; with
    ``peers`` (``"splink"``, ``"recordlinkage"``), ``peers`` holds each peer's time, its
    ratio to identilink's and its accuracy with the same blocking (see
    :mod:`identilink.bench.peers`)."""
    import time

    import identilink
    from identilink.bench.metrics import b_cubed, blocking_metrics

    frame, truth_column = load_dataset(name, records=records, seed=seed)
    start = time.perf_counter()
    result = identilink.dedupe(frame.drop(columns=[truth_column]), progress=False)
    seconds = time.perf_counter() - start
    ids = result.clusters["record_id"]
    id_column = result.model.settings.id_column
    record_ids = frame[id_column] if id_column in frame else pd.Series(range(len(frame)))
    truth = pd.Series(frame[truth_column].to_numpy(), index=record_ids.to_numpy())
    entity = ids.map(truth)
    pairs = cluster_pair_metrics(result.clusters["cluster_id"], entity)
    n = len(frame)
    blocking = blocking_metrics(
        result.pairs["left_id"].tolist(),
        result.pairs["right_id"].tolist(),
        truth,
        n_total_pairs=n * (n - 1) // 2,
    )
    report: dict[str, object] = {
        "dataset": name,
        "records": n,
        "seconds": round(seconds, 3),
        "stages": result.report["seconds"],
        "peak_mib": round(peak_memory_mib()),
        "candidate_pairs": result.report["n_candidate_pairs"],
        **{k: round(v, 6) for k, v in blocking.items()},
        **{k: round(float(v), 6) for k, v in pairs.to_dict().items()},
        "b_cubed": {
            k: round(v, 6) for k, v in b_cubed(result.clusters["cluster_id"], entity).items()
        },
        "threshold": result.report["threshold"],
    }
    if peers:
        from identilink._pipeline import prepare_one
        from identilink.bench.peers import run_peers

        _, table = prepare_one(frame.drop(columns=[truth_column]), result.settings)
        report["peers"] = run_peers(
            table,
            result.settings,
            frame[truth_column].to_numpy(),
            peers=peers,
            anchor_seconds=seconds,
        )
    return report, threshold_sweep(result.pairs, result.clusters, truth)
