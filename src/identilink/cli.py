"""The ``identilink`` command line: batch dedupe and link on CSV or Parquet files.

Every expected failure (bad file, bad settings, bad data) prints one line, ``identilink: error:
...``, and exits with code 2; warnings print one line each on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import attrs

from identilink._engine import EngineResult, engine
from identilink._io import read_table, write_table
from identilink._pipeline import Result, count_pairs, dedupe, link
from identilink._suggest import suggest_blocking
from identilink._version import __version__
from identilink.adapters import collector_paused, ingest
from identilink.bench.multichannel import NAME_POOLS, generate
from identilink.bench.sweep import DATASETS, run_benchmark, sweep_report
from identilink.config import Settings
from identilink.errors import ConfigurationError, IdentilinkError, InputDataError, InputFileError
from identilink.fragments import read_fragments, write_fragments
from identilink.model import FellegiSunterModel
from identilink.normalize.blocklist import DEFAULT_BLOCKLIST, Blocklist
from identilink.resolve import resolve_fragments

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
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="spark: run on Spark (Parquet or CSV in, Parquet directories out)",
    )
    parser.add_argument(
        "--spark-master",
        help="for --engine spark: local[N], yarn, spark://HOST:PORT "
        "(default: what spark-submit configured, else local[*])",
    )


def _blocking_command(sub: Any, name: str, text: str) -> _Parser:
    """A ``blocking`` subcommand with the options every one takes: input, settings, columns,
    encoding and an output table."""
    p: _Parser = sub.add_parser(name, help=text)
    p.add_argument("input", help="records (.csv or .parquet)")
    p.add_argument("--config", help="settings file (.toml or .json)")
    p.add_argument("--column", action="append", default=[], metavar="ROLE=COL")
    p.add_argument("--encoding", default="utf-8", help="text encoding of CSV input")
    p.add_argument("--out", help="also write the table here (.csv, .parquet, .json)")
    _STORE_COMMANDS.append(p)
    return p


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
    p = sub.add_parser("ingest", help="read channel files into fragments (JSON Lines)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--channel", help="the files' channel (default: detected per file)")
    p.add_argument("--out", required=True, help="fragments file (.jsonl)")
    p.add_argument("--rejects", help="quarantined records and rejected values (.jsonl)")
    _channel_options(p)
    p = sub.add_parser("resolve", help="group fragments into customers")
    p.add_argument("files", nargs="+", metavar="FRAGMENTS", help="fragments or channel files")
    p.add_argument("--out", required=True, help="clusters: fragment_id, customer_id")
    p.add_argument("--golden", help="one row per customer")
    p.add_argument("--links", help="the identifier or name each link rests on")
    p.add_argument("--shared", help="values that linked no one, and why")
    p.add_argument(
        "--threshold",
        type=float,
        default=0.9,
        help="probability the evidence stage needs to join customers without an identifier",
    )
    p.add_argument(
        "--no-evidence",
        dest="evidence",
        action="store_false",
        help="join customers only through identifiers and the account-name rule",
    )
    _channel_options(p)
    _store_parser(sub.add_parser("store", help="a live identity store: add, get, explain"))
    blocking = sub.add_parser("blocking", help="analyse or suggest blocking rules before a run")
    blocking_sub = blocking.add_subparsers(dest="blocking_command", required=True)
    p = _blocking_command(blocking_sub, "analyse", "pairs per rule, cumulative, largest blocks")
    p.add_argument("--id-column", help="the record id column (default: inferred)")
    p = _blocking_command(blocking_sub, "suggest", "rules keeping the true pairs with fewest pairs")
    p.add_argument("--label", help="column naming each record's true entity, if there is one")
    p.add_argument("--target", type=float, default=0.995, help="pair completeness to reach")
    p.add_argument("--sample", type=int, default=20_000, help="records to try rules on")
    p = sub.add_parser("bench", help="run a data set with ground truth; metrics and a report")
    p.add_argument("dataset", choices=sorted(DATASETS), help="the data set")
    p.add_argument("--records", type=int, default=100_000, help="for generated people")
    p.add_argument("--seed", type=int, default=1, help="for generated people")
    p.add_argument("--out", required=True, help="directory for bench.json and report.html")
    p.add_argument(
        "--peers",
        metavar="splink,recordlinkage",
        help="also run these tools with the same blocking and cleaned values (bench extra)",
    )
    p = sub.add_parser("generate", help="write a seeded multi-channel data set with truth")
    p.add_argument("--people", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--names",
        choices=NAME_POOLS,
        default="census",
        help="name frequencies: US census 1990 (default) or the small uniform pool of earlier runs",
    )
    p.add_argument("--out", required=True, help="directory")
    for each in [*sub.choices.values(), *_STORE_COMMANDS]:
        if not any(a.dest == "quiet" for a in each._actions):
            each.add_argument("--quiet", action="store_true", help="no summary on stderr")
    return parser


_STORE_COMMANDS: list[argparse.ArgumentParser] = []


def _store_parser(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="store_command", required=True, parser_class=_Parser)
    location = "a SQLite file path or a postgresql:// URL"

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        p.add_argument("store", metavar="STORE", help=location)
        _STORE_COMMANDS.append(p)
        return p

    p = command("init", "create a store (or set the rules of an existing one)")
    p.add_argument("--rules", help='merge-protection rules (JSON: {"limits": {...}, ...})')
    p.add_argument("--model", help="trained model (.json, from dedupe --save-model) to score links")
    p = command("add", "resolve fragments or channel files into the store")
    p.add_argument("files", nargs="+", metavar="FILE", help="fragments or channel files")
    p.add_argument("--channel", help="the files' channel (default: detected per file)")
    p.add_argument("--out", help="write fragment_id, customer_id here instead of stdout")
    p.add_argument("--batch", type=int, default=1000, help="fragments per transaction")
    _channel_options(p)
    p = command("get", "the customer of a fragment, or the members of a customer")
    p.add_argument("id", metavar="ID", help="fragment id or customer id")
    p = command("golden", "golden records of every customer")
    p.add_argument("--out", required=True, help="CSV, Parquet or JSON file")
    p = command("explain", "why a customer's fragments, or two fragments, belong together")
    p.add_argument("ids", nargs="+", metavar="ID", help="a customer id, or two fragment ids")
    p.add_argument("--html", help="also write the waterfall chart as HTML here")
    p = command("link", "steward: two fragments are one customer")
    p.add_argument("ids", nargs=2, metavar="FRAGMENT_ID")
    p = command("unlink", "steward: two fragments are never one customer")
    p.add_argument("ids", nargs=2, metavar="FRAGMENT_ID")
    p = command("lock", "steward: freeze a customer's membership")
    p.add_argument("ids", nargs=1, metavar="CUSTOMER_ID")
    p = command("unlock", "steward: let the model change a locked customer again")
    p.add_argument("ids", nargs=1, metavar="CUSTOMER_ID")
    p = command("events", "lineage: creations, merges, splits")
    p.add_argument("ids", nargs="?", metavar="CUSTOMER_ID")


def _run_store(args: argparse.Namespace) -> int:
    from identilink.resolver import Resolver, Rules, golden_frame

    command = args.store_command
    if command != "init" and "://" not in args.store and not Path(args.store).is_file():
        raise InputFileError(f"{args.store}: no such store; create it with `identilink store init`")
    rules = None
    if command == "init" and args.rules:
        try:
            rules = Rules.from_json(Path(args.rules).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputFileError(f"{args.rules}: cannot read rules: {exc.strerror}") from None
    model = None
    if command == "init" and args.model:
        model = FellegiSunterModel.load(args.model)
    resolver = Resolver.open(args.store, rules, model=model)
    try:
        if command == "init":
            if not args.quiet:
                print(
                    f"identilink: store {args.store} holds {resolver.store.count():,} fragments",
                    file=sys.stderr,
                )
        elif command == "add":
            if args.batch < 1:
                raise ConfigurationError("--batch must be at least 1")
            fragments, quarantined = _fragments(args, args.files)
            with contextlib.ExitStack() as stack:
                out = (
                    stack.enter_context(Path(args.out).open("w", encoding="utf-8"))
                    if args.out
                    else sys.stdout
                )
                out.write("fragment_id,customer_id\n")
                for start in range(0, len(fragments), args.batch):
                    chunk = fragments[start : start + args.batch]
                    assigned = resolver.add_many(chunk)
                    out.writelines(f"{f.fragment_id},{assigned[f.fragment_id]}\n" for f in chunk)
            if not args.quiet:
                print(
                    f"identilink: {len(fragments):,} fragments added, "
                    f"{len(quarantined):,} records quarantined; the store holds "
                    f"{resolver.store.count():,} fragments",
                    file=sys.stderr,
                )
        elif command == "get":
            if resolver.store.get_fragments([args.id]):
                cid = resolver.customer_of(args.id)
            else:
                cid = resolver.current_id(args.id)
            print(json.dumps({"customer_id": cid, "fragments": resolver.members(cid)}))
        elif command == "golden":
            write_table(golden_frame(resolver.golden_records()), args.out)
        elif command == "explain":
            if len(args.ids) > 2:
                raise ConfigurationError("explain takes a customer id or two fragment ids")
            explanation = resolver.explain(*args.ids)
            print(explanation.to_text())
            if args.html:
                Path(args.html).write_text(explanation.to_html(), encoding="utf-8")
        elif command in ("link", "unlink"):
            cid = getattr(resolver, command)(*args.ids)
            print(json.dumps({"customer_id": cid, "fragments": resolver.members(cid)}))
        elif command in ("lock", "unlock"):
            getattr(resolver, command)(args.ids[0])
        else:  # events
            for event in resolver.events(args.ids):
                print(json.dumps(attrs.asdict(event)))
    finally:
        resolver.store.close()
    return EXIT_OK


def _channel_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", default="US", help="default country of phone numbers")
    parser.add_argument(
        "--provider-rules",
        action="store_true",
        help="e-mails reaching one mailbox are equal (Gmail dots, +tags)",
    )
    parser.add_argument(
        "--blocklist", help="file of extra placeholder values, one normalised value a line"
    )


def _blocklist(path: str | None) -> Blocklist:
    if path is None:
        return DEFAULT_BLOCKLIST
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read blocklist: {exc}") from None
    values = [v.strip() for v in lines if v.strip() and not v.startswith("#")]
    return DEFAULT_BLOCKLIST.extend(values)


def _fragments(args: argparse.Namespace, files: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """Fragments files are read as they are; channel files go through their adapter."""
    options = {
        "region": args.region,
        "provider_rules": args.provider_rules,
        "blocklist": _blocklist(args.blocklist),
    }
    fragments: list[Any] = []
    quarantined: list[Any] = []
    with collector_paused():  # across all the files, not only within each
        for file in files:
            path = Path(file)
            if not path.is_file():
                raise InputFileError(f"{path}: no such file")
            with path.open("rb") as f:
                head = f.read(200)
            if head.startswith(b'{"fragment_id"'):
                fragments.extend(read_fragments(path))
                continue
            channel = getattr(args, "channel", None)
            found, bad = ingest([path], channel=channel, **options)
            fragments += found
            quarantined += bad
    return fragments, quarantined


def _run_ingest(args: argparse.Namespace) -> int:
    fragments, quarantined = _fragments(args, args.files)
    write_fragments(fragments, args.out)
    rejects = [{"fragment_id": f.fragment_id, **r.to_dict()} for f in fragments for r in f.rejects]
    blocked = sum(1 for f in fragments for i in f.identifiers if i.blocked)
    if args.rejects:
        with Path(args.rejects).open("w", encoding="utf-8") as out:
            for q in quarantined:
                out.write(json.dumps({"quarantined": True, **q.to_dict()}) + "\n")
            for r in rejects:
                out.write(json.dumps(r) + "\n")
    if not args.quiet:
        print(
            f"identilink: {len(fragments):,} fragments, {len(quarantined):,} records quarantined, "
            f"{len(rejects):,} values rejected, {blocked:,} placeholder identifiers",
            file=sys.stderr,
        )
        for q in quarantined[:3]:
            print(f"identilink: quarantined {q.raw_ref}: {q.reason}", file=sys.stderr)
    return EXIT_OK


def _run_resolve(args: argparse.Namespace) -> int:
    fragments, quarantined = _fragments(args, args.files)
    if not fragments:
        raise InputDataError("no fragments to resolve")
    repeated = [i for i, n in Counter(f.fragment_id for f in fragments).items() if n > 1]
    if repeated:
        raise InputDataError(
            f"fragment {repeated[0]!r} appears twice ({len(repeated)} repeated in all); "
            "ingest each record once"
        )
    result = resolve_fragments(fragments, evidence=args.evidence, threshold=args.threshold)
    _write_all(
        {
            args.out: result.clusters,
            args.golden: result.golden,
            args.links: result.links,
            args.shared: result.shared,
        }
    )
    if not args.quiet:
        customers = result.clusters["customer_id"].nunique()
        print(
            f"identilink: {len(fragments):,} fragments, {customers:,} customers, "
            f"{len(result.links):,} links, {len(result.shared):,} shared or placeholder values "
            f"unused, {len(quarantined):,} records quarantined",
            file=sys.stderr,
        )
    return EXIT_OK


def _run_generate(args: argparse.Namespace) -> int:
    if args.people < 1:
        raise ConfigurationError("--people must be at least 1")
    made = generate(args.out, people=args.people, seed=args.seed, names=args.names)
    if not args.quiet:
        print(
            f"identilink: {made.people:,} people, {made.fragments:,} fragments "
            f"({', '.join(f'{k} {v:,}' for k, v in made.by_channel.items())}) in {made.directory}",
            file=sys.stderr,
        )
    return EXIT_OK


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


def _write_all(
    outputs: dict[str | None, Any], write: Callable[[Any, str], None] = write_table
) -> None:
    """Write each table to its path; a ``None`` path is an output nobody asked for."""
    for path, table in outputs.items():
        if path:
            write(table, path)


def _save(
    args: argparse.Namespace, result: EngineResult, write: Callable[[Any, str], None]
) -> None:
    """Write what a dedupe or link run was asked for: clusters, golden records and pairs with
    the engine's ``write``; the model and the report as JSON."""
    outputs = {args.out: result.clusters, args.golden: result.golden, args.pairs: result.pairs}
    _write_all(outputs, write)
    if args.save_model:
        result.model.save(args.save_model)
    if args.report:
        Path(args.report).write_text(json.dumps(result.report, indent=2, default=str))


