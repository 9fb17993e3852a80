"""Incremental resolution over a store: one fragment in, its customer id out.

The clusters are a pure function of the set of stored fragments and the steward's decisions;
arrival order only decides which customer *id* survives a merge. Two levels:

1. **Components.** Fragments sharing an identifier value that is neither a placeholder nor
   shared (held under names that cannot be one person) are candidates; steward ``link``
   decisions and locks add forced edges. Edges are added strongest first (steward, user id,
   e-mail, handle, phone; ties by fragment id) and an edge that would break a rule is refused
   and recorded: at most ``Rules.limits`` distinct values per kind (per platform for handles
   and user ids), no two different values of ``Rules.conflicting`` attributes (date of
   birth), no steward ``unlink`` inside a component, nothing joins a locked customer.
2. **Customers.** An *account* component (a name, no e-mail or phone) joins the unique
   *anchor* (a component with two or more e-mails or phones) holding its full name, or, for
   a first-name-only account, the unique anchor whose last name its username is built from
   (:func:`identilink.resolve_fragments` uses the same rule in batch). Accounts join an
   anchor in fragment-id order while the rules allow.

``add`` recomputes only the region the fragment can influence: the candidate component it
falls into (found through the store's key index) and, for names, the accounts and anchors
holding the same name keys. Customer ids are stable: see :meth:`Resolver.add`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from identilink.compare import reference_gamma
from identilink.errors import ConfigurationError, StoreError, UnknownFragmentError
from identilink.fragments import ATTRIBUTES, IDENTIFIER_KINDS, Fragment
from identilink.model import FellegiSunterModel
from identilink.normalize.names import canonical_given_name
from identilink.resolve import _conflicting, _handle_fits, name_signature
from identilink.store import Customer, Decision, Event, Link, Store, StoredFragment

__all__ = [
    "Explanation",
    "GoldenRecord",
    "GoldenValue",
    "Resolver",
    "Rules",
    "build_golden",
    "golden_frame",
]

#: Evidence weight of one link by what it rests on; edges are added strongest first.
WEIGHTS: Mapping[str, float] = {
    "steward": 100.0,
    "user_id": 20.0,
    "email": 15.0,
    "handle": 12.0,
    "phone": 10.0,
    "name": 5.0,
}
_ID_KINDS = IDENTIFIER_KINDS


def _default_limits() -> dict[str, int]:
    return {"user_id": 1, "handle": 2, "email": 8, "phone": 6}


@attrs.frozen
class Rules:
    """Merge protection: what a customer may hold, and what refuses a merge."""

    #: Distinct values of an identifier kind one customer may hold (per platform for
    #: ``handle`` and ``user_id``: one Twitter id, one Facebook id).
    limits: Mapping[str, int] = attrs.field(factory=_default_limits)
    #: Attributes whose different values refuse a merge (two dates of birth: two people).
    conflicting: tuple[str, ...] = ("dob",)
    #: With a trained model: a link whose two fragments the model scores below this match
    #: weight (log2 Bayes factor, prior included) is refused, the model's veto over a shared
    #: identifier or name. ``None``: the model explains links but refuses none.
    min_match_weight: float | None = None

    def __attrs_post_init__(self) -> None:
        for kind, limit in self.limits.items():
            if not isinstance(limit, int) or limit < 1:
                raise ConfigurationError(f"limit for {kind!r} must be at least 1, got {limit!r}")
        if self.min_match_weight is not None and not isinstance(self.min_match_weight, int | float):
            raise ConfigurationError(
                f"min_match_weight must be a number, got {self.min_match_weight!r}"
            )

    def to_json(self) -> str:
        return json.dumps(
            {
                "limits": dict(self.limits),
                "conflicting": list(self.conflicting),
                "min_match_weight": self.min_match_weight,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Rules:
        """Rules from JSON ``{"limits": {"email": 8, ...}, "conflicting": ["dob"],
        "min_match_weight": -5}`` (every field optional)."""
        try:
            data = json.loads(text)
            unknown = set(data) - {"limits", "conflicting", "min_match_weight"}
            if unknown:
                raise ConfigurationError(f"unknown rules field(s): {', '.join(sorted(unknown))}")
            return cls(
                limits={**_default_limits(), **dict(data.get("limits", {}))},
                conflicting=tuple(data.get("conflicting", ("dob",))),
                min_match_weight=data.get("min_match_weight"),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            if isinstance(exc, ConfigurationError):
                raise
            raise ConfigurationError(
                f"rules are not valid JSON of limits/conflicting: {exc}"
            ) from None


@attrs.frozen
class GoldenValue:
    value: str
    fragment_id: str


@attrs.frozen
class GoldenRecord:
    """One customer's best values, each with the fragment it came from."""

    customer_id: str
    fragment_ids: tuple[str, ...]
    values: Mapping[str, GoldenValue]
    identifiers: Mapping[str, tuple[str, ...]]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "customer_id": self.customer_id,
            "n_fragments": len(self.fragment_ids),
        }
        for name, golden in self.values.items():
            out[name] = golden.value
            out[f"{name}_source"] = golden.fragment_id
        for kind, values in self.identifiers.items():
            out[f"{kind}s"] = list(values)
        return out


Survivorship = str | Callable[[list[tuple[str, str, Fragment]]], tuple[str, str] | None]


@attrs.frozen
class Explanation:
    """Why fragments belong together: the links on the path, with their evidence."""

    customer_id: str
    links: tuple[Link, ...]
    refused: tuple[Link, ...] = ()

    @property
    def total_weight(self) -> float:
        return sum(link.weight for link in self.links)

    def to_text(self) -> str:
        lines = [f"customer {self.customer_id}: {len(self.links)} link(s)"]
        running = 0.0
        for link in self.links:
            running += link.weight
            bar = "#" * max(1, round(link.weight / 2))
            lines.append(
                f"  {link.left} -- {link.right}  {link.kind}={link.value}  "
                f"+{link.weight:g} (total {running:g}) {bar}"
            )
            if link.evidence:
                steps = json.loads(link.evidence)
                total = 0.0
                for label, weight in steps:
                    total += weight
                    lines.append(f"      {label:32} {weight:+8.2f}  -> {total:+8.2f}")
                lines.append(f"      {'model match weight':32} {total:+8.2f}")
        for link in self.refused:
            lines.append(f"  refused {link.left} -- {link.right} {link.kind}: {link.reason}")
        return "\n".join(lines)

    def to_html(self) -> str:
        """A waterfall of link weights as a self-contained HTML page (no scripts)."""
        from html import escape

        rows = []
        running = 0.0
        top = max(self.total_weight, 1.0)
        for link in self.links:
            left = 100 * running / top
            width = 100 * link.weight / top
            running += link.weight
            label = escape(f"{link.left} - {link.right}: {link.kind}={link.value} +{link.weight:g}")
            rows.append(
                f'<div class="row"><span>{label}</span><div class="bar" '
                f'style="margin-left:{left:.1f}%;width:{width:.1f}%"></div></div>'
            )
            if link.evidence:  # the model's waterfall for this link, step by step
                steps = json.loads(link.evidence)
                span = max(sum(abs(w) for _, w in steps), 1.0)
                total = 0.0
                for step, weight in steps:
                    start = min(total, total + weight) + span
                    total += weight
                    colour = "#2e8b57" if weight >= 0 else "#c0392b"
                    rows.append(
                        f'<div class="row step"><span>{escape(step)} {weight:+.2f}</span>'
                        f'<div class="bar" style="margin-left:{50 * start / span:.1f}%;'
                        f'width:{50 * abs(weight) / span:.1f}%;background:{colour}"></div></div>'
                    )
        return (
            "<!doctype html><meta charset=utf-8><title>identilink explanation</title>"
            "<style>.row{font:12px monospace;margin:4px 0}.bar{height:10px;"
            "background:#3b7dd8}.step{margin-left:2em}</style>"
            f"<h1>{escape(self.customer_id)}</h1>" + "".join(rows)
        )


