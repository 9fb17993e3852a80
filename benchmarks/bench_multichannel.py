"""Issue-3 bars on generated multi-channel data: extraction, adapter speed, resolution.

    python benchmarks/bench_multichannel.py                  # ~100k fragments, census names
    python benchmarks/bench_multichannel.py --names small    # the small name pool of before
    python benchmarks/bench_multichannel.py --people 170000  # ~1M fragments (generator speed)

Prints and writes results/multichannel.json (``_small_names`` for the small pool): generation
time, per-channel parse rate (fragments per second on one core), identifier extraction
precision/recall against the generator's truth, resolution pairwise and B-cubed
precision/recall/F1 without and with the evidence stage, oracle ceilings, and a check that no
link rests on a placeholder value.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from identilink._evidence import _Profile
from identilink.adapters import collector_paused, ingest
from identilink.bench.metrics import b_cubed, cluster_pair_metrics
from identilink.bench.multichannel import NAME_POOLS, generate, iter_truth
from identilink.cluster import components
from identilink.fragments import Fragment
from identilink.resolve import name_signature, resolve_fragments

HERE = Path(__file__).resolve().parent


def _decode_anchor(directory: Path) -> float:
    """Seconds to merely decode every channel file: the floor any adapter stands on."""
    import csv

    start = time.perf_counter()
    for path in sorted(directory.iterdir()):
        if path.name in {"truth.csv", "identifiers.jsonl"}:
            continue
        if path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as f:
                for line in f:
                    json.loads(line)
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as f:
                for _row in csv.reader(f):
                    pass
        else:
            path.read_bytes().split(b"\nFrom ")
    return time.perf_counter() - start


def _ceilings(
    fragments: list[Fragment], truth: dict[str, int], customers: pd.Series
) -> dict[str, float]:
    """B-cubed F1 of oracles that know the truth, bounds on what a resolver can reach.

    ``identifiers``: every same-person pair sharing an identifier is linked (none wrongly);
    ``identifiers_and_names``: in addition every fragment giving a name joins its person's other
    named fragments, i.e. perfect disambiguation of names. Fragments with neither stay apart.
    ``these_customers_and_names``: the customers identilink's identifier stage and name rule
    made (``customers``, shared values refused and all), each named one joined to the others of
    its majority person: the most any name evidence can add to them.
    ``these_customers_and_unshared_names``: the same, joining only the customers giving a name
    that no other person's customer gives: what names alone can tell, where a name shared by
    two people is left to attributes (dates of birth, cities) to resolve.
    ``these_customers_names_and_attributes``: the same, also joining a customer whose name
    other people give where an attribute rules every one of them out (a date of birth, city,
    street or year of birth the customer gives, none of which that person gives anywhere):
    what names and attributes tell. Generous (a person's attributes are pooled over all its
    customers, a city that differs rules out though people move), yet it leaves a customer
    whose name another person shares, with nothing to tell them apart, unjoined.
    """
    person = [truth[f.fragment_id] for f in fragments]
    left: list[int] = []
    right: list[int] = []
    first_holder: dict[tuple[str, str], int] = {}
    for i, fragment in enumerate(fragments):
        for ident in fragment.identifiers:
            if ident.blocked:
                continue
            j = first_holder.setdefault((ident.kind, ident.value), i)
            if j != i and person[j] == person[i]:
                left.append(j)
                right.append(i)
    n = len(fragments)
    by_ids = components(n, np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64))
    first_named: dict[int, int] = {}
    for i, fragment in enumerate(fragments):
        if name_signature(fragment):
            j = first_named.setdefault(person[i], i)
            if j != i:
                left.append(j)
                right.append(i)
    with_names = components(n, np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64))
    majority = pd.DataFrame({"customer": customers.to_numpy(), "person": person})
    majority["named"] = [bool(name_signature(f)) for f in fragments]
    owner = majority.groupby("customer")["person"].agg(lambda s: s.mode().iloc[0])
    named = majority[majority["named"]].drop_duplicates("customer")
    code = {c: i for i, c in enumerate(owner.index)}
    joined = _joined_to_owner(named["customer"], owner, code, majority["customer"])
    # a name is unshared when the customers giving it all belong to one person
    signatures = [name_signature(f) for f in fragments]
    persons_of: dict[frozenset[str], set[int]] = {}
    names_of: dict[object, set[frozenset[str]]] = {}  # the names each customer gives
    for signature, customer in zip(signatures, majority["customer"], strict=True):
        if signature:
            persons_of.setdefault(signature, set()).add(owner[customer])
            names_of.setdefault(customer, set()).add(signature)
    unshared = pd.Series(
        [bool(s) and len(persons_of[s]) == 1 for s in signatures], index=majority.index
    )
    clear = majority[unshared].drop_duplicates("customer")["customer"]
    unshared_joined = _joined_to_owner(clear, owner, code, majority["customer"])
    # ... or told apart from every other person of the name by an attribute
    said: dict[object, _Profile] = {}
    for fragment, customer in zip(fragments, majority["customer"], strict=True):
        said.setdefault(customer, _Profile()).add(fragment)
    pooled: dict[int, dict[str, set[str]]] = {}
    for customer, profile in said.items():
        mine = pooled.setdefault(owner[customer], {k: set() for k in _TELLING})
        for k in _TELLING:
            mine[k] |= getattr(profile, k)

    def told_apart(customer: object) -> bool:
        profile = said[customer]
        for signature in names_of[customer]:
            rivals = persons_of[signature] - {owner[customer]}
            if all(
                any(
                    getattr(profile, k) and pooled[r][k] and not getattr(profile, k) & pooled[r][k]
                    for k in _TELLING
                )
                for r in rivals
            ):
                return True
        return False

    told = pd.Series([c for c in names_of if told_apart(c)], dtype=object)
    told_joined = _joined_to_owner(told, owner, code, majority["customer"])
    return {
        "identifiers": round(b_cubed(by_ids, person)["f1"], 4),
        "identifiers_and_names": round(b_cubed(with_names, person)["f1"], 4),
        "these_customers_and_names": round(b_cubed(joined, person)["f1"], 4),
        "these_customers_and_unshared_names": round(b_cubed(unshared_joined, person)["f1"], 4),
        "these_customers_names_and_attributes": round(b_cubed(told_joined, person)["f1"], 4),
    }


_TELLING = ("dob", "city", "street", "years")  # what tells two people of one name apart


def _joined_to_owner(
    chosen: pd.Series, owner: pd.Series, code: dict[object, int], customers: pd.Series
) -> np.ndarray:
    """Each fragment's cluster once every ``chosen`` customer is joined to the first chosen
    customer of its majority person."""
    lead = chosen.groupby(chosen.map(owner)).first()
    pairs = [(code[lead[owner[c]]], code[c]) for c in chosen if lead[owner[c]] != c]
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    return components(len(code), a, b)[customers.map(code).to_numpy()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=16_700)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--names", choices=NAME_POOLS, default="census")
    parser.add_argument("--out", help="default results/multichannel[_small_names].json")
    args = parser.parse_args()
    suffix = "" if args.names == "census" else f"_{args.names}_names"
    args.out = args.out or str(HERE / "results" / f"multichannel{suffix}.json")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        made = generate(directory, people=args.people, seed=args.seed, names=args.names)
        gen_seconds = time.perf_counter() - start
        print(f"generated {made.fragments:,} fragments in {gen_seconds:.1f} s")
        fragments: list[Fragment] = []
        rates = {}
        parse_seconds = 0.0
        with collector_paused():  # as `identilink ingest` reads its files
            for path in sorted(directory.iterdir()):
                if path.name in {"truth.csv", "identifiers.jsonl"}:
                    continue
                start = time.perf_counter()
                found, _ = ingest([path])
                seconds = time.perf_counter() - start
                parse_seconds += seconds
                fragments += found
                rates[path.name] = round(len(found) / seconds) if seconds else None
                print(f"  {path.name:24} {len(found):8,} fragments {rates[path.name]:>9,}/s")
        overall = len(fragments) / parse_seconds
        print(f"  {'all':24} {len(fragments):8,} fragments {overall:>9,.0f}/s")
        decode_seconds = _decode_anchor(directory)
        print(
            f"  anchor: bare decoding of the same files (json.loads / csv.reader / mbox split) "
            f"{decode_seconds:.2f} s; adapters take {parse_seconds / decode_seconds:.1f}x that"
        )
        truth_ids = {}
        with (directory / "identifiers.jsonl").open() as f:
            for line in f:
                row = json.loads(line)
                truth_ids[row["fragment_id"]] = set(row["identifiers"])
        tp = fp = fn = 0
        for fr in fragments:
            got = {f"{i.kind}:{i.value}" for i in fr.identifiers if not i.blocked}
            want = truth_ids.get(fr.fragment_id, set())
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        extraction = {"precision": tp / (tp + fp), "recall": tp / (tp + fn)}
        truth = dict(iter_truth(directory))
        resolution = {}
        for evidence in (False, True):
            start = time.perf_counter()
            result = resolve_fragments(fragments, evidence=evidence)
            seconds = time.perf_counter() - start
            entity = result.clusters["fragment_id"].map(truth)
            pairwise = cluster_pair_metrics(result.clusters["customer_id"], entity).to_dict()
            resolution["with_evidence" if evidence else "identifiers_and_name_rule"] = {
                "seconds": round(seconds, 2),
                "pairwise": {k: pairwise[k] for k in ("precision", "recall", "f1")},
                "b_cubed": b_cubed(result.clusters["customer_id"], entity),
                "links": result.links["kind"].value_counts().to_dict(),
            }
            if not evidence:
                ceilings = _ceilings(fragments, truth, result.clusters["customer_id"])
        sweep = {}
        for threshold in (0.5, 0.7):  # the default, 0.9, is with_evidence
            result_at = resolve_fragments(fragments, threshold=threshold)
            entity = result_at.clusters["fragment_id"].map(truth)
            sweep[str(threshold)] = b_cubed(result_at.clusters["customer_id"], entity)
        blocked = {(i.kind, i.value) for f in fragments for i in f.identifiers if i.blocked}
        used = set(zip(result.links["kind"], result.links["value"], strict=True))
    report = {
        "people": made.people,
        "fragments": made.fragments,
        "generate_seconds": round(gen_seconds, 2),
        "parse_rate_per_second": round(overall),
        "parse_seconds": round(parse_seconds, 2),
        "decode_anchor_seconds": round(decode_seconds, 2),
        "parse_vs_decode_ratio": round(parse_seconds / decode_seconds, 1),
        "parse_rates": rates,
        "extraction": extraction,
        "names": args.names,
        "resolution": resolution,
        "b_cubed_at_thresholds": sweep,
        "b_cubed_f1_ceilings": ceilings,
        "links_through_placeholders": len(used & blocked),
    }
    print(json.dumps({k: v for k, v in report.items() if k != "parse_rates"}, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
