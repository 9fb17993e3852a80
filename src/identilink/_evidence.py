"""Evidence links: customers that share no identifier, joined by name and attributes.

After identifier links one person is often several customers: a Facebook profile that gives
only a name, a work e-mail the CRM never saw, a caller from a new number. What ties them is a
name, and a name is only as good as it is rare. Pairs of customers are scored as Fellegi and
Sunter score record pairs, with the prior set by how common the name is:

- **prior**: how many *other* people share the name: ``λ = (N / k) · f(jane) · f(doe)``, the
  ``N`` customers giving a full name being ``N / k`` people (``k``: customers per person,
  measured with the rates below; counting customers as people made links under-confident).
  ``f`` is the share of customers' names with that given name, that surname; a first name
  that matches only through a typo uses the share of names that close, and so does a surname
  one slip from the other (``pirce``, ``pierce``: a letter inserted, dropped, replaced or two
  swapped), weighed by how often one person's two fragments give their surname so (measured
  like the given names: 2.3% of them on generated data); an account that gives
  only a first name joins through its username, ``janedo``, or the mailbox it writes from
  (``jane.doe@``, ``jdoe@``: the first name or its initial, then the start of the surname), so
  ``f(doe)`` becomes the share of surnames starting so; a caller-id name that
  gives the initial only, ``DOE J``, uses the share of given names with that initial.
  Against them stands how often one person has another customer of that
  name. Both come from how people show up here, measured on names so rare that each is one
  person's (no labels needed): the share ``h`` of people with no *anchor* (a customer with
  two or more e-mails and phones, a CRM contact say), the customers ``c`` such a person has, the
  customers without an anchor ``s`` and the further anchors ``d`` a person with one has. A
  person with an anchor is a visible candidate (a rival, below), so the strangers a customer
  might belong to unseen are the ``λ·h`` people without one. Prior odds, by how many of the
  two customers are anchors: none ``(c - 1) / (λ·h·c)``, one ``s / (λ·h·c)``, both
  ``d / (λ·(1 - h))``.
- **evidence**: street, city, state and date of birth agree or differ, each weighted by
  ``log(m / u)``: ``m`` measured on pairs of fragments the identifiers already joined (one
  person, so the measure needs no labels) and ``u`` on pairs of customers who share a surname
  but not a given name (strangers, yet a household shares a street: measured on random pairs,
  a shared street made two same-named relatives one person). Where the two do not both give
  a date of birth, a year stands in: of a date of birth, or two digits ending an e-mail's
  local part (``jane83@``; measured like the rest, so a number that is no year weighs what
  it turns out to weigh).
- **competition**: a customer's best candidate must also win against the others, each counted
  against it as much as it is likely someone else than the best (``q``: the probability, by
  the same score, that it is not the best one's person) and for it as much as it is likely
  the best one's person (another of that person's customers):
  probability ``(e^s + Σ (1 - q)·e^s') / (1 + e^s + Σ e^s')``, where the ``1`` stands for
  "this person has no other customer here". Counting the best one's kin for it (not only
  less against it) moved links given 0.8-0.9 from 93% right to 89%, links at 0.9 or more
  from 98.5% to 98.2%, and B-cubed recall at 0.9 from 0.922 to 0.925. A customer belongs to
  one person but a person may have many customers, so a link's probability is taken from
  the lesser customer's side (an account's, then a contact's, then an anchor's; of two alike,
  the lower way round): a customer that two anchors of its name each claim, but that cannot
  tell them apart, joins neither (else it would join them).

Links at or above the threshold are made best first, in rounds (a joined customer pools its
evidence for the next round), and never between customers giving different dates of birth.
A first version without the rates (prior odds ``1 / λ``) and with a "rare name: join all its
customers" step was overconfident: links it gave 0.9 were right about 75% of the time on
generated data, and B-cubed precision fell by 1-2.5 points.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import attrs
import numpy as np
from rapidfuzz.distance import OSA

from identilink.cluster import components
from identilink.errors import ConfigurationError
from identilink.fragments import Fragment
from identilink.normalize.names import SLIP_LENGTH, canonical_given_name, spelt_alike, tokens_close

__all__ = ["evidence_links"]

_ROUNDS = 2
_KINDS = ("account", "contact", "anchor")
_U_SAMPLE = 100_000  # same-surname customer pairs drawn for u-probabilities
_PREFIX = 3  # username index: first name + up to this many letters of the surname
_KIND_OF_LEVEL = ("address", "dob", "year")  # what each of _levels' answers is about
_YEAR_IN_ADDRESS = re.compile(r"[a-z](\d\d)$")  # jane83: two digits after a letter, at the end
_SHARE_BATCH = 1024  # names compared at once for their close-name shares
_RARE = 0.01  # expected other holders of a name below which its customers are one person


@attrs.define(slots=True)
class _Profile:
    """What a customer (a set of fragments) says about the person."""

    #: (canonical given name, given name as written, surname)
    names: set[tuple[str, str, str]] = attrs.field(factory=set)
    #: (canonical, as written) given names of fragments that give no surname
    firsts: set[tuple[str, str]] = attrs.field(factory=set)
    #: (initial, surname) of fragments that give only the given name's initial (``DOE J``)
    initials: set[tuple[str, str]] = attrs.field(factory=set)
    #: the letters of usernames and of e-mails' local parts (``jane.doe@`` -> ``janedoe``)
    handles: set[str] = attrs.field(factory=set)
    street: set[str] = attrs.field(factory=set)
    city: set[str] = attrs.field(factory=set)
    state: set[str] = attrs.field(factory=set)
    dob: set[str] = attrs.field(factory=set)
    #: e-mails and phones: two or more make the customer an *anchor* (a CRM contact, say)
    contacts: set[str] = attrs.field(factory=set)
    #: two-digit years: of a date of birth, or ending an e-mail's local part (``jane83@``)
    years: set[str] = attrs.field(factory=set)

    @property
    def anchor(self) -> bool:
        return len(self.contacts) >= 2

    @property
    def kind(self) -> str:
        """``anchor``, ``contact`` (one e-mail or phone) or ``account`` (neither)."""
        return _KINDS[min(len(self.contacts), 2)]

    def add(self, fragment: Fragment) -> None:
        a = fragment.attributes
        first, last = a.get("first_name"), a.get("last_name")
        if first and last and len(first) > 1 and len(last) > 1:
            self.names.add((canonical_given_name(first), first, last))
        elif first and last and len(last) > 1:
            self.initials.add((first, last))
        elif len(tokens := (a.get("full_name") or "").split()) == 1 and len(tokens[0]) > 1:
            self.firsts.add((canonical_given_name(tokens[0]), tokens[0]))
        for handle in fragment.values("handle"):
            self.handles.add("".join(c for c in handle.partition(":")[2] if c.isalpha()))
        for address in fragment.values("email"):
            self.handles.add("".join(c for c in address.partition("@")[0] if c.isalpha()))
        for field in ("street", "city", "state", "dob"):
            if value := a.get(field):
                getattr(self, field).add(value)
        self.contacts.update(fragment.values("email"), fragment.values("phone"))
        if dob := a.get("dob"):
            self.years.add(dob[2:4])
        for address in fragment.values("email"):
            if found := _YEAR_IN_ADDRESS.search(address.partition("@")[0]):
                self.years.add(found.group(1))

    def update(self, other: _Profile) -> None:
        for field in attrs.fields(_Profile):
            getattr(self, field.name).update(getattr(other, field.name))


def _levels(a: _Profile, b: _Profile) -> tuple[str | None, str | None, str | None]:
    """(address level, date-of-birth level, year level); ``None`` where either side says
    nothing. The year level (a year of birth or an e-mail's ``jane83@``) stands only where
    the two do not both give a date of birth, which says it all."""
    if a.street & b.street:
        address: str | None = "street"
    elif a.city & b.city:
        address = "city"
    elif a.city and b.city:
        address = "city differs"
    elif a.state & b.state:
        address = "state"
    elif a.state and b.state:
        address = "state differs"
    else:
        address = None
    dob = ("dob" if a.dob & b.dob else "dob differs") if a.dob and b.dob else None
    year = None
    if dob is None and a.years and b.years:
        year = "year" if a.years & b.years else "year differs"
    return address, dob, year


def _rests(handle: str, canonical: str, raw: str) -> set[str]:
    """What a username adds after the given name or its initial (``janedo``, ``jdoe`` ->
    ``do``, ``doe``), if it starts so."""
    rests = {
        handle[len(first) :]
        for first in (canonical, raw)
        if handle.startswith(first) and len(handle) > len(first)
    }
    if len(handle) > 3 and handle[0] in (canonical[0], raw[0]):
        rests.add(handle[1:])  # jdoe: the initial, then the surname
    return rests


_close = functools.lru_cache(maxsize=1 << 16)(tokens_close)


@attrs.define
class _Model:
    """What the stage measured: name shares, how often one person's given names differ or
    come close, attribute weights ``log(m/u)`` and (set after) the rates."""

    named: int  # customers giving a full name
    first_share: dict[str, float]
    initial_share: dict[str, float]
    last_share: dict[str, float]
    prefix_share: dict[str, float]
    exact_m: float
    fuzzy_m: float
    #: one person's two fragments giving one surname, or two one slip apart (``pirce``)
    last_m: float
    last_slip_m: float
    #: surnames one slip from each surname given (see :func:`_slips`)
    slips: dict[str, set[str]]
    weights: dict[str, float]
    rates: _Rates = attrs.field(init=False)
    _close_memo: dict[str, float] = attrs.field(factory=dict, init=False)
    _names: list[str] | None = attrs.field(default=None, init=False)
    _shares: np.ndarray = attrs.field(factory=lambda: np.zeros(0), init=False)

    def evidence(self, a: _Profile, b: _Profile) -> tuple[float, list[str]]:
        total, said = 0.0, []
        for level in _levels(a, b):
            if level is not None and level in self.weights:
                total += self.weights[level]
                said.append(level)
        return total, said

    def given(self, ca: str, ra: str, cb: str, rb: str) -> tuple[float, float] | None:
        """(chance that a random person's given name matches so, chance that one person's
        two fragments do) for two given names, or ``None`` when they cannot be one."""
        if ca == cb:
            return self.first_share.get(ca, 0.0), self.exact_m
        if _close(ra, rb) or _close(ca, cb):
            return max(self.close_share(ca), self.close_share(cb)), self.fuzzy_m
        return None

    def surname(self, la: str, lb: str) -> tuple[float, float] | None:
        """(chance that a random person's surname matches so, chance that one person's two
        fragments do) for two surnames: the same, or one slip apart; else ``None``."""
        if la == lb:
            return self.last_share.get(la, 0.0), self.last_m
        if lb in self.slips.get(la, ()):
            # a stranger comes this close with any surname a slip from either
            share = max(
                sum(self.last_share.get(x, 0.0) for x in self.slips[name]) for name in (la, lb)
            )
            return share, self.last_slip_m
        return None

    def close_share(self, name: str) -> float:
        """The share of given names close to ``name`` but not it (``blanca`` for ``blannca``):
        how often a stranger's name would come this close."""
        if self._names is None:  # every name's at once: 4x cheaper a name than one by one
            self._names = sorted(self.first_share)
            self._shares = np.array([self.first_share[n] for n in self._names])
            for start in range(0, len(self._names), _SHARE_BATCH):
                self._close_shares(self._names[start : start + _SHARE_BATCH])
        if name not in self._close_memo:  # a name no customer gives with a surname
            self._close_shares([name])
        return self._close_memo[name]

    def _close_shares(self, names: list[str]) -> None:
        assert self._names is not None
        totals = spelt_alike(names, self._names).astype(np.float64) @ self._shares
        for name, total in zip(names, totals.tolist(), strict=True):
            self._close_memo[name] = max(total - self.first_share.get(name, 0.0), 0.0)

    def prior(self, first_share: float, last_share: float, a: str, b: str) -> float:
        """Log prior odds that two customers of kinds ``a`` and ``b`` giving a name (given-name
        and surname shares) are one person (see the module docstring)."""
        r = self.rates
        others = max(self.named / r.per_person * first_share * last_share, 1e-12)
        if a == b == "anchor":
            return math.log(r.twins / (others * (1.0 - r.hidden)))
        if b != "anchor":
            a, b = b, a  # now b is the anchor, if either is
        if b == "anchor":
            same = r.satellites[a]
        else:  # neither: the smaller of the two ways round
            same = min(r.alone[a] - (a == b), r.alone[b] - (a == b))
            a = a if r.alone[a] >= r.alone[b] else b
        return math.log(max(same, 1e-3) / (others * r.hidden * max(r.alone[a], 1e-3)))

    def score(self, a: _Profile, b: _Profile) -> tuple[float, str] | None:
        """Log odds that two customers are one person, and the name it rests on."""
        best: tuple[float, str] | None = None
        kinds = a.kind, b.kind
        for ca, ra, la in a.names:
            for cb, rb, lb in b.names:
                if (surname := self.surname(la, lb)) is None:
                    continue
                if (given := self.given(ca, ra, cb, rb)) is None:
                    continue
                prior = self.prior(given[0], surname[0], *kinds)
                name = f"{ca} {la}" if la == lb else f"{ca} {la} as {lb}"
                candidate = (prior + math.log(given[1]) + math.log(surname[1]), name)
                best = candidate if best is None else max(best, candidate)
        for one, other in ((a, b), (b, a)):
            for initial, li in one.initials:
                for cb, rb, lb in other.names:
                    if lb == li and initial in (cb[0], rb[0]):
                        share = self.initial_share.get(initial, 0.0)
                        prior = self.prior(share, self.last_share.get(lb, 0.0), *kinds)
                        # one person's two fragments: the initial is kept unless mistyped
                        score = prior + math.log(self.exact_m + self.fuzzy_m)
                        candidate = (score, f"{cb} {lb} as {initial} {lb}")
                        best = candidate if best is None else max(best, candidate)
            for cf, rf in one.firsts:
                for handle in one.handles:
                    for rest in _rests(handle, cf, rf):
                        for cb, rb, lb in other.names:
                            if not lb.startswith(rest):
                                continue
                            if (given := self.given(cf, rf, cb, rb)) is None:
                                continue
                            share = self.prefix_share.get(rest, 0.0)
                            prior = self.prior(given[0], share, *kinds)
                            score = prior + math.log(given[1])
                            candidate = (score, f"{cb} {lb} as @{handle}")
                            best = candidate if best is None else max(best, candidate)
        if best is None:
            return None
        weight, said = self.evidence(a, b)
        return best[0] + weight, "; ".join([best[1], *said])


def _slips(lasts: Iterable[str]) -> dict[str, set[str]]:
    """For each surname the others one slip from it (a letter inserted, dropped, replaced or
    two swapped: ``pirce``, ``pierce``), both of ``SLIP_LENGTH`` letters or more. Two such
    names share a spelling with one letter dropped (or one is the other with one dropped),
    so only names sharing one are compared."""
    by_variant: dict[str, list[str]] = defaultdict(list)
    for last in lasts:
        if len(last) >= SLIP_LENGTH:
            by_variant[last].append(last)
            for k in range(len(last)):
                by_variant[last[:k] + last[k + 1 :]].append(last)
    slips: dict[str, set[str]] = defaultdict(set)
    for names in by_variant.values():
        for x, y in itertools.combinations(sorted(set(names)), 2):
            if y not in slips[x] and OSA.distance(x, y, score_cutoff=1) <= 1:
                slips[x].add(y)
                slips[y].add(x)
    return dict(slips)


def _measure(
    fragments: Sequence[Fragment],
    members: dict[int, list[int]],
    profiles: dict[int, _Profile],
    seed: int,
) -> _Model:
    names = Counter[tuple[str, str]]()
    for p in profiles.values():
        names.update({(c, last) for c, _, last in p.names})
    total = sum(names.values())
    firsts: Counter[str] = Counter()
    lasts: Counter[str] = Counter()
    for (first, last), n in names.items():
        firsts[first] += n
        lasts[last] += n
    initials: Counter[str] = Counter()
    for first, n in firsts.items():
        initials[first[0]] += n
    prefixes: Counter[str] = Counter()
    for last, n in lasts.items():
        for k in range(1, len(last) + 1):
            prefixes[last[:k]] += n

    def share(counts: Counter[str]) -> dict[str, float]:
        return {k: v / total for k, v in counts.items()} if total else {}

    # m: consecutive fragments of one customer (the identifiers joined them: one person)
    m_counts: Counter[str] = Counter()
    m_seen: Counter[str] = Counter()
    slips = _slips(lasts)
    same = fuzzy = apart = last_same = last_slip = last_apart = 0
    for idx in members.values():
        for x, y in itertools.pairwise(idx):
            if not fragments[x].attributes or not fragments[y].attributes:
                continue
            px, py = _Profile(), _Profile()
            px.add(fragments[x])
            py.add(fragments[y])
            for kind, level in zip(_KIND_OF_LEVEL, _levels(px, py), strict=True):
                if level is not None:
                    m_counts[level] += 1
                    m_seen[kind] += 1
            for cx, rx, lx in px.names:
                for cy, ry, ly in py.names:
                    if cx == cy:  # how one person's surname is given twice
                        last_same += lx == ly
                        last_slip += ly in slips.get(lx, ())
                        last_apart += lx != ly and ly not in slips.get(lx, ())
                    if lx == ly:
                        close = cx != cy and (_close(rx, ry) or _close(cx, cy))
                        same += cx == cy
                        fuzzy += close
                        apart += cx != cy and not close
    # u: pairs of customers of one surname whose given names differ (strangers, then, but
    # with the surname's correlations: a household shares a street, a family a city);
    # a candidate pair always shares the surname, so its u must be measured given that
    by_last: dict[str, list[int]] = defaultdict(list)
    for key, p in profiles.items():
        for last in {last for _, _, last in p.names}:
            by_last[last].append(key)
    holders = sorted((last, key) for last, keys in by_last.items() if len(keys) > 1 for key in keys)
    u_counts: Counter[str] = Counter()
    u_seen: Counter[str] = Counter()
    if holders:
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, len(holders), _U_SAMPLE).tolist()
        others = rng.random(_U_SAMPLE).tolist()
        for pick, other in zip(picks, others, strict=True):
            last, a = holders[pick]
            b = by_last[last][int(other * len(by_last[last]))]
            pa, pb = profiles[a], profiles[b]
            if a == b or any(
                ca == cb or _close(ra, rb)
                for ca, ra, la in pa.names
                for cb, rb, lb in pb.names
                if la == lb == last
            ):
                continue
            for kind, level in zip(_KIND_OF_LEVEL, _levels(pa, pb), strict=True):
                if level is not None:
                    u_counts[level] += 1
                    u_seen[kind] += 1
    kinds = {"street": "address", "city": "address", "city differs": "address"}
    kinds |= {"state": "address", "state differs": "address", "dob": "dob", "dob differs": "dob"}
    kinds |= {"year": "year", "year differs": "year"}
    weights = {}
    for level, kind in kinds.items():
        m = (m_counts[level] + 0.5) / (m_seen[kind] + 1)
        u = (u_counts[level] + 0.5) / (u_seen[kind] + 1)
        weights[level] = math.log(m / u)
    return _Model(
        named=sum(1 for p in profiles.values() if p.names),
        first_share=share(firsts),
        initial_share=share(initials),
        last_share=share(lasts),
        prefix_share=share(prefixes),
        exact_m=(same + 0.5) / (same + fuzzy + apart + 1),
        fuzzy_m=(fuzzy + 0.5) / (same + fuzzy + apart + 1),
        # one pseudo-pair, 98% same: a slip counts as rare until pairs say otherwise (an even
        # split, as for given names, let slips rival exact names where nothing is measured)
        last_m=(last_same + 0.98) / (last_same + last_slip + last_apart + 1),
        last_slip_m=(last_slip + 0.02) / (last_same + last_slip + last_apart + 1),
        slips=slips,
        weights=weights,
    )