def identifier_keys(fragment: Fragment) -> list[str]:
    """Index keys of a fragment's linkable identifiers (placeholders left out)."""
    return [
        f"id\t{i.kind}\t{i.value}"
        for i in fragment.identifiers
        if not i.blocked and i.kind in _ID_KINDS
    ]


def _full_key(fragment: Fragment) -> str | None:
    first = fragment.attributes.get("first_name")
    last = fragment.attributes.get("last_name")
    if not first or not last or len(first) < 2 or len(last) < 2:
        return None
    return f"{canonical_given_name(first)} {last}"


def _first_only(fragment: Fragment) -> str | None:
    if _full_key(fragment) is not None:
        return None
    tokens = (fragment.attributes.get("full_name") or "").split()
    return canonical_given_name(tokens[0]) if len(tokens) == 1 else None


def _last_name_starts(handle: str, first: str, size: int) -> set[str]:
    """What a last name must start with (its first ``size`` letters at most) for ``handle``
    to be built from ``first`` and it (see :func:`identilink.resolve._handle_fits`)."""
    letters = "".join(c for c in handle if c.isalpha())
    out = set()
    if letters.startswith(first) and len(letters) > len(first):
        out.add(letters[len(first) : len(first) + size])
    if letters[:1] == first[:1] and len(letters) >= 4:
        out.add(letters[1 : 1 + size])
    return out


def _account_keys(name: str) -> tuple[str, str, str]:
    """Where the accounts that may join an anchor holding the full name ``name`` are indexed:
    the same full name, or a username built from its first name and last name's start."""
    first, last = name.split(" ", 1)
    return (f"full\t{name}", f"hfl\t{first}\t{last[:1]}", f"hfl\t{first}\t{last[:2]}")


def name_keys(fragment: Fragment) -> list[str]:
    """Index keys of a fragment's names.

    A fragment with a first and last name: ``full`` (canonical first + last) and ``fl`` (first
    + the last name's first one, two and three letters), so a username finds the names it may
    be built from (``janedoe`` -> ``jane`` + ``doe``). A first-name-only fragment: ``hfl``
    keys for the last-name starts its usernames allow (``janedoe`` -> ``jane`` + ``do``), so an
    anchor finds the usernames that may be built from its name (:func:`_account_keys`)
    without scanning a first name's holders.
    """
    full = _full_key(fragment)
    if full is not None:
        first, last = full.split(" ", 1)
        starts = dict.fromkeys(last[:size] for size in (1, 2, 3))
        return [f"full\t{full}", *(f"fl\t{first}\t{start}" for start in starts)]
    given = _first_only(fragment)
    if not given:
        return []
    handles = [h.partition(":")[2] for h in fragment.values("handle")]
    prefixes = {p for h in handles for p in _last_name_starts(h, given, 2)}
    return [f"hfl\t{given}\t{p}" for p in sorted(prefixes)]


def _group(kind: str, value: str) -> str:
    if kind in ("handle", "user_id"):
        return f"{kind}:{value.partition(':')[0]}"
    return kind


class _Profile:
    """What the rules need to know about a growing cluster."""

    __slots__ = ("attrs", "forbid", "locks", "members", "unlocked", "values")

    def __init__(self, fid: str, fragment: Fragment, rules: Rules, lock: str | None) -> None:
        self.members = [fid]
        self.values: dict[str, set[str]] = defaultdict(set)
        for ident in fragment.identifiers:
            if not ident.blocked and ident.kind in _ID_KINDS:
                self.values[_group(ident.kind, ident.value)].add(ident.value)
        self.attrs = {
            name: {fragment.attributes[name]}
            for name in rules.conflicting
            if fragment.attributes.get(name)
        }
        self.forbid: set[str] = set()
        self.locks = {lock} if lock else set()
        self.unlocked = lock is None

    def refusal(self, other: _Profile, rules: Rules, root_of: Callable[[str], str]) -> str:
        """Why merging with ``other`` breaks a rule, or ``""``."""
        if (self.locks or other.locks) and (
            self.locks != other.locks or self.unlocked or other.unlocked
        ):
            return "locked customer"
        mine, theirs_root = root_of(self.members[0]), root_of(other.members[0])
        if any(root_of(f) == theirs_root for f in self.forbid) or any(
            root_of(f) == mine for f in other.forbid
        ):
            return "steward unlink"
        for name, values in self.attrs.items():
            theirs = other.attrs.get(name)
            if theirs and not (values & theirs):
                return f"different {name}"
        for group, values in self.values.items():
            kind = group.partition(":")[0]
            limit = rules.limits.get(kind)
            theirs = other.values.get(group)
            if limit is not None and theirs and len(values | theirs) > limit:
                return f"more than {limit} {group} value(s)"
        return ""

    def absorb(self, other: _Profile) -> None:
        self.members += other.members
        for group, values in other.values.items():
            self.values[group] |= values
        for name, values in other.attrs.items():
            self.attrs.setdefault(name, set()).update(values)
        self.forbid |= other.forbid
        self.locks |= other.locks
        self.unlocked = self.unlocked or other.unlocked