def _summary(result: Result) -> str:
    r = result.report
    rejected = r["n_rejected_values"]
    return (
        f"{r['n_records']:,} records, {r['n_candidate_pairs']:,} candidate pairs, "
        f"{r['n_matched_pairs']:,} links, {r['n_clusters']:,} clusters"
        + (f", {rejected:,} malformed values compared as null" if rejected else "")
        + f" ({sum(r['seconds'].values()):.2f} s)"
    )


def _run_blocking(args: argparse.Namespace) -> int:
    if args.blocking_command == "suggest":
        return _run_suggest(args)
    settings = _load_settings(args.config)
    if args.id_column:
        settings = attrs.evolve(settings, id_column=args.id_column)
    data = read_table(args.input, encoding=args.encoding)
    table = count_pairs(data, settings, columns=_parse_columns(args.column))
    if args.out:
        write_table(table, args.out)
    n = len(data)
    estimated = bool(table["estimated"].any())
    print(f"{n:,} records; cumulative pairs {'estimated from a sample' if estimated else 'exact'}")
    print(f"{'rule':40} {'pairs':>14} {'cumulative':>14} {'per record':>10} {'largest':>8}  kept")
    for row in table.to_dict(orient="records"):
        pairs, cumulative = int(row["pairs"]), int(row["cumulative_pairs"])
        print(
            f"{row['rule']:40} {pairs:14,} {cumulative:14,} {pairs / max(n, 1):10.2f} "
            f"{int(row['largest_block']):8,}  {'yes' if row['kept'] else 'no'}"
        )
    return EXIT_OK