@attrs.frozen
class _Rates:
    """How people show up as customers (see the module docstring)."""

    hidden: float  # h: the share of people with no anchor
    alone: dict[str, float]  # c: customers of each kind of a person with no anchor
    satellites: dict[str, float]  # s: customers of each kind of a person with an anchor
    twins: float  # d: further anchors of a person with one
    per_person: float  # customers giving a full name, per person


def _rates(model: _Model, profiles: dict[int, _Profile]) -> _Rates:
    """The rates, measured on names so rare (fewer than ``_RARE`` other holders expected)
    that their customers are one person. Spellings close to a rare name (a typo of the given
    name, ``jrery`` beside ``jerry``, or of the surname, ``wison`` beside ``wilson``) are that
    person too: counted apart, one person's customers split by a typo would count as two
    people, an anchor without satellites and satellites without one (measured on generated
    data that halved the satellites and made the rates' links under-confident). A name close
    to a common one is left out, as the common one is."""
    groups: dict[tuple[str, str], set[int]] = defaultdict(set)
    written: dict[tuple[str, str], set[str]] = defaultdict(set)
    for key, p in profiles.items():
        for canonical, raw, last in p.names:
            groups[(canonical, last)].add(key)
            written[(canonical, last)].add(raw)
    names = list(groups)
    left: list[int] = []  # pairs of names that are one person's spellings
    right: list[int] = []

    def rare(name: tuple[str, str]) -> bool:
        first, last = name
        return model.named * model.first_share[first] * model.last_share[last] < _RARE

    by_last: dict[str, list[int]] = defaultdict(list)
    near_last: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (first, last) in enumerate(names):
        by_last[last].append(i)
        for k in range(len(last)):  # surnames one edit apart share a one-deletion variant
            near_last[(first, last[:k] + last[k + 1 :])].append(i)
        near_last[(first, last)].append(i)
    for one_edit in near_last.values():
        left += [one_edit[0]] * (len(one_edit) - 1)
        right += one_edit[1:]
    for same_last in by_last.values():
        rare_ones = {i for i in same_last if rare(names[i])}
        if not rare_ones or len(same_last) < 2:
            continue
        # a rare name's spellings (canonical and as written) against every one of the surname
        spellings = [(form, j) for j in same_last for form in {names[j][0], *written[names[j]]}]
        queries = [(form, i) for form, i in spellings if i in rare_ones]
        alike = spelt_alike([form for form, _ in queries], [form for form, _ in spellings])
        for q, c in zip(*np.nonzero(alike), strict=True):
            left.append(queries[q][1])
            right.append(spellings[c][1])
    person = components(len(names), np.array(left, dtype=np.int64), np.array(right, dtype=np.int64))
    people_of: dict[int, set[int]] = defaultdict(set)
    common: set[int] = set()
    for name, root in zip(names, person.tolist(), strict=True):
        people_of[root].update(groups[name])
        if not rare(name):
            common.add(root)
    people = hidden = twins = customers = 0
    alone: Counter[str] = Counter()
    satellites: Counter[str] = Counter()
    for root, holders in people_of.items():
        if root in common:
            continue
        kinds = Counter(profiles[h].kind for h in holders)
        people += 1
        customers += len(holders)
        if kinds["anchor"]:
            satellites.update(kinds)
            twins += kinds["anchor"] - 1
        else:
            hidden += 1
            alone.update(kinds)
    anchored = people - hidden
    return _Rates(
        hidden=(hidden + 0.5) / (people + 1),
        alone={k: (alone[k] + 0.5) / (hidden + 1) for k in _KINDS},
        satellites={k: (satellites[k] + 0.5) / (anchored + 1) for k in _KINDS},
        twins=(twins + 0.5) / (anchored + 1),
        per_person=(customers + 1) / (people + 1),
    )


