"""The ``identilink`` command line: batch dedupe and link on CSV or Parquet files.

Every expected failure (bad file, bad settings, bad data) prints one line, ``identilink: error:
...``, and exits with code 2; warnings print one line each on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from identilink._io import read_table, write_table
from identilink._pipeline import Result, dedupe, link
from identilink._version import __version__
from identilink.config import Settings
from identilink.errors import ConfigurationError, IdentilinkError, InputFileError
from identilink.model import FellegiSunterModel

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2, like every other error
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _parse_columns(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        role, sep, column = item.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise ConfigurationError(f"--column expects ROLE=COLUMN, got {item!r}")
        out[role.strip()] = column.strip()
    return out


def _load_settings(path: str | None) -> Settings:
    if path is None:
        return Settings()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{p}: cannot read settings: {exc}") from None
    if p.suffix.lower() == ".toml":
        return Settings.from_toml(text)
    if p.suffix.lower() == ".json":
        return Settings.from_json(text)
    raise ConfigurationError(f"{p}: settings must be a .toml or .json file")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="clusters file (.csv or .parquet)")
    parser.add_argument("--golden", help="golden records file")
    parser.add_argument("--pairs", help="scored candidate pairs file")
    parser.add_argument("--report", help="run report (.json)")
    parser.add_argument("--config", help="settings file (.toml or .json)")
    parser.add_argument("--model", help="trained model (.json) to score with instead of training")
    parser.add_argument("--save-model", help="write the trained model here (.json)")
    parser.add_argument("--id-column", help="the record id column (default: inferred)")
    parser.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="ROLE=COL",
        help="give column COL the role ROLE (repeatable), e.g. --column email=mail_addr",
    )
    parser.add_argument("--threshold", type=float, help="match probability to link at")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of CSV input")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="identilink", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"identilink {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("dedupe", help="find records of one file that are the same customer")
    p.add_argument("input", help="records (.csv or .parquet)")
    _common(p)
    p = sub.add_parser("link", help="find records of LEFT and RIGHT that are the same customer")
    p.add_argument("left")
    p.add_argument("right")
    _common(p)
    return parser


def _settings(args: argparse.Namespace) -> tuple[Settings, FellegiSunterModel | None]:
    model = FellegiSunterModel.load(args.model) if args.model else None
    settings = (
        model.settings if model is not None and not args.config else _load_settings(args.config)
    )
    changes: dict[str, Any] = {}
    if args.id_column:
        changes["id_column"] = args.id_column
    if args.threshold is not None:
        changes["threshold"] = args.threshold
    if changes:
        settings = Settings.from_dict(settings.to_dict() | changes)
    if model is not None:
        model = attrs.evolve(model, settings=settings)
    return settings, model


def _summary(result: Result) -> str:
    r = result.report
    rejected = r["n_rejected_values"]
    return (
        f"{r['n_records']:,} records, {r['n_candidate_pairs']:,} candidate pairs, "
        f"{r['n_matched_pairs']:,} links, {r['n_clusters']:,} clusters"
        + (f", {rejected:,} malformed values compared as null" if rejected else "")
        + f" ({sum(r['seconds'].values()):.2f} s)"
    )


def _run(args: argparse.Namespace) -> int:
    settings, model = _settings(args)
    columns = _parse_columns(args.column)
    progress = not args.quiet
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.command == "dedupe":
            data = read_table(args.input, encoding=args.encoding)
            result = dedupe(
                data,
                None if model else settings,
                model=model,
                columns=columns,
                progress=progress,
            )
        else:
            left = read_table(args.left, encoding=args.encoding)
            right = read_table(args.right, encoding=args.encoding)
            result = link(
                left,
                right,
                None if model else settings,
                model=model,
                columns=columns,
                progress=progress,
            )
    for w in caught:
        print(f"identilink: warning: {w.message}", file=sys.stderr)
    write_table(result.clusters, args.out)
    if args.golden:
        write_table(result.golden, args.golden)
    if args.pairs:
        write_table(result.pairs, args.pairs)
    if args.save_model:
        result.model.save(args.save_model)
    if args.report:
        Path(args.report).write_text(json.dumps(result.report, indent=2, default=str))
    if not args.quiet:
        print(f"identilink: {_summary(result)}", file=sys.stderr)
        for rej in result.report["rejected_values"]:
            examples = "; ".join(f"{v!r}: {why}" for v, why in rej["examples"][:2])
            print(
                f"identilink: {rej['n_invalid']:,} malformed {rej['role']} value(s) in "
                f"column {rej['column']!r}, e.g. {examples}",
                file=sys.stderr,
            )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except IdentilinkError as exc:
        print(f"identilink: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("identilink: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