class _Clusterer:
    """Constrained union-find: merges in the order given, refusing what breaks a rule."""

    def __init__(
        self,
        fragments: Mapping[str, Fragment],
        rules: Rules,
        decisions: Sequence[Decision],
        veto: Callable[[str, str], str] | None = None,
    ) -> None:
        self.parent: dict[str, str] = {f: f for f in fragments}
        self.rules = rules
        self.veto = veto
        locks: dict[str, str] = {}
        self.forced: list[tuple[str, str]] = []
        pair_decision: dict[frozenset[str], str] = {}
        for d in sorted(decisions, key=lambda d: d.seq):
            if d.kind in ("link", "unlink"):
                pair_decision[frozenset((d.left, d.right))] = d.kind
            elif d.kind == "lock":
                members = [m for m in d.right.split("\t") if m in fragments]
                for m in members:
                    locks[m] = d.left
                self.forced += [(members[0], m) for m in members[1:]]
            elif d.kind == "unlock":
                for m, lock in list(locks.items()):
                    if lock == d.left:
                        del locks[m]
        self.profiles = {
            f: _Profile(f, fragment, rules, locks.get(f)) for f, fragment in fragments.items()
        }
        for pair, kind in pair_decision.items():
            a, b = sorted(pair)
            if kind == "unlink":
                for x, y in ((a, b), (b, a)):
                    if x in fragments:
                        self.profiles[x].forbid.add(y)
            if a not in fragments or b not in fragments:
                continue
            if kind == "link":
                self.forced.append((a, b))
        self.refused: list[Link] = []
        self.used: list[Link] = []

    def find(self, x: str) -> str:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, link: Link, *, forced: bool = False) -> bool:
        ra, rb = self.find(link.left), self.find(link.right)
        if ra == rb:
            return True
        pa, pb = self.profiles[ra], self.profiles[rb]
        if not forced:
            reason = pa.refusal(pb, self.rules, self.find)
            if not reason and self.veto is not None:
                reason = self.veto(link.left, link.right)
            if reason:
                self.refused.append(attrs.evolve(link, status="refused", reason=reason))
                return False
        if len(pa.members) < len(pb.members):
            ra, rb, pa, pb = rb, ra, pb, pa
        self.parent[rb] = ra
        pa.absorb(pb)
        del self.profiles[rb]
        self.used.append(link)
        return True

    def run_forced(self) -> None:
        for a, b in self.forced:
            self.union(Link(a, b, "steward", "link", WEIGHTS["steward"]), forced=True)

    def components(self) -> dict[str, str]:
        """fragment id -> component id (the smallest fragment id in it)."""
        groups: dict[str, list[str]] = defaultdict(list)
        for f in self.parent:
            groups[self.find(f)].append(f)
        return {f: min(members) for members in groups.values() for f in members}


def _edges(holders: Mapping[str, Sequence[str]]) -> list[Link]:
    """Star edges per usable key, strongest first, ties by fragment ids."""
    links = []
    for key, members in holders.items():
        if len(members) < 2:
            continue
        _, kind, value = key.split("\t", 2)
        ordered = sorted(members)
        links += [Link(ordered[0], m, kind, value, WEIGHTS[kind]) for m in ordered[1:]]
    links.sort(key=lambda k: (-k.weight, k.left, k.right, k.value))
    return links


def cluster_components(
    fragments: Mapping[str, Fragment],
    holders: Mapping[str, Sequence[str]],
    decisions: Sequence[Decision],
    rules: Rules,
    veto: Callable[[str, str], str] | None = None,
) -> tuple[dict[str, str], list[Link], list[Link]]:
    """Level 1 on a closed region: (fragment -> component, used links, refused links).
    ``veto(left, right)``: why a link between two fragments is refused beside the rules."""
    clusterer = _Clusterer(fragments, rules, decisions, veto)
    clusterer.run_forced()
    for link in _edges(holders):
        clusterer.union(link)
    return clusterer.components(), clusterer.used, clusterer.refused


@attrs.frozen
class _Comp:
    """Level-2 view of a component."""

    cid: str
    members: tuple[str, ...]
    contacts: int
    full: frozenset[str]
    firsts: frozenset[str]
    handles: frozenset[str]

    @property
    def anchor(self) -> bool:
        return self.contacts >= 2

    @property
    def account(self) -> bool:
        return self.contacts == 0 and bool(self.full or self.firsts)


def _comp_view(cid: str, keyed: Iterable[tuple[str, str]]) -> _Comp:
    """A component's level-2 view from its members' index keys, ``(fragment_id, key)``: the
    same whether the members were just recomputed or are read from the store's index."""
    members: set[str] = set()
    contacts: set[str] = set()
    full: set[str] = set()
    firsts: set[str] = set()
    handles: set[str] = set()
    for fid, key in keyed:
        members.add(fid)
        kind, _, rest = key.partition("\t")
        if kind == "id":
            what, _, value = rest.partition("\t")
            if what in ("email", "phone"):
                contacts.add(value)
            elif what == "handle":
                handles.add(value.partition(":")[2])
        elif kind == "full":
            full.add(rest)
        elif kind == "hfl":
            firsts.add(rest.partition("\t")[0])
    return _Comp(
        cid,
        tuple(sorted(members)),
        len(contacts),
        frozenset(full),
        frozenset(firsts),
        frozenset(handles),
    )


def _keyed(fid: str, fragment: Fragment) -> list[tuple[str, str]]:
    return [(fid, k) for k in [*identifier_keys(fragment), *name_keys(fragment)]] or [(fid, "")]


def _views_of(component: Mapping[str, str], fragments: Mapping[str, Fragment]) -> dict[str, _Comp]:
    """Level-2 views of the components ``component`` (fragment -> component id) forms."""
    by_comp: dict[str, list[str]] = defaultdict(list)
    for f, cid in component.items():
        by_comp[cid].append(f)
    return {
        cid: _comp_view(cid, [pair for f in members for pair in _keyed(f, fragments[f])])
        for cid, members in by_comp.items()
    }


