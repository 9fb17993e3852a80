"""Fragments into customers: identifier links guarded by names, then connected components.

Two fragments are linked when they share a normalised identifier (e-mail, phone, handle or
platform user id) that is

- not a placeholder (``Identifier.blocked``, from the blocklist), and
- not *shared*: a value whose holders give names that cannot be one person (``Jane Doe`` and
  ``John Doe`` on one landline, hundreds of names on a switchboard) is shared, and it links
  no one. Names are compared token by token, forgiving nicknames, typos and initials.

Customers are the connected components of those links; the customer id is the id of the
customer's first fragment in input order. Every shared value is reported with its holders'
names, so a steward can see why it was not used.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

import attrs
import numpy as np
import pandas as pd

from identilink._evidence import evidence_links
from identilink._gc import collector_paused
from identilink.cluster import components
from identilink.fragments import Fragment
from identilink.normalize.names import canonical_given_name, tokens_close

__all__ = ["FragmentResolution", "name_signature", "names_compatible", "resolve_fragments"]

_MAX_SIGNATURES = 50  # a value held under more distinct names than this is shared outright


def name_signature(fragment: Fragment, /) -> frozenset[str]:
    """The name tokens a fragment gives, nicknames made canonical (empty when it gives none)."""
    attrs_ = fragment.attributes
    text = attrs_.get("full_name") or " ".join(
        t for t in (attrs_.get("first_name"), attrs_.get("last_name")) if t
    )
    return frozenset(canonical_given_name(t) for t in text.split() if t)


def names_compatible(a: frozenset[str], b: frozenset[str], /) -> bool:
    """Could two name signatures be one person? Every token of the shorter must match one
    token of the longer (equal after nicknames, Jaro-Winkler >= 0.88, or an initial); of two
    as long, each of either (so the answer does not depend on the order of the two)."""
    if not a or not b:
        return True

    def covered(short: frozenset[str], long: frozenset[str]) -> bool:
        return all(any(tokens_close(s, t) for t in long) for s in short)

    if len(a) == len(b):
        return covered(a, b) and covered(b, a)
    return covered(a, b) if len(a) < len(b) else covered(b, a)


def _conflicting(signatures: set[frozenset[str]]) -> tuple[frozenset[str], frozenset[str]] | None:
    """Two of the names that cannot be one person, or ``None`` when every two can.

    Pairwise on purpose: a holder added later can only add a conflict, never take one away,
    which the incremental resolver relies on (a value once shared stays so until a holder
    goes). Two slips of one name too far apart to compare (``rhoonda``, ``ruonda``) are a
    conflict even beside the ``rhonda`` they both came from."""
    named = [s for s in signatures if s]
    if len(named) > _MAX_SIGNATURES:
        return named[0], named[1]
    for i, a in enumerate(named):
        for b in named[i + 1 :]:
            if not names_compatible(a, b):
                return a, b
    return None


@attrs.frozen
class FragmentResolution:
    """Customers found among fragments.

    - ``clusters``: ``fragment_id, customer_id, channel``.
    - ``links``: ``left, right, kind, value``: the identifier each link rests on.
    - ``shared``: values that linked no one, with why (``blocked`` or ``shared``) and names.
    - ``golden``: one row per customer: names, identifiers, channels, fragment count.
    """

    clusters: pd.DataFrame
    links: pd.DataFrame
    shared: pd.DataFrame
    golden: pd.DataFrame


def resolve_fragments(
    fragments: Sequence[Fragment], /, *, evidence: bool = True, threshold: float = 0.9
) -> FragmentResolution:
    """Link fragments through the identifiers they share (see the module docstring), then,
    with ``evidence``, customers that share none through their names and attributes when the
    probability that they are one person reaches ``threshold`` (see ``identilink._evidence``)."""
    with collector_paused():
        return _resolve(fragments, evidence, threshold)


def _resolve(fragments: Sequence[Fragment], evidence: bool, threshold: float) -> FragmentResolution:
    n = len(fragments)
    signatures = [name_signature(f) for f in fragments]
    holders: dict[tuple[str, str], list[int]] = defaultdict(list)
    blocked: dict[tuple[str, str], str] = {}
    blocked_count: dict[tuple[str, str], int] = defaultdict(int)
    for i, fragment in enumerate(fragments):
        for ident in fragment.identifiers:
            key = (ident.kind, ident.value)
            if ident.blocked:
                blocked[key] = ident.blocked
                blocked_count[key] += 1
                continue
            members = holders[key]
            if not members or members[-1] != i:
                members.append(i)
    left: list[int] = []
    right: list[int] = []
    link_kind: list[str] = []
    link_value: list[str] = []
    shared_rows = []
    for (kind, value), members in holders.items():
        if len(members) < 2:
            continue
        conflict = _conflicting({signatures[i] for i in members})
        if conflict is not None:
            shared_rows.append(
                {
                    "kind": kind,
                    "value": value,
                    "reason": "shared by different names",
                    "fragments": len(members),
                    "example_names": json.dumps([" ".join(sorted(c)) for c in conflict]),
                }
            )
            continue
        first = members[0]
        for other in members[1:]:  # a star is enough for connectivity
            left.append(first)
            right.append(other)
            link_kind.append(kind)
            link_value.append(value)
    for (kind, value), reason in blocked.items():
        shared_rows.append(
            {
                "kind": kind,
                "value": value,
                "reason": f"blocked: {reason}",
                "fragments": blocked_count[(kind, value)],
                "example_names": "[]",
            }
        )
    labels = by_identifiers = components(
        n, np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    )
    for x, y in _name_links(fragments, labels):
        left.append(x)
        right.append(y)
        link_kind.append("name")
        link_value.append(" ".join(_full_name(fragments[x]) or ()))
    if evidence:
        labels = components(n, np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64))
        found = evidence_links(fragments, labels, threshold=threshold, before=by_identifiers)
        for x, y, why in found:
            left.append(x)
            right.append(y)
            link_kind.append("evidence")
            link_value.append(why)
    a = np.asarray(left, dtype=np.int64)
    b = np.asarray(right, dtype=np.int64)
    labels = components(n, a, b)
    ids = np.array([f.fragment_id for f in fragments], dtype=object)
    first_of = np.unique(labels, return_index=True)[1]
    customer = ids[first_of][labels] if n else np.array([], dtype=object)
    clusters = pd.DataFrame(
        {
            "fragment_id": ids,
            "customer_id": customer,
            "channel": [f.channel for f in fragments],
        }
    )
    links = pd.DataFrame(
        {
            "left": ids[a] if n else [],
            "right": ids[b] if n else [],
            "kind": link_kind,
            "value": link_value,
        }
    )
    shared = pd.DataFrame(
        shared_rows, columns=["kind", "value", "reason", "fragments", "example_names"]
    )
    return FragmentResolution(clusters, links, shared, _golden(fragments, labels, ids[first_of]))


def _full_name(fragment: Fragment) -> tuple[str, str] | None:
    """(canonical first name, last name) when the fragment gives both."""
    first = fragment.attributes.get("first_name")
    last = fragment.attributes.get("last_name")
    if not first or not last or len(first) < 2 or len(last) < 2:
        return None
    return canonical_given_name(first), last


def _handle_fits(handle: str, first: str, last: str) -> bool:
    """Is a username built from this name? ``janedoe``, ``jane_d``, ``jdoe``, ``jane.doe84``:
    the first name then a prefix of the last name, or the initial then 3+ letters of it."""
    letters = "".join(c for c in handle if c.isalpha())
    if letters.startswith(first) and len(letters) > len(first):
        return last.startswith(letters[len(first) :])
    rest = letters[1:]
    return letters[:1] == first[:1] and len(rest) >= 3 and last.startswith(rest)


def _name_links(fragments: Sequence[Fragment], labels: np.ndarray) -> list[tuple[int, int]]:
    """Links by name from *account-only* customers to the one *anchor* the name fits.

    An anchor is a customer already tied to two or more e-mails or phones (a CRM contact, say).
    An account-only customer (a Twitter or Facebook account with no e-mail or phone) links to
    the anchor when exactly one anchor holds its full name, or, for an account that gives only
    a first name, when exactly one anchor of that first name has a last name its username is
    built from (``janedoe``, ``jdoe``). Anything matching two or more anchors is ambiguous and
    links nothing. Callers and senders with an e-mail or phone of their own are not linked by
    name: measured on generated data, same-name strangers made a third of those links wrong.
    """
    contacts: dict[int, set[str]] = defaultdict(set)
    names: dict[int, set[tuple[str, str]]] = defaultdict(set)
    firsts: dict[int, set[str]] = defaultdict(set)
    handles: dict[int, set[str]] = defaultdict(set)
    first_fragment: dict[int, int] = {}
    for i, fragment in enumerate(fragments):
        label = int(labels[i])
        first_fragment.setdefault(label, i)
        contacts[label].update(fragment.values("email"), fragment.values("phone"))
        handles[label].update(h.partition(":")[2] for h in fragment.values("handle"))
        name = _full_name(fragment)
        if name is not None:
            names[label].add(name)
        elif len(tokens := (fragment.attributes.get("full_name") or "").split()) == 1:
            firsts[label].add(canonical_given_name(tokens[0]))
    anchors = {label for label, values in contacts.items() if len(values) >= 2}
    holders: dict[tuple[str, str], set[int]] = defaultdict(set)
    by_first: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for label in anchors:
        for name in names.get(label, ()):
            holders[name].add(label)
            by_first[name[0]].append((label, *name))
    links = []
    for label in set(names) | set(firsts):
        if contacts[label]:  # has an e-mail or phone of its own: identifiers decide
            continue
        targets = {t for name in names.get(label, ()) for t in holders.get(name, ())}
        if not targets and handles[label]:
            targets = {
                anchor
                for first in firsts[label]
                for anchor, _, last in by_first.get(first, ())
                if any(_handle_fits(h, first, last) for h in handles[label])
            }
        if len(targets) == 1:
            links.append((first_fragment[label], first_fragment[targets.pop()]))
    return links


def _most_frequent(values: Iterable[str]) -> str | None:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return max(counts, key=lambda v: counts[v]) if counts else None


def _golden(
    fragments: Sequence[Fragment], labels: np.ndarray, customer_ids: np.ndarray
) -> pd.DataFrame:
    """Per customer: most frequent value of each attribute; every linkable identifier."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        members[label].append(i)
    rows = []
    for label, idx in sorted(members.items()):
        group = [fragments[i] for i in idx]
        row: dict[str, object] = {
            "customer_id": customer_ids[label],
            "n_fragments": len(group),
            "channels": ",".join(sorted({f.channel for f in group})),
        }
        for name in ("first_name", "last_name", "dob", "street", "city", "postcode"):
            row[name] = _most_frequent(f.attributes[name] for f in group if name in f.attributes)
        for kind in ("email", "phone", "handle", "user_id"):
            values = sorted({v for f in group for v in f.values(kind)})
            row[f"{kind}s"] = json.dumps(values)
        rows.append(row)
    return pd.DataFrame(rows)