def _run_engine(
    args: argparse.Namespace, settings: Settings, model: FellegiSunterModel | None
) -> int:
    """dedupe / link on an engine other than the local one (its tables are its own frames)."""
    if args.engine == "spark" and importlib.util.find_spec("pyspark") is None:
        raise ConfigurationError(
            "--engine spark needs the spark extra: pip install identilink[spark]"
        )
    options: dict[str, Any] = {}
    if args.engine == "spark":
        options["master"] = args.spark_master  # None: spark-submit's, else local[*]
    runner = engine(args.engine, **options)
    columns = _parse_columns(args.column)
    given = None if model else settings
    if args.command == "dedupe":
        result = runner.dedupe(runner.read(args.input), given, model=model, columns=columns)
    else:
        left, right = runner.read(args.left), runner.read(args.right)
        result = runner.link(left, right, given, model=model, columns=columns)
    _save(args, result, runner.write)
    release = getattr(result, "unpersist", None)  # Spark: the run's cached frames
    if release is not None:
        release()
    if not args.quiet:
        print(f"identilink: clusters written to {args.out} ({runner.name})", file=sys.stderr)
    return EXIT_OK


def _run_suggest(args: argparse.Namespace) -> int:
    data = read_table(args.input, encoding=args.encoding)
    table = suggest_blocking(
        data,
        _load_settings(args.config),
        label=args.label,
        sample=args.sample,
        target=args.target,
        columns=_parse_columns(args.column),
    )
    if args.out:
        write_table(table, args.out)
    against = f"the labels in {args.label!r}" if args.label else "what a default run matches"
    print(f"{min(len(data), args.sample):,} sampled records; completeness against {against}")
    print(f"{'rule':40} {'pairs':>10} {'cumulative':>11} {'complete':>9} {'on all':>14}")
    for row in table.to_dict(orient="records"):
        print(
            f"{row['rule']:40} {int(row['pairs']):10,} {int(row['cumulative_pairs']):11,} "
            f"{row['pair_completeness']:9.4f} {int(row['estimated_pairs']):14,}"
        )
    return EXIT_OK


