"""Whole-column fast paths: the common case of a normaliser for many distinct values at once.

Each function takes a column's distinct raw values and returns, for each, what the
per-value path (``quick_normalized``, ``quick_e164``, ``normalize_street``) returns for it,
or ``None`` where it does not decide (the caller then takes the per-value path, which also
says why a value is rejected). The work is Arrow compute kernels over the whole column
(RE2 regular expressions, ASCII case mapping, list kernels), no Python call per value.

A value is only decided here when it is printable ASCII: there Python's ``\\s``, ``\\w`` and
``\\d`` and RE2's mean the same characters, and lower-casing is case-folding. The property
tests hold every function to its per-value path.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from identilink.normalize.blocklist import _EMAIL_DOMAINS, _EMAIL_LOCALS, _SEQUENTIAL
from identilink.normalize.email import _ATEXT, _LABEL, _SPECIAL_USE
from identilink.normalize.phone import NANP_REGIONS
from identilink.normalize.text import _STREET_WORDS

__all__ = ["bulk_emails", "bulk_phones", "bulk_streets"]

Decided = npt.NDArray[np.object_]  # per value: its normalised text, or None (not decided)
Values = npt.NDArray[np.object_]

_PRINTABLE = r"^[\x20-\x7e]*$"


def _strings(values: Values) -> tuple[npt.NDArray[np.intp], pa.StringArray] | None:
    """Positions and Arrow array of the printable-ASCII ``str`` values (``None``: none)."""
    try:  # a column of text (and nulls) converts whole, without a Python step per value
        text = pa.array(values, from_pandas=True)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):  # not all text
        text = None
    if text is not None and pa.types.is_string(text.type):
        keep = _mask(pc.match_substring_regex(text, _PRINTABLE))
        return (np.flatnonzero(keep), text.filter(pa.array(keep))) if keep.any() else None
    # mixed types (bytes, numbers...): only the str values, picked one by one
    at = np.fromiter(
        (i for i, v in enumerate(values) if type(v) is str and v.isascii()), dtype=np.intp
    )
    if len(at) == 0:
        return None
    text = pa.array([values[i] for i in at], type=pa.string())
    keep = _mask(pc.match_substring_regex(text, _PRINTABLE))
    return at[keep], text.filter(pa.array(keep))


def _mask(ok: pa.Array) -> npt.NDArray[np.bool_]:
    """A boolean Arrow array as numpy, null as ``False``."""
    return np.asarray(pc.fill_null(ok, False).to_numpy(zero_copy_only=False), dtype=bool)


def _undecided(n: int) -> Decided:
    return np.full(n, None, dtype=object)


def _scatter(n: int, at: npt.NDArray[np.intp], ok: pa.Array, out: pa.Array) -> Decided:
    result = _undecided(n)
    keep = _mask(ok)
    result[at[keep]] = out.filter(pa.array(keep)).to_numpy(zero_copy_only=False)
    return result


# -- e-mail ---------------------------------------------------------------------------------

_EMAIL = rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+[A-Za-z][A-Za-z0-9-]{{0,61}}[A-Za-z0-9]$"
_PLACEHOLDER_STARTS = ("noreply", "no-reply", "donotreply")
_PLACEHOLDER_ENDS = (".example", ".test", ".invalid")


def bulk_emails(values: Values) -> Decided:
    """``quick_normalized`` of each value, or ``None`` where it is not decided here."""
    found = _strings(values)
    if found is None:
        return _undecided(len(values))
    at, text = found
    # no whitespace in a printable address: strip() changes nothing
    ok = pc.and_(pc.match_substring_regex(text, _EMAIL), pc.less_equal(pc.binary_length(text), 254))
    lower = pc.ascii_lower(text)
    # one "@" in a matching address (null parts for the others, which stay undecided)
    parts = pc.extract_regex(lower, r"^(?P<local>[^@]*)@(?P<domain>[^@]*)$")
    local, domain = parts.field("local"), parts.field("domain")
    tld = pc.extract_regex(domain, r"(?P<tld>[^.]*)$").field("tld")
    base = pc.list_element(pc.split_pattern(local, "+", max_splits=1), 0)
    placeholder = pc.or_(
        pc.is_in(base, value_set=pa.array(sorted(_EMAIL_LOCALS))),
        pc.is_in(domain, value_set=pa.array(sorted(_EMAIL_DOMAINS))),
    )
    for prefix in _PLACEHOLDER_STARTS:
        placeholder = pc.or_(placeholder, pc.starts_with(base, prefix))
    for suffix in _PLACEHOLDER_ENDS:
        placeholder = pc.or_(placeholder, pc.ends_with(domain, suffix))
    ok = pc.and_(ok, pc.less_equal(pc.binary_length(local), 64))
    ok = pc.and_(ok, pc.invert(pc.match_substring(domain, "--")))
    ok = pc.and_(ok, pc.invert(pc.is_in(tld, value_set=pa.array(sorted(_SPECIAL_USE)))))
    ok = pc.and_(ok, pc.invert(placeholder))
    return _scatter(len(values), at, ok, lower)


# -- phone ----------------------------------------------------------------------------------

# phone._NANP with its \s as the space and \d as [0-9]: the same on the characters let in
_PHONE_CHARS = r"^[0-9 ().+\-]*$"
_NANP = (
    r"^ *(?:\+ *1|1)?[ .\-]*(?P<area>\( *[2-9][0-9]{2} *\)|[2-9][0-9]{2})[ .\-]*"
    r"(?P<exchange>[2-9][0-9]{2})[ .\-]*(?P<line>[0-9]{4}) *$"
)


def bulk_phones(values: Values, region: str) -> Decided:
    """``quick_e164(value, region)`` of each value, or ``None`` where not decided here."""
    found = _strings(values)
    if found is None:
        return _undecided(len(values))
    at, text = found
    ok = pc.and_(
        pc.match_substring_regex(text, _PHONE_CHARS), pc.match_substring_regex(text, _NANP)
    )
    if region not in NANP_REGIONS:
        ok = pc.and_(ok, pc.match_substring_regex(text, r"^ *\+1"))
    keep = _mask(ok)
    at, text = at[keep], text.filter(pa.array(keep))
    if len(text) == 0:
        return _undecided(len(values))
    groups = pc.extract_regex(text, _NANP)
    area = pc.replace_substring_regex(groups.field("area"), r"[() ]", "")
    national = pc.binary_join_element_wise(area, groups.field("exchange"), groups.field("line"), "")
    digits = _digit_matrix(national)
    repeated = (digits == digits[:, :1]).all(axis=1) | (digits[:, 3:] == digits[:, 3:4]).all(axis=1)
    sequential = np.zeros(len(digits), dtype=bool)
    for run in _SEQUENTIAL:
        sequential |= (digits == np.frombuffer(run.encode(), dtype=np.uint8)).all(axis=1)
    sequential |= (digits[:, 3:] == np.frombuffer(b"1234567", dtype=np.uint8)).all(axis=1)
    fictional = (digits[:, 3:6] == np.frombuffer(b"555", dtype=np.uint8)).all(axis=1) & (
        digits[:, 6:8] == np.frombuffer(b"01", dtype=np.uint8)
    ).all(axis=1)
    good = pa.array(~(repeated | sequential | fictional))
    e164 = pc.binary_join_element_wise("+1", national, "")
    return _scatter(len(values), at, good, e164)


def _digit_matrix(national: pa.StringArray) -> npt.NDArray[np.uint8]:
    """The ten-digit strings as an (n, 10) byte matrix, read from the Arrow buffers."""
    national = national.combine_chunks() if isinstance(national, pa.ChunkedArray) else national
    offsets = np.frombuffer(national.buffers()[1], dtype=np.int32)
    offsets = offsets[national.offset : national.offset + len(national) + 1]
    data = np.frombuffer(national.buffers()[2], dtype=np.uint8)
    return data[offsets[0] : offsets[-1]].reshape(-1, 10)


# -- street ---------------------------------------------------------------------------------

_STREET_FROM = pa.array(list(_STREET_WORDS))
_STREET_TO = pa.array(list(_STREET_WORDS.values()))


def bulk_streets(values: Values) -> Decided:
    """``normalize_street`` of each value, or ``None`` where not decided here (including
    every value it rejects, so the per-value path gives the reason)."""
    found = _strings(values)
    if found is None:
        return _undecided(len(values))
    at, text = found
    # fold(): case, apostrophes, other non-word characters to spaces, "_", runs of spaces
    folded = pc.replace_substring_regex(pc.ascii_lower(text), r"['`]", "")
    folded = pc.replace_substring_regex(folded, r"[^a-z0-9_ ]+", " ")
    folded = pc.replace_substring(folded, "_", " ")
    folded = pc.utf8_trim(pc.replace_substring_regex(folded, r" +", " "), " ")
    words = pc.split_pattern(folded, " ")
    flat = words.values  # the offsets index this whole child array
    index = pc.index_in(flat, value_set=_STREET_FROM)
    mapped = pc.if_else(pc.is_valid(index), pc.take(_STREET_TO, index), flat)
    joined = pc.binary_join(pa.ListArray.from_arrays(words.offsets, mapped), " ")
    return _scatter(len(values), at, pc.not_equal(joined, ""), joined)
