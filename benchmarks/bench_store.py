"""Issue-4 bars: incremental resolution into a SQLite store.

    python benchmarks/bench_store.py                   # 1M fragments in the store (~15 min)
    python benchmarks/bench_store.py --people 16700    # ~100k, a quick look

1. Generates a multi-channel set, parses it, holds out ``--probe`` fragments at random and
   bulk-loads the rest into a SQLite store with ``Resolver.load`` (resolved at once in
   memory, written in one transaction; the same clusters as adding one by one).
2. In a fresh process pinned to one core (so its memory is what a service would hold, and
   the store's checkpoint thread shares that core), adds the held-out fragments one at a
   time: p50 / p99 / max latency, sustained rate, peak RSS. The anchor, in the same process:
   a bare SQLite insert of the same fragment JSON in its own transaction, the floor under
   any durable ``add``.
3. Agreement on ``--agree-people`` people (~100k fragments): every fragment added one at a
   time, in shuffled order, against batch ``resolve_fragments`` on the same set (pairwise F1
   on clusters), and both against the truth (B-cubed).

Writes results/store.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from identilink import Resolver
from identilink.adapters import detect_channel, get_adapter
from identilink.bench.metrics import b_cubed, cluster_pair_metrics, peak_memory_mib
from identilink.bench.multichannel import generate, iter_truth
from identilink.fragments import Fragment, read_fragments, write_fragments
from identilink.resolve import resolve_fragments
from identilink.store import SQLiteStore

HERE = Path(__file__).resolve().parent


def _parse(directory: Path) -> list[Fragment]:
    fragments: list[Fragment] = []
    for path in sorted(directory.iterdir()):
        if path.name in {"truth.csv", "identifiers.jsonl"} or path.suffix == ".db":
            continue
        adapter = get_adapter(detect_channel(path))
        fragments += [i for i in adapter.parse(path) if isinstance(i, Fragment)]
    return fragments


def probe(store_path: str, probe_path: str) -> None:
    """Child process: add held-out fragments one at a time; print JSON figures."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    probes = list(read_fragments(probe_path))
    anchor_db = sqlite3.connect(Path(store_path).with_suffix(".anchor.db"), isolation_level=None)
    anchor_db.execute("PRAGMA journal_mode=WAL")
    anchor_db.execute("PRAGMA synchronous=NORMAL")
    anchor_db.execute("CREATE TABLE t (fid TEXT PRIMARY KEY, data TEXT)")
    anchor = []
    for f in probes:
        start = time.perf_counter()
        anchor_db.execute("BEGIN IMMEDIATE")
        anchor_db.execute("INSERT INTO t VALUES (?, ?)", (f.fragment_id, json.dumps(f.to_dict())))
        anchor_db.execute("COMMIT")
        anchor.append(time.perf_counter() - start)
    base_rss = peak_memory_mib()
    resolver = Resolver(SQLiteStore(store_path))
    latencies = []
    start_all = time.perf_counter()
    for f in probes:
        start = time.perf_counter()
        resolver.add(f)
        latencies.append(time.perf_counter() - start)
    total = time.perf_counter() - start_all
    latencies.sort()
    anchor.sort()

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    peak = peak_memory_mib()
    problems = resolver.verify()
    print(
        json.dumps(
            {
                "probes": len(probes),
                "add_p50_ms": round(pct(latencies, 0.5), 3),
                "add_p99_ms": round(pct(latencies, 0.99), 3),
                "add_max_ms": round(latencies[-1] * 1000, 3),
                "adds_per_second": round(len(probes) / total),
                "anchor_insert_p50_ms": round(pct(anchor, 0.5), 3),
                "add_p50_vs_anchor": round(pct(latencies, 0.5) / pct(anchor, 0.5), 1),
                "rss_before_mib": round(base_rss),
                "peak_rss_mib": round(peak),
                "store_fragments": resolver.store.count(),
                "verify_problems": len(problems),
            }
        )
    )


def agreement(people: int, seed: int, tmp: Path) -> dict[str, object]:
    directory = tmp / "agree"
    generate(directory, people=people, seed=seed)
    fragments = _parse(directory)
    truth = dict(iter_truth(directory))
    start = time.perf_counter()
    batch = resolve_fragments(fragments, evidence=False)  # the resolver has no evidence stage
    batch_seconds = time.perf_counter() - start
    order = list(fragments)
    random.Random(seed).shuffle(order)
    resolver = Resolver(SQLiteStore(tmp / "agree.db"))
    start = time.perf_counter()
    for f in order:
        resolver.add(f)
    incremental_seconds = time.perf_counter() - start
    ids = [f.fragment_id for f in fragments]
    inc = resolver.clusters()
    bat = dict(zip(batch.clusters["fragment_id"], batch.clusters["customer_id"], strict=True))
    inc_series = pd.Series([inc[i] for i in ids])
    bat_series = pd.Series([bat[i] for i in ids])
    truth_series = pd.Series([truth[i] for i in ids])
    return {
        "fragments": len(fragments),
        "incremental_vs_batch_f1": round(cluster_pair_metrics(inc_series, bat_series).f1, 5),
        "incremental_b_cubed_f1": round(b_cubed(inc_series, truth_series)["f1"], 4),
        "batch_b_cubed_f1": round(b_cubed(bat_series, truth_series)["f1"], 4),
        "batch_seconds": round(batch_seconds, 2),
        "incremental_seconds": round(incremental_seconds, 1),
        "verify_problems": len(resolver.verify()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=167_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--probe", type=int, default=2000)
    parser.add_argument("--agree-people", type=int, default=16_700)
    parser.add_argument("--out", default=str(HERE / "results" / "store.json"))
    parser.add_argument("--workdir", help="keep the generated data and stores here")
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(args.workdir or tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        report["agreement"] = agreement(args.agree_people, args.seed, tmp)
        print(json.dumps(report["agreement"], indent=2), flush=True)
        directory = tmp / "data"
        made = generate(directory, people=args.people, seed=args.seed)
        fragments = _parse(directory)
        random.Random(args.seed).shuffle(fragments)
        probes, bulk = fragments[: args.probe], fragments[args.probe :]
        del fragments
        write_fragments(probes, tmp / "probes.jsonl")
        store_path = tmp / "store.db"
        resolver = Resolver(SQLiteStore(store_path))
        start = time.perf_counter()
        resolver.load(bulk)  # resolved at once in memory, then written in one transaction
        load_seconds = time.perf_counter() - start
        resolver.store.close()
        report["bulk"] = {
            "people": made.people,
            "fragments": len(bulk),
            "load_seconds": round(load_seconds, 1),
            "load_per_second": round(len(bulk) / load_seconds),
            "store_mib": round(store_path.stat().st_size / 2**20),
        }
        print(json.dumps(report["bulk"], indent=2), flush=True)
        out = subprocess.run(
            [sys.executable, __file__, "--probe-child", str(store_path), str(tmp / "probes.jsonl")],
            check=False,
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise SystemExit(f"probe process failed:\n{out.stderr}")
        report["incremental"] = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(report["incremental"], indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--probe-child":
        probe(sys.argv[2], sys.argv[3])
    else:
        main()
