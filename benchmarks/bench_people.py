"""Issue-5 bars: generated person records (30% duplicates with typos), end to end.

    python benchmarks/bench_people.py                         # 1M records, identilink + Splink
    python benchmarks/bench_people.py --records 100000 --tools identilink
    python benchmarks/bench_people.py --tools identilink --max-pairs-per-record 1000 \
        --out benchmarks/results/people_all_rules.json   # every default rule: 73M pairs

Each tool runs in its own subprocess on the same generated file (written once as Parquet),
so wall time and peak memory are its own; identilink is the anchor of the ratios. identilink
runs with no settings at all (roles, rules and model inferred); Splink 5 (DuckDB) gets usual
settings for these columns and exact-key blocking rules close to the ones identilink keeps
(DuckDB has no soundex), the same 0.9 threshold, and light cleaning (lower case, phone
digits). Accuracy is pairwise over clusters against the generator's truth.

Writes results/people.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = ("identilink", "splink")


def run_identilink(path: Path, max_pairs_per_record: float | None = None) -> dict[str, object]:
    import pandas as pd

    import identilink

    frame = pd.read_parquet(path).drop(columns=["person_id"])
    settings = None
    if max_pairs_per_record is not None:
        settings = identilink.Settings(max_pairs_per_record=max_pairs_per_record)
    start = time.perf_counter()
    result = identilink.dedupe(frame, settings, progress=False)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "stages": result.report["seconds"],
        "candidate_pairs": result.report["n_candidate_pairs"],
        "pairs_per_second": round(result.report["n_candidate_pairs"] / seconds),
        "rules_over_budget": [r["rule"] for r in result.report["rules_over_budget"]],
        "clusters": result.clusters[["record_id", "cluster_id"]],
    }


def run_splink(path: Path) -> dict[str, object]:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = pd.read_parquet(path).drop(columns=["person_id"])
    start = time.perf_counter()
    for c in ("first_name", "last_name", "email", "street", "city"):
        frame[c] = frame[c].str.lower().str.strip()
    frame["phone"] = frame["phone"].str.replace(r"\D", "", regex=True)
    frame = frame.rename(columns={"record_id": "unique_id"})
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("street", [2]),
            cl.ExactMatch("postcode"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("dob", "last_name"),
            block_on("dob", "substr(first_name, 1, 1)"),
            block_on("dob", "postcode"),
            block_on("postcode", "last_name"),
            block_on("last_name", "city"),
            block_on("first_name", "dob"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(frame), settings)  # Splink 5 registers data with the backend
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob"), block_on("email")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "last_name")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    pairs = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.9)
    out = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    seconds = time.perf_counter() - start
    n_pairs = len(pairs.as_pandas_dataframe())
    return {
        "seconds": seconds,
        "predicted_pairs_over_threshold": n_pairs,
        "clusters": out.rename(columns={"unique_id": "record_id"}),
    }


def child(tool: str, path: str, max_pairs_per_record: str) -> None:
    import pandas as pd

    from identilink.bench.metrics import cluster_pair_metrics, peak_memory_mib

    if tool == "identilink":
        budget = float(max_pairs_per_record) if max_pairs_per_record else None
        out = run_identilink(Path(path), budget)
    else:
        out = run_splink(Path(path))
    clusters = out.pop("clusters")
    assert isinstance(clusters, pd.DataFrame)
    truth = pd.read_parquet(path, columns=["record_id", "person_id"])
    merged = truth.merge(clusters, on="record_id", how="left")
    merged["cluster_id"] = merged["cluster_id"].fillna(merged["record_id"].astype(str) + "-alone")
    metrics = cluster_pair_metrics(merged["cluster_id"].astype(str), merged["person_id"])
    out.update(metrics.to_dict())
    out["peak_mib"] = peak_memory_mib()
    print(json.dumps(out, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--out", default=str(HERE / "results" / "people.json"))
    parser.add_argument(
        "--max-pairs-per-record",
        type=float,
        default=None,
        help="identilink's default-rule pair budget (1000 keeps every default rule: 73M "
        "pairs at 1M records, for the pairs-per-second bar; Splink is not run with it)",
    )
    args = parser.parse_args()
    if args.max_pairs_per_record is not None and "splink" in args.tools:
        parser.error("--max-pairs-per-record is identilink's alone: pass --tools identilink")
    from identilink.bench.people import generate_people

    report: dict[str, object] = {
        "records": args.records,
        "seed": args.seed,
        "max_pairs_per_record": args.max_pairs_per_record,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.parquet"
        start = time.perf_counter()
        generate_people(args.records, seed=args.seed).to_parquet(path)
        report["generate_seconds"] = round(time.perf_counter() - start, 1)
        for tool in args.tools:
            start = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    tool,
                    str(path),
                    "" if args.max_pairs_per_record is None else str(args.max_pairs_per_record),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - start
            if done.returncode:
                report[tool] = {"error": done.stderr.strip().splitlines()[-1:]}
            else:
                row = json.loads(done.stdout.strip().splitlines()[-1])
                row["process_seconds"] = wall
                report[tool] = row
            print(tool, json.dumps(report[tool], default=str)[:600], flush=True)
    anchor = report.get("identilink")
    if isinstance(anchor, dict) and "seconds" in anchor:
        for tool in args.tools:
            row = report[tool]
            if isinstance(row, dict) and "seconds" in row:
                row["x_identilink_seconds"] = round(row["seconds"] / anchor["seconds"], 2)
                row["x_identilink_peak"] = round(row["peak_mib"] / anchor["peak_mib"], 2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--child":  # --child TOOL FILE [BUDGET]
        child(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else "")
    else:
        main()
