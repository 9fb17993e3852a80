"""The Spark engine on local[2] as the input grows, beside the local engine in the same run.

    python benchmarks/bench_spark.py                       # 100k, 250k, 500k, 1M, 2M people
    python benchmarks/bench_spark.py --sizes 100000,200000

For each size, generated people (30% duplicates with typos) are deduplicated end to end
(settings inferred, default blocking rules chosen within the per-record budget at that size,
model trained, pairs scored, clusters) by the local engine (the anchor) and by
``identilink.spark.dedupe`` on local[2] (from a Parquet file, pairs, clusters and golden
records written back to Parquet). Reported per size: both wall times, the ratio, Spark's
time per record relative to the smallest size (1.0 = linear growth), candidate pairs,
whether the models agree (prior to 1e-9) and whether the clusters are the same partition.
Needs the ``spark`` extra and Java. Writes results/spark.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

import identilink
from identilink.bench.people import generate_people

HERE = Path(__file__).resolve().parent


def _partition(ids: pd.Series, labels: pd.Series) -> set[frozenset[str]]:
    return {frozenset(g) for _, g in ids.astype(str).groupby(labels.to_numpy())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,250000,500000,1000000,2000000")
    parser.add_argument("--out", default=str(HERE / "results" / "spark.json"))
    args = parser.parse_args()
    from identilink.spark import dedupe, local_session

    spark = local_session(2, memory="8g", shuffle_partitions=16)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        spark.sparkContext.setCheckpointDir(str(Path(tmp) / "checkpoints"))
        for n in (int(s) for s in args.sizes.split(",")):
            frame = generate_people(n, seed=n).drop(columns=["person_id"])
            frame = frame.astype({"record_id": str})
            source = Path(tmp) / f"people_{n}.parquet"
            frame.to_parquet(source)
            start = time.perf_counter()
            local = identilink.dedupe(frame, progress=False)
            local_seconds = time.perf_counter() - start
            start = time.perf_counter()
            result = dedupe(spark.read.parquet(str(source)))
            result.pairs.write.parquet(str(Path(tmp) / f"pairs_{n}"))
            result.clusters.write.parquet(str(Path(tmp) / f"clusters_{n}"))
            result.golden.write.parquet(str(Path(tmp) / f"golden_{n}"))
            spark_seconds = time.perf_counter() - start
            clusters = pd.read_parquet(Path(tmp) / f"clusters_{n}")
            same = _partition(clusters["record_id"], clusters["cluster_id"]) == _partition(
                local.clusters["record_id"], local.clusters["cluster_id"]
            )
            rows.append(
                {
                    "records": n,
                    "candidate_pairs": local.report["n_candidate_pairs"],
                    "local_seconds": round(local_seconds, 1),
                    "spark_seconds": round(spark_seconds, 1),
                    "x_local": round(spark_seconds / local_seconds, 1),
                    "spark_per_record_vs_first": None,
                    "same_model": abs(result.model.prior - local.model.prior)
                    <= 1e-9 * local.model.prior,
                    "same_clusters": same,
                }
            )
            first = rows[0]["spark_seconds"] / rows[0]["records"]
            rows[-1]["spark_per_record_vs_first"] = round(spark_seconds / n / first, 2)
            print(rows[-1], flush=True)
            Path(args.out).write_text(json.dumps(rows, indent=2))
    spark.stop()


if __name__ == "__main__":
    main()