class Resolver:
    """Resolve fragments into customers in a :class:`~identilink.store.Store`, one at a time
    or in micro-batches, with stable customer ids, lineage and steward decisions.

    >>> from identilink.store import MemoryStore
    >>> resolver = Resolver(MemoryStore())
    """

    def __init__(
        self,
        store: Store,
        /,
        rules: Rules | None = None,
        *,
        model: FellegiSunterModel | None = None,
        clock: Callable[[], str] | None = None,
    ) -> None:
        self.store = store
        self.rules = rules or Rules()
        #: A trained model: every link is scored with it, comparison by comparison, on the
        #: two fragments' attributes and identifiers (``Link.evidence``, ``explain``), and
        #: refused below ``Rules.min_match_weight``.
        self.model = model
        if self.rules.min_match_weight is not None and model is None:
            raise ConfigurationError("Rules.min_match_weight needs a trained model to score links")
        self._steps: dict[tuple[str, str], list[tuple[str, float]]] = {}
        # What the index says about components outside a recomputed region, kept between
        # calls; cleared whenever the store's generation shows another writer was there.
        self._placed: dict[str, tuple[str, str]] = {}
        self._views: dict[str, _Comp] = {}
        self._generation: str | None = None
        self._steward = True  # whether the store holds steward decisions; see _fresh
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    @classmethod
    def open(
        cls,
        location: str | Path,
        /,
        rules: Rules | None = None,
        *,
        model: FellegiSunterModel | None = None,
    ) -> Resolver:
        """A resolver over the store at ``location`` (a SQLite path, ``:memory:`` or a
        ``postgresql://`` URL), with the rules and model saved in the store unless given
        (given ones are saved for later opens)."""
        from identilink.store import open_store

        store = open_store(location)
        with store.transaction():
            if rules is not None:
                store.set_meta("rules", rules.to_json())
            if model is not None:
                store.set_meta("model", model.to_json())
        saved_rules, saved_model = store.get_meta("rules"), store.get_meta("model")
        return cls(
            store,
            rules or (Rules.from_json(saved_rules) if saved_rules else None),
            model=model or (FellegiSunterModel.from_json(saved_model) if saved_model else None),
        )

    # -- public operations -------------------------------------------------------------

    def add(self, fragment: Fragment, /) -> str:
        """Store ``fragment``, resolve it and return its customer id.

        Stable ids: when customers merge, the one created first keeps its id and the others
        become its predecessors (``merge`` events; :meth:`current_id` follows them). When a
        customer splits, the part holding most of its fragments keeps the id (ties: the part
        with the smallest fragment id) and the other parts get new ids (``split`` events).
        Adding a fragment id that is already stored replaces it (see :meth:`update`).
        """
        return self.add_many([fragment])[fragment.fragment_id]

    def add_many(self, fragments: Iterable[Fragment], /) -> dict[str, str]:
        """Add a micro-batch in one transaction; fragment id -> customer id."""
        batch = list(fragments)
        with self.store.transaction():
            seeds: set[str] = set()
            replaced = False
            for fragment in batch:
                fid = fragment.fragment_id
                old = self.store.get_fragments([fid]).get(fid)
                if old is not None:
                    replaced = True
                    seeds.update(self._retire_keys(old.fragment))
                seq = old.seq if old else self.store.next_number("fragment")
                self.store.put_fragment(
                    StoredFragment(fragment, seq, fid, old.customer if old else ""),
                    identifier_keys(fragment) + name_keys(fragment),
                )
                seeds.add(fid)
            self._resolve(seeds, {f.fragment_id for f in batch}, only_added=not replaced)
            stored = self.store.get_fragments(f.fragment_id for f in batch)
            return {fid: s.customer for fid, s in stored.items()}

    def load(self, fragments: Iterable[Fragment], /) -> dict[str, str]:
        """Bulk-load an empty store: resolve everything at once in memory, then write the
        result in one transaction. Same clusters, ids and lineage as adding the fragments
        one by one (clusters do not depend on order); much faster for a first import.
        Returns fragment id -> customer id."""
        from identilink.store import MemoryStore

        if self.store.count():
            raise StoreError("load() fills an empty store; use add_many() on one that has data")
        staging = MemoryStore()
        assigned = Resolver(staging, self.rules, model=self.model, clock=self._clock).add_many(
            fragments
        )
        staging.copy_into(self.store)  # its meta holds counters, never the rules or model
        return assigned

    def update(self, fragment: Fragment, /) -> str:
        """Replace the stored fragment of the same id and re-resolve; its customer id."""
        if not self.store.get_fragments([fragment.fragment_id]):
            raise UnknownFragmentError(f"no fragment {fragment.fragment_id!r} in the store")
        return self.add(fragment)

    def delete(self, fragment_id: str, /) -> None:
        """Remove a fragment; its customer splits if the fragment was the only bridge."""
        with self.store.transaction():
            old = self.store.get_fragments([fragment_id]).get(fragment_id)
            if old is None:
                raise UnknownFragmentError(f"no fragment {fragment_id!r} in the store")
            seeds = self._retire_keys(old.fragment)
            seeds.update(self.store.members(component=old.component))
            seeds.update(self.store.members(customer=old.customer))
            self.store.delete_fragment(fragment_id)
            self.store.replace_links([fragment_id], [])
            seeds.discard(fragment_id)
            self._resolve(seeds, set(), gone={fragment_id: old})

    def customer_of(self, fragment_id: str, /) -> str:
        stored = self.store.get_fragments([fragment_id]).get(fragment_id)
        if stored is None:
            raise UnknownFragmentError(f"no fragment {fragment_id!r} in the store")
        return stored.customer

    def current_id(self, customer_id: str, /) -> str:
        """The id a customer goes by now, following merges (an old id resolves to its
        successor)."""
        seen = set()
        customer = self.store.get_customer(customer_id)
        if customer is None:
            raise UnknownFragmentError(f"no customer {customer_id!r} in the store")
        while customer.successor and customer.customer_id not in seen:
            seen.add(customer.customer_id)
            nxt = self.store.get_customer(customer.successor)
            if nxt is None:
                break
            customer = nxt
        return customer.customer_id

    def members(self, customer_id: str, /) -> list[str]:
        return sorted(self.store.members(customer=self.current_id(customer_id)))

    def link(self, left: str, right: str, /) -> str:
        """Steward: these two fragments are one customer, whatever the model says."""
        return self._decide("link", left, right)

    def unlink(self, left: str, right: str, /) -> str:
        """Steward: these two fragments are never one customer."""
        return self._decide("unlink", left, right)

    def lock(self, customer_id: str, /) -> None:
        """Steward: freeze this customer's membership against the model."""
        cid = self.current_id(customer_id)
        members = self.members(cid)
        with self.store.transaction():
            customer = self.store.get_customer(cid)
            assert customer is not None
            self.store.put_customer(attrs.evolve(customer, locked=True))
            self._add_decision(Decision("lock", cid, "\t".join(members), self._clock()))

    def unlock(self, customer_id: str, /) -> None:
        cid = self.current_id(customer_id)
        members = self.members(cid)
        with self.store.transaction():
            customer = self.store.get_customer(cid)
            assert customer is not None
            self.store.put_customer(attrs.evolve(customer, locked=False))
            self._add_decision(Decision("unlock", cid, "\t".join(members), self._clock()))
            self._resolve(set(members), set())

    def events(self, customer_id: str | None = None, /) -> list[Event]:
        return self.store.events(customer_id)

    def explain(self, first: str, second: str | None = None, /) -> Explanation:
        """Why a customer's fragments belong together (``explain(customer_id)``), or the path
        of links joining two fragments (``explain(fragment_a, fragment_b)``)."""
        import networkx as nx

        if second is None:
            cid = self.current_id(first)
            members = self.members(cid)
            links = [k for k in self.store.links(members) if k.status == "used"]
            refused = [k for k in self.store.links(members) if k.status == "refused"]
            return Explanation(cid, tuple(sorted(links, key=_link_order)), tuple(refused))
        a, b = self.customer_of(first), self.customer_of(second)
        if a != b:
            return Explanation(
                f"{a} / {b}",
                (),
                tuple(
                    k
                    for k in self.store.links([first, second])
                    if k.status == "refused" and {k.left, k.right} == {first, second}
                ),
            )
        graph = nx.Graph()
        for link in self.store.links(self.members(a)):
            if link.status == "used":
                graph.add_edge(link.left, link.right, link=link)
        path = nx.shortest_path(graph, first, second) if first != second else [first]
        return Explanation(a, tuple(graph.edges[u, v]["link"] for u, v in itertools.pairwise(path)))

    def graph(self, customer_id: str, /) -> Any:
        """A networkx graph of the customer: fragments as nodes (with channel), used links as
        edges (with ``kind``, ``value``, ``weight``); refused links are left out."""
        import networkx as nx

        cid = self.current_id(customer_id)
        members = self.members(cid)
        stored = self.store.get_fragments(members)
        graph = nx.Graph(customer_id=cid)
        for fid in members:
            graph.add_node(fid, channel=stored[fid].fragment.channel)
        for link in self.store.links(members):
            if link.status == "used" and link.left in stored and link.right in stored:
                graph.add_edge(
                    link.left, link.right, kind=link.kind, value=link.value, weight=link.weight
                )
        return graph

    def diagnostics(self, customer_id: str, /) -> dict[str, Any]:
        """How solid a customer is: size, links by kind, *bridges* (links whose loss would
        split it) and refused links touching it."""
        import networkx as nx

        graph = self.graph(customer_id)
        members = list(graph.nodes)
        kinds = Counter(d["kind"] for _, _, d in graph.edges(data=True))
        refused = [k for k in self.store.links(members) if k.status == "refused"]
        return {
            "customer_id": graph.graph["customer_id"],
            "fragments": graph.number_of_nodes(),
            "links": graph.number_of_edges(),
            "links_by_kind": dict(sorted(kinds.items())),
            "bridges": sorted(tuple(sorted(e)) for e in nx.bridges(graph)),
            "refused": len(refused),
            "channels": dict(
                sorted(Counter(d["channel"] for _, d in graph.nodes(data=True)).items())
            ),
        }

    def golden(
        self,
        customer_id: str,
        /,
        rules: Mapping[str, Survivorship] | None = None,
        *,
        source_priority: Sequence[str] = ("crm", "webchat", "email", "facebook", "twitter"),
    ) -> GoldenRecord:
        """The customer's golden record under survivorship ``rules`` (attribute -> rule).

        Rules: ``most_recent`` (latest ``observed_at``), ``most_frequent``, ``source_priority``
        (the first channel of ``source_priority`` that has a value), ``longest``, or a callable
        taking ``[(value, fragment_id, fragment)]`` and returning ``(value, fragment_id)``.
        Unnamed attributes use ``most_frequent``.
        """
        cid = self.current_id(customer_id)
        stored = self.store.get_fragments(self.members(cid))
        fragments = [s.fragment for _, s in sorted(stored.items())]
        return build_golden(cid, fragments, rules or {}, source_priority)

    def golden_records(self, **options: Any) -> list[GoldenRecord]:
        return [self.golden(c, **options) for c in self.store.customer_ids()]

    def clusters(self) -> dict[str, str]:
        """fragment id -> customer id for everything stored."""
        ids = list(self.store.fragment_ids())
        stored = self.store.get_fragments(ids)
        return {f: s.customer for f, s in stored.items()}

    def verify(self) -> list[str]:
        """Problems with the store's consistency (empty when it is consistent): fragments
        without a live customer, components not named after their smallest fragment,
        index entries that lost their fragment."""
        problems: list[str] = []
        ids = list(self.store.fragment_ids())
        components: dict[str, list[str]] = defaultdict(list)
        customers: dict[str, Customer | None] = {}
        for start in range(0, len(ids), 5000):
            chunk = self.store.get_fragments(ids[start : start + 5000])
            for fid, stored in chunk.items():
                components[stored.component].append(fid)
                if stored.customer not in customers:
                    customers[stored.customer] = self.store.get_customer(stored.customer)
                customer = customers[stored.customer]
                if customer is None:
                    problems.append(f"{fid}: customer {stored.customer!r} does not exist")
                elif customer.successor:
                    problems.append(f"{fid}: customer {stored.customer!r} was merged away")
                for key in identifier_keys(stored.fragment) + name_keys(stored.fragment):
                    if fid not in self.store.holders(key):
                        problems.append(f"{fid}: not indexed under {key!r}")
        for component, members in components.items():
            if component != min(members):
                problems.append(f"component {component!r} is not named after {min(members)!r}")
        return problems

    # -- internals -----------------------------------------------------------------------

    def _decide(self, kind: str, left: str, right: str) -> str:
        with self.store.transaction():
            found = self.store.get_fragments([left, right])
            for fid in (left, right):
                if fid not in found:
                    raise UnknownFragmentError(f"no fragment {fid!r} in the store")
            self._add_decision(Decision(kind, left, right, self._clock()))
            seeds = {left, right}
            for s in found.values():
                seeds.update(self.store.members(customer=s.customer))
            self._resolve(seeds, set())
            return self.customer_of(left)

    def _retire_keys(self, fragment: Fragment) -> set[str]:
        """Before a fragment goes: holders of its values, whose sharedness may change."""
        seeds: set[str] = set()
        for key in identifier_keys(fragment):
            if self.store.shared(key):
                self.store.set_shared(key, None)
            seeds.update(self.store.holders(key))
        for key in name_keys(fragment):
            seeds.update(self.store.holders(key))
        seeds.discard(fragment.fragment_id)
        return seeds

    _CACHE_LIMIT = 500_000

    def _add_decision(self, decision: Decision) -> None:
        self.store.add_decision(decision)
        self.store.set_meta("decisions", "1")

    def _decisions_of(self, fragment_ids: Iterable[str]) -> list[Decision]:
        """The steward's decisions naming these fragments (no query while there are none)."""
        return self.store.decisions(fragment_ids) if self._steward else []

    def _fresh(self) -> None:
        """Forget cached index views if another writer changed the store since we last did;
        learn whether the steward ever decided anything (most stores: never)."""
        generation = self.store.get_meta("generation")
        if generation != self._generation:
            self._placed.clear()
            self._views.clear()
            self._generation = generation
        flag = self.store.get_meta("decisions")
        if flag is None:  # a store from before the flag: look once
            flag = "1" if self.store.decisions() else "0"
            self.store.set_meta("decisions", flag)
        self._steward = flag == "1"

    def _remember(
        self,
        groups: Mapping[str, list[_Comp]],
        rows: list[tuple[str, str, str]],
        stale: set[str],
        gone: Mapping[str, StoredFragment],
    ) -> None:
        for cid in stale:
            self._views.pop(cid, None)
        for f in gone:
            self._placed.pop(f, None)
        if len(self._placed) > self._CACHE_LIMIT or len(self._views) > self._CACHE_LIMIT:
            self._placed.clear()
            self._views.clear()
        self._placed.update((fid, (comp, customer)) for fid, comp, customer in rows)
        for group in groups.values():
            for comp in group:
                self._views[comp.cid] = comp
        self._generation = str(int(self._generation or "0") + 1)
        self.store.set_meta("generation", self._generation)

    def _load(self, cache: dict[str, StoredFragment], ids: Iterable[str]) -> None:
        missing = [f for f in ids if f not in cache]
        if missing:
            cache.update(self.store.get_fragments(missing))

    def _usable(self, key: str, cache: dict[str, StoredFragment]) -> tuple[list[str], bool]:
        """The holders of a key not yet known to be shared, and whether it may link them
        (``False``: held under names that cannot be one person; marked shared now)."""
        members = self.store.holders(key)
        if len(members) < 2:
            return members, True
        self._load(cache, members)
        conflict = _conflicting({name_signature(cache[m].fragment) for m in members})
        if conflict is not None:
            names = " / ".join(" ".join(sorted(c)) for c in conflict)
            self.store.set_shared(key, f"shared by different names ({names})")
            return members, False
        return members, True

    def _resolve(
        self,
        seeds: set[str],
        new: set[str],
        gone: Mapping[str, StoredFragment] | None = None,
        *,
        only_added: bool = False,
    ) -> None:
        """Re-resolve the region around ``seeds``. ``only_added``: the change only added the
        fragments ``new`` (no update, delete or decision), so accounts outside the region can
        change their anchor only through names whose anchors in the region changed."""
        store = self.store
        self._fresh()
        cache: dict[str, StoredFragment] = {}
        # Level 1: the closed region of candidate components around the seeds.
        region: set[str] = set()
        holders: dict[str, list[str]] = {}
        seen_keys: set[str] = set()
        seen_components: set[str] = set()
        queue = list(seeds)
        decisions: dict[int, Decision] = {}
        while queue:
            self._load(cache, queue)
            batch = [f for f in queue if f in cache and f not in region]
            queue = []
            region.update(batch)
            for d in self._decisions_of(batch):
                decisions[d.seq] = d
                if d.kind in ("link", "lock"):
                    queue += [f for f in (d.left, *d.right.split("\t")) if f and f not in region]
            for fid in batch:
                stored = cache[fid]
                if stored.component not in seen_components:
                    seen_components.add(stored.component)
                    queue += store.members(component=stored.component)
                for key in identifier_keys(stored.fragment):
                    if key in seen_keys:
                        continue
                    seen_keys.add(key)
                    if store.shared(key):  # its holders were separated when it became so
                        continue
                    members, usable = self._usable(key, cache)
                    queue += members  # if shared from now on: it linked them until now
                    if usable:
                        holders[key] = members
            queue = [f for f in dict.fromkeys(queue) if f not in region]
        fragments = {f: cache[f].fragment for f in region}
        self._steps.clear()
        component, used, refused = cluster_components(
            fragments,
            {k: [m for m in v if m in region] for k, v in holders.items()},
            list(decisions.values()),
            self.rules,
            self._veto(cache),
        )
        # The region's links are replaced by these at the end; its name links with them:
        # their accounts are affected at level 2 below and re-derived, so none is lost.
        links = self._scored([*used, *refused], cache)
        named = {f for k in store.links(region) if k.kind == "name" for f in (k.left, k.right)}
        old_customer = {f: cache[f].customer for f in region}
        if gone:
            old_customer.update({f: s.customer for f, s in gone.items()})
        comps = _views_of(component, fragments)
        # Level 2: accounts and anchors around the name keys the region touches (for the
        # region's full names, the usernames that may be built from them: ``hfl`` keys).
        if only_added:
            # An account outside the region keeps its anchor unless the region's anchors,
            # taken as their sets of full names, changed: only names in the difference count.
            before = _views_of({f: cache[f].component for f in region - new}, fragments)
            was = Counter(c.full for c in before.values() if c.anchor)
            now = Counter(c.full for c in comps.values() if c.anchor)
            names = {n for full in (was - now) + (now - was) for n in full}
            keys: set[str] = set()
        else:
            held = [*fragments.values(), *(s.fragment for s in (gone or {}).values())]
            names = {n for f in held if (n := _full_key(f)) is not None}
            keys = {k for f in held for k in name_keys(f) if k.startswith("hfl\t")}
        keys |= {key for name in names for key in _account_keys(name)}
        # Outside the region, components and customers are read from the index alone.
        placed: dict[str, tuple[str, str]] = {f: (component[f], cache[f].customer) for f in region}

        def place(fids: Iterable[str]) -> None:
            missing = []
            for f in fids:
                if f not in placed:
                    known = self._placed.get(f)
                    if known is None:
                        missing.append(f)
                    else:
                        placed[f] = known
            if missing:
                found = store.placement(missing)
                placed.update(found)
                self._placed.update(found)

        def comp_of(fid: str) -> _Comp:
            place([fid])
            cid = placed[fid][0]
            if cid not in comps:
                view = self._views.get(cid)
                if view is None:
                    view = self._views[cid] = _comp_view(cid, store.component_keys(cid))
                comps[cid] = view
            return comps[cid]

        holding_memo: dict[str, list[_Comp]] = {}

        def comps_holding(key: str) -> list[_Comp]:
            if key not in holding_memo:
                holding_memo[key] = list(holders_comps(key))
            return holding_memo[key]

        targets_memo: dict[tuple[frozenset[str], ...], str | None] = {}
        anchors_memo: dict[str, list[str]] = {}

        def first_anchors(key: str) -> list[str]:
            """Up to two anchors holding ``key`` (two already make an account's choice
            ambiguous)."""
            if key not in anchors_memo:
                found: list[str] = []
                for a in holders_comps(key):
                    if a.anchor and a.cid not in found:
                        found.append(a.cid)
                        if len(found) > 1:
                            break
                anchors_memo[key] = found
            return anchors_memo[key]

        def holders_comps(key: str) -> Iterator[_Comp]:
            """The components holding ``key``, one at a time (a caller may stop early)."""
            if key in holding_memo:
                yield from holding_memo[key]
                return
            members = store.holders(key)
            seen: set[str] = set()
            for start in range(0, len(members), 32):
                chunk = members[start : start + 32]
                place(chunk)
                for m in chunk:
                    found = comp_of(m)
                    if found.cid not in seen:
                        seen.add(found.cid)
                        yield found

        def target(comp: _Comp) -> str | None:
            """The one anchor an account joins, or ``None`` (none, or two or more: stops
            looking at the second, so a common first name costs two anchors, not all)."""
            signature = (comp.full, comp.firsts, comp.handles)  # all the answer depends on
            if signature in targets_memo:
                return targets_memo[signature]
            found: set[str] = set()
            for key in sorted(comp.full):
                found.update(first_anchors(f"full\t{key}"))
                if len(found) > 1:
                    break
            if not found and comp.handles:
                keys = {
                    f"fl\t{first}\t{start}"
                    for first in comp.firsts
                    for h in comp.handles
                    for start in _last_name_starts(h, first, 3)
                }
                for key in sorted(keys):
                    first = key.split("\t")[1]
                    for a in holders_comps(key):
                        if a.anchor and any(
                            _handle_fits(h, first, name.split(" ", 1)[1])
                            for name in a.full
                            if name.split(" ", 1)[0] == first
                            for h in comp.handles
                        ):
                            found.add(a.cid)
                        if len(found) > 1:
                            break
                    if len(found) > 1:
                        break
            result = found.pop() if len(found) == 1 else None
            targets_memo[signature] = result
            return result

        affected: dict[str, _Comp] = {c.cid: c for c in comps.values()}

        def affect(fids: Sequence[str]) -> None:
            """The components of these stored fragments are affected too."""
            place(fids)
            for f in fids:
                if f in placed:
                    comp = comp_of(f)
                    affected[comp.cid] = comp

        affect(sorted(named - region))
        anchors: dict[str, _Comp] = {c.cid: c for c in affected.values() if c.anchor}
        for key in keys:
            for c in comps_holding(key):
                affected[c.cid] = c
                if c.anchor:
                    anchors[c.cid] = c
        # Every customer touched is recomputed whole: the anchor an account leaves, and the
        # accounts of an anchor that changed, keep no stale customer id.
        done: set[str] = {""}
        linked: set[str] = set()
        while True:
            for c in list(affected.values()):
                if c.account:
                    t = target(c)
                    if t is not None and t not in affected:
                        anchors[t] = affected[t] = comps[t]
            if only_added:
                # The accounts an anchor refused (a name link with a reason) may be accepted
                # now; those it accepted are in its customer.
                # (The region's name links were collected above.)
                for a in [a for cid, a in anchors.items() if cid not in linked]:
                    linked.add(a.cid)
                    if a.members[0] in region:
                        continue
                    affect(
                        [
                            f
                            for k in store.links(a.members)
                            if k.kind == "name"
                            for f in (k.left, k.right)
                        ]
                    )
            members_now = [m for c in affected.values() for m in c.members]
            place(m for m in members_now if m not in old_customer)
            touched = {old_customer.get(m) or placed[m][1] for m in members_now} - done
            if not touched:
                break
            done |= touched
            for old in sorted(touched):
                members = store.members(customer=old)
                place(members)
                for fid in members:
                    oc = comp_of(fid)
                    affected[oc.cid] = oc
                    if oc.anchor:
                        anchors[oc.cid] = oc
        groups: dict[str, list[_Comp]] = {}
        joined: set[str] = set()
        name_links: list[Link] = []
        veto = self._veto(cache)
        # An account joins the anchor it targets; when only fragments were added, every
        # account that may is affected already (its customer, a refusal, or a changed name).
        targeting: dict[str | None, list[_Comp]] = defaultdict(list)
        if only_added:
            for c in affected.values():
                if c.account:
                    targeting[target(c)].append(c)
        for a in sorted(anchors.values(), key=lambda c: c.cid):
            affected[a.cid] = a
            candidates: dict[str, _Comp] = {c.cid: c for c in targeting.get(a.cid, [])}
            if not only_added:
                for name in a.full:
                    for key in _account_keys(name):
                        for c in comps_holding(key):
                            if c.account and target(c) == a.cid:
                                candidates[c.cid] = c
            accepted = [a]
            profile = self._profile_of(a, cache, decisions)
            for c in sorted(candidates.values(), key=lambda c: c.cid):
                other = self._profile_of(c, cache, decisions)
                link = Link(a.members[0], c.members[0], "name", _name_of(c), WEIGHTS["name"])
                reason = profile.refusal(other, self.rules, _root_in(set(c.members)))
                if not reason and veto is not None:
                    reason = veto(link.left, link.right)
                affected[c.cid] = c
                if reason:
                    name_links.append(attrs.evolve(link, status="refused", reason=reason))
                    continue
                profile.absorb(other)
                accepted.append(c)
                joined.add(c.cid)
                name_links.append(link)
            groups[a.cid] = accepted
        for c in affected.values():
            if c.cid not in groups and c.cid not in joined:
                groups[c.cid] = [c]
        # Name links are re-derived for every affected account; its other links outside
        # the region stay.
        accounts = [m for c in affected.values() if not c.anchor for m in c.members]
        links += [
            k
            for k in store.links(accounts)
            if k.kind != "name" and k.left not in region and k.right not in region
        ]
        store.replace_links([*region, *accounts], [*links, *self._scored(name_links, cache)])
        grouped = [m for group in groups.values() for comp in group for m in comp.members]
        place(m for m in grouped if m not in old_customer)
        old_customer.update({m: placed[m][1] for m in grouped if m not in old_customer})
        stale = {cache[f].component for f in region} | set(component.values())
        current = {f: (cache[f].component, cache[f].customer) for f in region}
        rows = self._assign(groups, cache, old_customer, new, gone or {})
        store.assign(r for r in rows if current.get(r[0], placed.get(r[0])) != r[1:])
        self._remember(groups, rows, stale, gone or {})

    def _score(
        self, left: str, right: str, cache: dict[str, StoredFragment]
    ) -> list[tuple[str, float]]:
        """The model's waterfall for two fragments, computed once per change."""
        assert self.model is not None
        if (left, right) not in self._steps:
            self._load(cache, [left, right])
            self._steps[left, right] = score_pair(
                self.model, cache[left].fragment, cache[right].fragment
            )
        return self._steps[left, right]

    def _veto(self, cache: dict[str, StoredFragment]) -> Callable[[str, str], str] | None:
        """Why the model refuses a link (``""``: it does not), or ``None`` without a veto."""
        floor = self.rules.min_match_weight
        if self.model is None or floor is None:
            return None

        def veto(left: str, right: str) -> str:
            weight = sum(w for _, w in self._score(left, right, cache))
            return f"model match weight {weight:+.2f} < {floor:+.2f}" if weight < floor else ""

        return veto

    def _scored(self, links: list[Link], cache: dict[str, StoredFragment]) -> list[Link]:
        """Links with the model's waterfall as evidence (unchanged without a model)."""
        if self.model is None or not links:
            return links
        self._load(cache, [f for k in links for f in (k.left, k.right)])
        out = []
        for link in links:
            if link.left not in cache or link.right not in cache:
                out.append(link)
                continue
            steps = self._score(link.left, link.right, cache)
            out.append(attrs.evolve(link, evidence=json.dumps(steps)))
        return out

    def _profile_of(
        self, comp: _Comp, cache: dict[str, StoredFragment], decisions: dict[int, Decision]
    ) -> _Profile:
        self._load(cache, comp.members)
        for d in self._decisions_of(comp.members):
            decisions[d.seq] = d
        fragments = {m: cache[m].fragment for m in comp.members}
        clusterer = _Clusterer(fragments, self.rules, list(decisions.values()))
        profile = clusterer.profiles[comp.members[0]]
        for m in comp.members[1:]:
            profile.absorb(clusterer.profiles[m])
        return profile

    def _assign(
        self,
        groups: Mapping[str, list[_Comp]],
        cache: dict[str, StoredFragment],
        old_customer: dict[str, str],
        new: set[str],
        gone: Mapping[str, StoredFragment],
    ) -> list[tuple[str, str, str]]:
        """Customer ids for ``groups`` (lineage events written); (fragment, component,
        customer) rows for every member, for the caller to store."""
        store = self.store
        now = self._clock()
        members_of = {g: [f for c in comps for f in c.members] for g, comps in groups.items()}
        old_of = {
            f: old_customer.get(f) or (cache[f].customer if f in cache else "")
            for fs in members_of.values()
            for f in fs
        }
        # Which group claims each old id: the one holding most of its fragments.
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for g, fs in members_of.items():
            for f in fs:
                if old_of[f]:
                    counts[old_of[f]][g] += 1
        claim: dict[str, str] = {}
        for old, by_group in counts.items():
            best = max(by_group.items(), key=lambda item: (item[1], [-ord(ch) for ch in item[0]]))
            claim[old] = best[0]
        customers: dict[str, Customer] = {}
        for old in counts:
            found = store.get_customer(old)
            if found is not None:
                customers[old] = found
        claimed: dict[str, list[str]] = defaultdict(list)
        for old, group in claim.items():
            if old in customers:
                claimed[group].append(old)
        rows = []
        for g in sorted(members_of):
            fs = members_of[g]
            mine = claimed.get(g, [])
            if mine:
                mine.sort(key=lambda o: (customers[o].created, o))
                cid = mine[0]
                for loser in mine[1:]:
                    store.put_customer(attrs.evolve(customers[loser], successor=cid))
                    store.add_event(Event("merge", cid, loser, "linked", now))
            else:
                cid = f"cus_{store.next_number('customer'):08d}"
                store.put_customer(Customer(cid, store.next_number("created")))
                store.add_event(Event("create", cid, "", "new", now))
                for old in sorted({old_of[f] for f in fs if old_of[f] in customers}):
                    store.add_event(Event("split", old, cid, "no longer linked", now))
            rows += [(f, c.cid, cid) for c in groups[g] for f in c.members]
        # Old ids with nothing left.
        for old in {s.customer for s in gone.values()} - set(claim):
            if old and not store.members(customer=old):
                store.add_event(Event("retire", old, "", "last fragment deleted", now))
        return rows


