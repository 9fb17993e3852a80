"""The Spark engine on local[2] as the input grows, beside the local engine in the same run.

    python benchmarks/bench_spark.py                       # 100k, 500k, 1M, 2M people
    python benchmarks/bench_spark.py --sizes 100000,200000

A model is trained once by the local engine on 100,000 generated people; then, for each size,
generated people (30% duplicates with typos) are deduplicated with that model by the local
engine (the anchor) and by ``identilink.spark.dedupe`` on local[2] (from a Parquet file,
pairs and clusters written back to Parquet). Reported per size: both wall times, the ratio,
candidate pairs, and whether the clusters are the same partition. Needs the ``spark`` extra
and Java. Writes results/spark.json.
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
    parser.add_argument("--sizes", default="100000,500000,1000000,2000000")
    parser.add_argument("--out", default=str(HERE / "results" / "spark.json"))
    args = parser.parse_args()
    from identilink.spark import dedupe, local_session

    training = generate_people(100_000, seed=7).drop(columns=["person_id"])
    model = identilink.dedupe(training, progress=False).model
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
            local = identilink.dedupe(frame, model=model, progress=False)
            local_seconds = time.perf_counter() - start
            start = time.perf_counter()
            result = dedupe(spark.read.parquet(str(source)), model)
            result.pairs.write.parquet(str(Path(tmp) / f"pairs_{n}"))
            result.clusters.write.parquet(str(Path(tmp) / f"clusters_{n}"))
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
                    "same_clusters": same,
                }
            )
            print(rows[-1], flush=True)
            Path(args.out).write_text(json.dumps(rows, indent=2))
    spark.stop()


if __name__ == "__main__":
    main()
