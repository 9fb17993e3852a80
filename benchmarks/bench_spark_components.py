"""Connected components on Spark (local[2]) against the local engine's, as the graph grows.

    python benchmarks/bench_spark_components.py              # 10k, 100k, 1M vertices

Graphs shaped like match graphs: vertices in clusters of 1-5 (a chain through each cluster,
edges in shuffled order) plus a few long chains of 200 vertices. For each size: the local
``identilink.cluster.components`` (the anchor, same run), the Spark algorithm with local
checkpoints, rounds and time, and a check that both give the same partition. Needs the
``spark`` extra and Java. Writes results/spark_components.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from identilink.cluster import components

HERE = Path(__file__).resolve().parent


def graph(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    sizes = sizes[np.cumsum(sizes) <= n - 2000]
    starts = np.cumsum(sizes) - sizes
    a = np.concatenate([np.arange(s, s + k - 1) for s, k in zip(starts, sizes, strict=True)])
    long_start = n - 2000  # ten chains of 200; the vertices between stay alone
    chains = np.arange(long_start, n).reshape(-1, 200)
    a = np.concatenate([a, chains[:, :-1].ravel()])
    order = rng.permutation(len(a))
    a = a[order].astype(np.int64)
    return a, a + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--out", default=str(HERE / "results" / "spark_components.json"))
    args = parser.parse_args()
    from identilink.spark import connected_components, local_session

    spark = local_session(2, memory="4g")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        spark.sparkContext.setCheckpointDir(tmp)
        for n in (int(s) for s in args.sizes.split(",")):
            a, b = graph(n, seed=n)
            start = time.perf_counter()
            local = components(n, a, b)
            local_seconds = time.perf_counter() - start
            edges = spark.createDataFrame(pd.DataFrame({"src": a, "dst": b}))
            start = time.perf_counter()
            result = connected_components(edges, spark.range(n)).toPandas()
            spark_seconds = time.perf_counter() - start
            got = result.set_index("id")["component"].reindex(np.arange(n)).to_numpy()
            same = bool(
                (pd.factorize(got)[0] == pd.factorize(local)[0]).all() if len(got) == n else False
            )
            rows.append(
                {
                    "vertices": n,
                    "edges": len(a),
                    "local_seconds": round(local_seconds, 3),
                    "spark_seconds": round(spark_seconds, 1),
                    "x_local": round(spark_seconds / local_seconds),
                    "same_partition": same,
                }
            )
            print(rows[-1], flush=True)
    spark.stop()
    Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