def fragment_row(fragment: Fragment, /) -> dict[str, str | None]:
    """A fragment as a normalised record (role -> value) for a model's comparisons: its
    attributes, and its first linkable e-mail and phone."""
    row: dict[str, str | None] = dict(fragment.attributes)
    for kind in ("email", "phone"):
        values = fragment.values(kind)
        row[kind] = values[0] if values else None
    return row


def score_pair(
    model: FellegiSunterModel, left: Fragment, right: Fragment, /
) -> list[tuple[str, float]]:
    """The model's match weight of two fragments as a waterfall: ``("prior", w)`` then one
    ``("<role>: <level>", w)`` per comparison (null comparisons add nothing and are left out).
    Term-frequency adjustments need a table and are not applied."""
    x, y = fragment_row(left), fragment_row(right)
    steps = [("prior", round(model.prior_weight, 4))]
    for cm in model.comparisons:
        g = reference_gamma(cm.comparison, x, y)
        if g < 0:
            continue
        label = cm.comparison.labels[g]
        weight = round(float(cm.log2_bayes_factors()[g]), 4)
        steps.append((f"{cm.comparison.role}: {label}", weight))
    return steps


def _root_in(inside: set[str]) -> Callable[[str], str]:
    """``root_of`` for two separate profiles: the second one's fragments share one root."""
    return lambda f: "" if f in inside else f


