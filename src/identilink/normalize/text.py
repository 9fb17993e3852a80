"""Text normalisers: case, accents, punctuation and whitespace, plus role-specific rules."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from identilink.errors import NormalizationError

__all__ = [
    "fold",
    "normalize_gender",
    "normalize_handle",
    "normalize_id",
    "normalize_name",
    "normalize_postcode",
    "normalize_street",
    "normalize_text",
]

_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = re.compile(r"['’`´]")
_HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "rev",
        "fr",
        "herr",
        "frau",
        "mme",
        "mlle",
        "sr",
        "sra",
        "srta",
    ]
)
NAME_SUFFIXES = frozenset(["jr", "jnr", "snr", "sr", "ii", "iii", "iv", "phd", "md", "esq"])
_STREET_WORDS = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "drive": "dr",
    "place": "pl",
    "court": "ct",
    "crescent": "cres",
    "lane": "ln",
    "boulevard": "blvd",
    "highway": "hwy",
    "terrace": "tce",
    "parade": "pde",
    "circuit": "cct",
    "close": "cl",
    "square": "sq",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}
_GENDERS = {
    "m": "m",
    "male": "m",
    "man": "m",
    "f": "f",
    "female": "f",
    "woman": "f",
    "w": "f",
    "x": "x",
    "nonbinary": "x",
    "non-binary": "x",
    "other": "x",
}


def _require_text(value: object) -> str:
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(value, float) and value.is_integer():
                return str(int(value))
            return str(value)
        raise NormalizationError(value, f"expected text, got {type(value).__name__}")
    return value


@lru_cache(maxsize=131072)
def fold(value: str, /) -> str:
    """Lower-case, strip accents, turn punctuation into spaces and collapse whitespace."""
    if value.isascii():  # NFKD changes nothing and no character is combining
        return _folded(value)
    return _fold_general(value)


def _fold_general(value: str) -> str:
    """:func:`fold` without its ASCII shortcut: the reference the tests hold it to."""
    decomposed = unicodedata.normalize("NFKD", value)
    return _folded("".join(c for c in decomposed if not unicodedata.combining(c)))


def _folded(stripped: str) -> str:
    text = _APOSTROPHES.sub("", stripped.casefold())
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def _non_empty(result: str, value: object) -> str:
    if not result:
        raise NormalizationError(value, "nothing left after normalisation")
    return result


def normalize_text(value: object, /) -> str:
    """Generic text: :func:`fold`; empty results are an error."""
    return _non_empty(fold(_require_text(value)), value)


def normalize_name(value: object, /) -> str:
    """A personal name: folded, honorifics (``Dr``) and suffixes (``Jr``) removed.

    >>> normalize_name("  Dr. José  O'Brien Jr. ")
    'jose obrien'
    """
    tokens = fold(_require_text(value)).split()
    while len(tokens) > 1 and tokens[0] in _HONORIFICS:
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1] in NAME_SUFFIXES:
        tokens.pop()
    return _non_empty(" ".join(tokens), value)


def normalize_street(value: object, /) -> str:
    """A street line: folded, with common street-type words abbreviated (``road`` -> ``rd``)."""
    tokens = fold(_require_text(value)).split()
    return _non_empty(" ".join(_STREET_WORDS.get(t, t) for t in tokens), value)


def normalize_postcode(value: object, /) -> str:
    """A postcode: upper-cased letters and digits only (``sw1a 1aa`` -> ``SW1A1AA``)."""
    text = re.sub(r"[^0-9A-Za-z]", "", fold(_require_text(value))).upper()
    return _non_empty(text, value)


def normalize_id(value: object, /) -> str:
    """An identifier such as a national id: upper-cased letters and digits only."""
    return normalize_postcode(value)


def normalize_gender(value: object, /) -> str:
    """``m``, ``f`` or ``x`` from the usual spellings; anything else is an error."""
    key = fold(_require_text(value))
    try:
        return _GENDERS[key]
    except KeyError:
        raise NormalizationError(value, "not a recognised gender") from None


def normalize_handle(value: object, /) -> str:
    """A social handle: case-folded, without a leading ``@`` or surrounding spaces."""
    text = _require_text(value).strip().lstrip("@").casefold()
    if not text or any(c.isspace() for c in text):
        raise NormalizationError(value, "not a handle")
    return text