def _candidates(profiles: dict[int, _Profile], slips: dict[str, set[str]]) -> set[tuple[int, int]]:
    """Pairs of customers that might share a name: same surname, or surnames one slip apart
    (``slips``), and given-name initial; or a first-name-only account whose username starts
    a surname of someone of that first name."""
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_prefix: dict[tuple[str, str], list[int]] = defaultdict(list)
    for key, p in profiles.items():
        seen: set[tuple[str, str]] = set()
        for canonical, raw, last in p.names:
            seen.update({(last, canonical[0]), (last, raw[0])})
            for k in range(1, min(_PREFIX, len(last)) + 1):
                by_prefix[(canonical, last[:k])].append(key)
        seen.update((last, initial) for initial, last in p.initials)
        for block in seen:
            blocks[block].append(key)
    pairs: set[tuple[int, int]] = set()
    for holders in blocks.values():
        for i, a in enumerate(holders):
            for b in holders[i + 1 :]:
                pairs.add((a, b) if a < b else (b, a))
    for (last, initial), holders in blocks.items():
        for other in slips.get(last, ()):
            if other > last:  # each pair of surnames once
                for a in holders:
                    for b in blocks.get((other, initial), ()):
                        if a != b:
                            pairs.add((a, b) if a < b else (b, a))
    for key, p in profiles.items():
        for canonical, raw in p.firsts:
            for handle in p.handles:
                for rest in _rests(handle, canonical, raw):
                    for b in by_prefix.get((canonical, rest[:_PREFIX]), ()):
                        if b != key:
                            pairs.add((key, b) if key < b else (b, key))
    return pairs


