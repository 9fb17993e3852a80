"""Automatic settings on files identilink was not tuned on: does `dedupe` "just work"?

Runs `identilink.dedupe(frame)` with no settings on Splink's fake_1000 and historical_50k and
on Senzing's demo truth set (its CUSTOMERS source), and prints the inferred roles, candidate
pairs, time and pairwise precision/recall/F1 over clusters against each set's truth.

    python benchmarks/bench_unseen.py
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import pandas as pd

import identilink
from identilink.bench import cluster_pair_metrics
from identilink.bench.datasets import data_dir

HERE = Path(__file__).resolve().parent


def _sets(root: Path) -> dict[str, tuple[pd.DataFrame, str]]:
    splink = root / "splink_datasets"
    senzing = root / "senzing_truthset_demo"
    customers = pd.read_csv(senzing / "customers.csv", dtype=str)
    key = pd.read_csv(senzing / "actual_truthset_key.csv", dtype=str)
    key = key[key.DATA_SOURCE == "CUSTOMERS"][["RECORD_ID", "CLUSTER_ID"]]
    customers = customers.merge(key, on="RECORD_ID", how="left")
    customers["CLUSTER_ID"] = customers["CLUSTER_ID"].fillna("own-" + customers["RECORD_ID"])
    return {
        "fake_1000": (pd.read_csv(splink / "fake_1000.csv", dtype=str), "cluster"),
        "historical_50k": (
            pd.read_parquet(splink / "historical_figures_with_errors_50k.parquet"),
            "cluster",
        ),
        "senzing_customers": (customers, "CLUSTER_ID"),
    }


def main() -> None:
    root = data_dir()
    if root is None:
        raise SystemExit("shared data not found: set IDENTILINK_DATA")
    rows = []
    for name, (frame, truth_column) in _sets(root).items():
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = identilink.dedupe(frame.drop(columns=[truth_column]))
        seconds = time.perf_counter() - start
        id_column = result.settings.id_column
        truth = dict(zip(frame[id_column], frame[truth_column], strict=True))
        metrics = cluster_pair_metrics(
            result.clusters.cluster_id, result.clusters.record_id.map(truth)
        )
        rows.append(
            {
                "data": name,
                "records": len(frame),
                "roles": result.report["roles"],
                "candidate_pairs": result.report["n_candidate_pairs"],
                "seconds": round(seconds, 2),
                "warnings": [str(w.message) for w in caught],
                **{k: round(v, 4) for k, v in metrics.to_dict().items()},
            }
        )
        r = rows[-1]
        print(
            f"{name:18} {r['records']:6d} records {r['candidate_pairs']:8d} pairs "
            f"{r['seconds']:6.2f} s  P {r['precision']:.4f} R {r['recall']:.4f} F1 {r['f1']:.4f}"
        )
        print(f"{'':18} roles {r['roles']}")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "unseen.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