def _run_bench(args: argparse.Namespace) -> int:
    peers = [p for p in (args.peers or "").split(",") if p]
    report, sweep = run_benchmark(args.dataset, records=args.records, seed=args.seed, peers=peers)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report["sweep"] = sweep.to_dict(orient="records")
    (out / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    facts = {k: v for k, v in report.items() if k not in ("sweep", "stages")}
    title = f"identilink on {DATASETS[args.dataset]}"
    (out / "report.html").write_text(sweep_report(sweep, title=title, facts=facts))
    if not args.quiet:
        print(
            f"identilink: {args.dataset}: {report['records']:,} records in "
            f"{report['seconds']:.2f} s, F1 {report['f1']:.4f} (P {report['precision']:.4f}, "
            f"R {report['recall']:.4f}), pair completeness {report['pair_completeness']:.4f}, "
            f"peak {report['peak_mib']} MiB; {out / 'bench.json'}, {out / 'report.html'}",
            file=sys.stderr,
        )
        for peer, facts in cast("dict[str, dict[str, Any]]", report.get("peers", {})).items():
            if "error" in facts:
                print(f"identilink: {peer}: {facts['error']}", file=sys.stderr)
                continue
            print(
                f"identilink: {peer} (same blocking): {facts['seconds']:.2f} s "
                f"({facts['x_identilink']}x identilink's), F1 {facts['f1']:.4f} "
                f"(P {facts['precision']:.4f}, R {facts['recall']:.4f})",
                file=sys.stderr,
            )
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.command == "store":
        return _run_store(args)
    if args.command == "blocking":
        return _run_blocking(args)
    if args.command == "ingest":
        return _run_ingest(args)
    if args.command == "resolve":
        return _run_resolve(args)
    if args.command == "generate":
        return _run_generate(args)
    if args.command == "bench":
        return _run_bench(args)
    settings, model = _settings(args)
    if args.engine != "local":
        return _run_engine(args, settings, model)
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
    _save(args, result, write_table)
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
    except BrokenPipeError:  # `identilink store events DB | head`: the reader left
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