Scores = dict[int, dict[int, tuple[float, str]]]


def _probability(scores: Scores, a: int, b: int) -> float:
    """That ``a`` is ``b``'s person, against ``a``'s other candidates: each counts for the
    link as much as it is likely ``b``'s person too, and against it as much as it is likely
    someone else."""
    odds = math.exp(min(scores[a][b][0], 50.0))
    kin_odds = rivals = 0.0
    for other, (s_other, _) in scores[a].items():
        if other != b:
            kin = scores[b].get(other)
            apart = 1.0 if kin is None else 1.0 / (1.0 + math.exp(min(kin[0], 50.0)))
            weight = math.exp(min(s_other, 50.0))
            rivals += weight * apart
            kin_odds += weight * (1.0 - apart)
    return (odds + kin_odds) / (1.0 + odds + kin_odds + rivals)


def _customers(fragments: Sequence[Fragment], labels: np.ndarray) -> dict[int, _Profile]:
    """Profiles of the customers (``labels``) that give a name."""
    profiles: dict[int, _Profile] = {}
    for fragment, label in zip(fragments, labels.tolist(), strict=True):
        if fragment.identifiers or fragment.attributes:
            profile = profiles.get(label)
            if profile is None:
                profiles[label] = profile = _Profile()
            profile.add(fragment)
    return {label: p for label, p in profiles.items() if p.names or p.firsts or p.initials}


