"""Deduplicate customer records on a Spark cluster: the job docs/spark.md submits.

    spark-submit examples/spark_job.py INPUT OUT [--settings S.toml]
                                       [--model M.json | --save-model M.json]

INPUT is a Parquet (or .csv) path the cluster can read (HDFS, S3, a shared disk); OUT gets
``clusters/``, ``golden/`` and ``pairs/`` Parquet directories. The model is trained on the
cluster unless ``--model`` gives one; ``--save-model`` keeps it (on the driver's disk) to
score the next batch with. Run with plain ``python`` it uses this machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import identilink
from identilink.spark import SparkEngine


def main(argv: list[str] | None = None, session: object = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("out")
    parser.add_argument("--settings", help="settings file (.toml or .json)")
    parser.add_argument("--model", help="a trained model to score with instead of training")
    parser.add_argument("--save-model", help="write the model here (the driver's disk)")
    args = parser.parse_args(argv)
    engine = SparkEngine.start(session=session)  # spark-submit's master, else local[*]
    if args.settings:
        text = Path(args.settings).read_text(encoding="utf-8")
        is_toml = args.settings.endswith(".toml")
        settings = (
            identilink.Settings.from_toml(text) if is_toml else identilink.Settings.from_json(text)
        )
    else:
        settings = None
    model = identilink.FellegiSunterModel.load(args.model) if args.model else None
    result = engine.dedupe(engine.read(args.input), None if model else settings, model=model)
    for name in ("clusters", "golden", "pairs"):
        engine.write(getattr(result, name), f"{args.out}/{name}")
    if args.save_model:
        result.model.save(args.save_model)
    print(f"{result.report['n_records']:,} records deduplicated into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
