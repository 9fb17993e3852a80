"""Blocking methods on generated people: pairs, pair completeness and time to make them.

    python benchmarks/bench_blocking.py                    # 1,000,000 records
    python benchmarks/bench_blocking.py --records 100000

Each rule runs alone on the same prepared table (normalisation not counted); its key codes
are dropped between rules so every rule pays for its own keys. The anchor is the exact rule
``last_name & postcode`` in the same run: times are given as ratios to it. Then
``suggest_blocking`` chooses rules on a 20,000-record sample against the truth, and those
rules run on all records. Writes results/blocking.json.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import identilink
from identilink._pipeline import prepare_one
from identilink._table import IdentilinkWarning
from identilink.bench.people import generate_people
from identilink.blocking import block
from identilink.config import BlockingRule, Settings
from identilink.errors import ConfigurationError

HERE = Path(__file__).resolve().parent
RULES = (
    "last_name & postcode",  # the anchor
    "soundex(last_name) & dob",
    "window(last_name, 5)",
    "window(email, 3)",
    "qgrams(last_name, 3) & postcode",
    "tokens(street) & postcode",
    "minhash(street, 4) & city",
    "minhash(street, 8)",  # refused at 1M: the words "st", "rd" make it too many pairs
)


def _completeness(a: np.ndarray, b: np.ndarray, person: np.ndarray) -> tuple[float, int]:
    codes = pd.factorize(person)[0]
    sizes = np.bincount(codes)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    found = int((person[a] == person[b]).sum())
    return found / true_pairs, true_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "results" / "blocking.json"))
    args = parser.parse_args()
    frame = generate_people(args.records, seed=args.seed)
    person = frame["person_id"].to_numpy()
    data = frame.drop(columns=["person_id"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentilinkWarning)
        _, table = prepare_one(data, Settings())
        rows = []
        for text in RULES:
            table.drop_caches()
            start = time.perf_counter()
            try:
                result = block(table, [BlockingRule(text.split("&"))], max_block_size=5_000)
            except ConfigurationError as exc:
                rows.append({"rule": text, "refused": str(exc)})
                print(rows[-1])
                continue
            seconds = time.perf_counter() - start
            pc, true_pairs = _completeness(result.left, result.right, person)
            rows.append(
                {
                    "rule": text,
                    "pairs": len(result.left),
                    "pair_completeness": round(pc, 5),
                    "seconds": round(seconds, 3),
                    "pairs_per_second": round(len(result.left) / seconds),
                    "oversized_blocks": sum(result.oversized.values()),
                }
            )
            print(rows[-1])
        anchor = rows[0]["seconds"]
        for row in rows:
            if "seconds" in row:
                row["x_anchor_seconds"] = round(row["seconds"] / anchor, 2)
        start = time.perf_counter()
        suggestion = identilink.suggest_blocking(frame, label="person_id")
        suggest_seconds = time.perf_counter() - start
        chosen = [BlockingRule(r.split(" & ")) for r in suggestion["rule"]]
        table.drop_caches()
        result = block(table, chosen, max_block_size=5_000)
        pc, true_pairs = _completeness(result.left, result.right, person)
    print(suggestion.to_string())
    report = {
        "records": args.records,
        "true_pairs": true_pairs,
        "anchor": RULES[0],
        "rules": rows,
        "suggestion": {
            "seconds": round(suggest_seconds, 2),
            "table": suggestion.to_dict(orient="records"),
            "on_all_records": {
                "pairs": len(result.left),
                "pair_completeness": round(pc, 5),
                "estimated_pairs": int(suggestion["estimated_pairs"].iloc[-1]),
            },
        },
    }
    print(json.dumps(report["suggestion"]["on_all_records"]))
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