def evidence_links(
    fragments: Sequence[Fragment],
    labels: np.ndarray,
    /,
    *,
    threshold: float = 0.9,
    seed: int = 0,
    before: np.ndarray | None = None,
) -> list[tuple[int, int, str]]:
    """Links (fragment, fragment, why) joining customers (``labels``) by name evidence.

    ``threshold`` is the probability a link needs (see the module docstring). ``before``:
    the customers the identifiers alone make, when ``labels`` also holds earlier name links;
    the rates are measured on those (a name step that already joined the rare names' customers
    would leave too few to count).
    """
    if not 0.0 < threshold < 1.0:
        raise ConfigurationError(f"threshold must lie strictly between 0 and 1, not {threshold}")
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        members[label].append(i)
    base = _customers(fragments, labels)
    if len(base) < 2:
        return []
    model = _measure(fragments, members, base, seed)
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    links: list[tuple[int, int, str]] = []

    def join(a: int, b: int, why: str) -> bool:
        ra, rb = find(a), find(b)
        if ra == rb:
            return False
        pa, pb = merged[ra], merged[rb]
        if pa.dob and pb.dob and not pa.dob & pb.dob:
            return False
        parent[max(ra, rb)] = min(ra, rb)
        merged[min(ra, rb)] = _Profile()
        merged[min(ra, rb)].update(pa)
        merged[min(ra, rb)].update(pb)
        links.append((members[a][0], members[b][0], why))
        return True

    merged = dict(base)
    model.rates = _rates(model, base if before is None else _customers(fragments, before))
    floor = math.log(threshold / (1 - threshold))
    for _ in range(_ROUNDS):
        profiles = {label: p for label, p in merged.items() if find(label) == label}
        scores: Scores = defaultdict(dict)
        for a, b in _candidates(profiles, model.slips):
            scored = model.score(profiles[a], profiles[b])
            if scored is not None:
                scores[a][b] = scores[b][a] = scored

        proposals = []
        for a, options in scores.items():
            best, (s, why) = max(options.items(), key=lambda kv: (kv[1][0], -kv[0]))
            if s < floor:
                continue
            # a customer belongs to one person, while a person may have many customers: the
            # probability is the lesser customer's (an account's before a contact's before an
            # anchor's), else the lower of the two ways round; so a customer that two anchors
            # of its name each claim, but that cannot tell them apart, joins neither
            rank_a, rank_b = _KINDS.index(profiles[a].kind), _KINDS.index(profiles[best].kind)
            if rank_a < rank_b:
                p = _probability(scores, a, best)
            elif rank_a > rank_b:
                p = _probability(scores, best, a)
            else:
                p = min(_probability(scores, a, best), _probability(scores, best, a))
            if p >= threshold:
                proposals.append((p, min(a, best), max(a, best), why))
        made = 0
        for probability, a, b, why in sorted(proposals, key=lambda t: (-t[0], t[1], t[2])):
            made += join(a, b, f"{why} (p={probability:.3f})")
        if not made:
            break
    return links