def _link_order(link: Link) -> tuple[float, str, str]:
    return (-link.weight, link.left, link.right)


def _name_of(comp: _Comp) -> str:
    return sorted(comp.full)[0] if comp.full else sorted(comp.firsts)[0]


def build_golden(
    customer_id: str,
    fragments: Sequence[Fragment],
    rules: Mapping[str, Survivorship],
    source_priority: Sequence[str] = ("crm", "webchat", "email", "facebook", "twitter"),
) -> GoldenRecord:
    """A golden record from ``fragments`` by survivorship rules (see :meth:`Resolver.golden`)."""
    values: dict[str, GoldenValue] = {}
    names = set(ATTRIBUTES) | set(rules)
    for name in sorted(names):
        found = [
            (f.attributes[name], f.fragment_id, f) for f in fragments if f.attributes.get(name)
        ]
        if not found:
            continue
        rule = rules.get(name, "most_frequent")
        chosen = _survive(rule, found, source_priority)
        if chosen is not None:
            values[name] = GoldenValue(*chosen)
    identifiers = {
        kind: tuple(sorted({v for f in fragments for v in f.values(kind)})) for kind in _ID_KINDS
    }
    return GoldenRecord(customer_id, tuple(f.fragment_id for f in fragments), values, identifiers)


def _survive(
    rule: Survivorship, found: list[tuple[str, str, Fragment]], priority: Sequence[str]
) -> tuple[str, str] | None:
    if callable(rule):
        return rule(found)
    if rule == "most_frequent":
        counts = Counter(v for v, _, _ in found)
        value = max(
            counts, key=lambda v: (counts[v], -min(i for i, x in enumerate(found) if x[0] == v))
        )
        return value, next(fid for v, fid, _ in found if v == value)
    if rule == "most_recent":
        v, fid, _ = max(found, key=lambda x: (x[2].observed_at or "", x[1]))
        return v, fid
    if rule == "longest":
        v, fid, _ = max(found, key=lambda x: (len(x[0]), x[1]))
        return v, fid
    if rule == "source_priority":
        rank = {c: i for i, c in enumerate(priority)}
        v, fid, _ = min(found, key=lambda x: (rank.get(x[2].channel, len(rank)), x[1]))
        return v, fid
    raise ConfigurationError(
        f"unknown survivorship rule {rule!r}; use most_recent, most_frequent, "
        "source_priority, longest or a callable"
    )


def golden_frame(records: Iterable[GoldenRecord], /) -> pd.DataFrame:
    """Golden records as a DataFrame: one row per customer, ``<attribute>_source`` columns
    naming the fragment each value came from, identifiers as JSON lists."""
    rows = []
    for record in records:
        row = record.to_dict()
        for kind in _ID_KINDS:
            row[f"{kind}s"] = json.dumps(row.get(f"{kind}s", []))
        rows.append(row)
    return pd.DataFrame(rows)
