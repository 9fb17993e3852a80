"""Given names: a nickname table mapping common short forms to one canonical name, and when
two name tokens can be one name spelt two ways."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

__all__ = [
    "CLOSE",
    "NICKNAMES",
    "SLIP_LENGTH",
    "VARIANTS",
    "canonical_given_name",
    "spelt_alike",
    "tokens_close",
]

#: Jaro-Winkler similarity at which two name tokens count as one spelt two ways
CLOSE = 0.88
#: letters both tokens need before one slip (Damerau-Levenshtein distance 1) makes them alike
SLIP_LENGTH = 4

_GROUPS = {
    "robert": "bob bobby rob robbie bert",
    "william": "bill billy will willy liam",
    "elizabeth": "liz lizzie beth betty eliza libby",
    "james": "jim jimmy jamie",
    "michael": "mike mikey mick",
    "jennifer": "jen jenny",
    "christopher": "chris kit",
    "margaret": "peggy maggie meg",
    "richard": "rick ricky dick rich",
    "joseph": "joe joey",
    "thomas": "tom tommy",
    "daniel": "dan danny",
    "matthew": "matt",
    "anthony": "tony",
    "katherine": "kate katie kathy kat",
    "catherine": "cathy cat",
    "patricia": "pat patty trish",
    "jessica": "jess jessie",
    "samantha": "sam sammy",
    "benjamin": "ben benny",
    "alexander": "alex xander",
    "nicholas": "nick nicky",
    "kimberly": "kim",
    "rebecca": "becky becca",
    "deborah": "debbie deb",
    "edward": "ed eddie ted",
    "timothy": "tim timmy",
    "andrew": "andy drew",
    "stephanie": "steph",
    "steven": "steve",
    "stephen": "steve",
    "jonathan": "jon",
    "john": "jack johnny",
    "charles": "charlie chuck",
    "david": "dave davey",
    "susan": "sue susie",
    "barbara": "barb babs",
    "kenneth": "ken kenny",
    "donald": "don donnie",
    "ronald": "ron ronnie",
    "gregory": "greg",
    "lawrence": "larry",
    "victoria": "vicky tori",
    "abigail": "abby",
    "zachary": "zach zack",
    "nathan": "nate",
    "samuel": "sam",
    "joshua": "josh",
    "pamela": "pam",
    "cynthia": "cindy",
    "christine": "chris chrissy",
    "douglas": "doug",
    "gerald": "jerry",
    "frances": "fran",
    "raymond": "ray",
    "theresa": "terry tess",
    "judith": "judy",
    "kathleen": "kathy",
    "madison": "maddie",
    "sophia": "sophie",
    "isabella": "bella izzy",
    "alexis": "lexi",
    "philip": "phil",
    "eugene": "gene",
    "albert": "al bert",
    "vincent": "vince vinny",
    "walter": "walt",
    "frederick": "fred freddie",
    "harold": "harry hal",
    "henry": "hank harry",
}
#: canonical given name -> its usual short forms, most common first
VARIANTS: dict[str, tuple[str, ...]] = {name: tuple(v.split()) for name, v in _GROUPS.items()}
#: nickname -> canonical given name (several canonical names share "sam", "chris", "steve"...;
#: the first listed wins, which is enough to make variants compare equal)
NICKNAMES: dict[str, str] = {}
for _canonical, _variants in _GROUPS.items():
    for _nick in _variants.split():
        NICKNAMES.setdefault(_nick, _canonical)


def canonical_given_name(name: str, /) -> str:
    """The canonical form of a normalised given name (``bob`` -> ``robert``), else the name."""
    return NICKNAMES.get(name, name)


#: canonical given name -> the initials it goes by (``gerald``: g, and j for ``jerry``)
_INITIALS: dict[str, frozenset[str]] = {
    name: frozenset({name[0], *(v[0] for v in variants)}) for name, variants in VARIANTS.items()
}


def tokens_close(a: str, b: str, /) -> bool:
    """Could two normalised name tokens be one name? Equal, an initial of the other (or of a
    short form of it: ``j`` for ``gerald``, who goes by ``jerry``), or spelt alike (see
    :func:`spelt_alike`) to it or to a short form of it (``jirry``, a slip in ``jerry``, for
    ``gerald``)."""
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:  # an initial
        initial, name = (a, b) if len(a) == 1 else (b, a)
        return initial == name[0] or initial in _INITIALS.get(name, ())
    if _alike(a, b):
        return True
    if b in VARIANTS and any(_alike(a, v) for v in VARIANTS[b]):
        return True
    return a in VARIANTS and any(_alike(b, v) for v in VARIANTS[a])


def _alike(a: str, b: str) -> bool:
    if JaroWinkler.normalized_similarity(a, b) >= CLOSE:
        return True
    # one slip changes the length by one at most; OSA is Damerau-Levenshtein where it is <= 1
    return (
        min(len(a), len(b)) >= SLIP_LENGTH
        and abs(len(a) - len(b)) <= 1
        and OSA.distance(a, b, score_cutoff=1) <= 1
    )


def spelt_alike(names: Sequence[str], others: Sequence[str], /) -> npt.NDArray[np.bool_]:
    """Which of ``names`` (rows) are spelt like which of ``others`` (columns): Jaro-Winkler
    similar (>= :data:`CLOSE`: ``jnae``/``jane``, not ``jane``/``john``), or one slip apart
    (a letter inserted, dropped, replaced or two swapped: ``jase``/``jose``, which
    Jaro-Winkler puts at 0.83) when both have :data:`SLIP_LENGTH` letters or more. Measured
    on generated multi-channel data, the slips rule lifted B-cubed recall by half a point at
    the same precision, with either name pool. Initials and short forms are
    :func:`tokens_close`'s."""
    alike = (
        process.cdist(
            names, others, scorer=JaroWinkler.normalized_similarity, score_cutoff=CLOSE, workers=1
        )
        >= CLOSE
    )
    lengths = np.fromiter(map(len, others), dtype=np.int64, count=len(others))
    rows_of: dict[int, list[int]] = {}  # row numbers by the length of their name
    for i, name in enumerate(names):
        if len(name) >= SLIP_LENGTH:
            rows_of.setdefault(len(name), []).append(i)
    for length, rows in rows_of.items():  # one slip changes the length by one at most
        cols = np.flatnonzero((np.abs(lengths - length) <= 1) & (lengths >= SLIP_LENGTH))
        if cols.size:
            slips = process.cdist(
                [names[i] for i in rows],
                [others[j] for j in cols.tolist()],
                scorer=OSA.distance,  # Damerau-Levenshtein's answer wherever it is <= 1
                score_cutoff=1,
                workers=1,
            )
            alike[np.ix_(np.asarray(rows), cols)] |= slips <= 1
    return alike
