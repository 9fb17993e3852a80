"""The fast normalisation paths agree with the libraries they stand in for."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from identilink._table import Table, normalizer_for
from identilink.config import Settings
from identilink.errors import NormalizationError
from identilink.normalize import email as email_module
from identilink.normalize import phone as phone_module
from identilink.normalize.email import quick_normalized
from identilink.normalize.phone import quick_e164
from tests.helpers import native_records

atext = st.text(alphabet="abcXYZ019!#$%&'*+/=?^_`{|}~-.", min_size=1, max_size=20)
label = st.text(alphabet="abcxyzXN019-", min_size=1, max_size=12)
tld = st.sampled_from(
    ["com", "org", "COM", "io", "local", "test", "arpa", "c0m", "123", "x", "de-"]
)
addresses = st.builds(
    lambda loc, labels, top: f"{loc}@{'.'.join([*labels, top])}",
    atext,
    st.lists(label, min_size=1, max_size=3),
    tld,
) | st.text(max_size=40)


@given(addresses)
@example("a..b@x.com")
@example("a@-x.com")
@example("x@y.home.arpa")
@example("a@xn--bcher-kva.de")
@example("Jane.Doe@Example.COM")
def test_fast_email_agrees_with_email_validator(text: str) -> None:
    fast = email_module._fast(text)
    if fast is None:
        return  # the slow path decides
    slow = email_module._slow(text)  # must not raise: fast accepted it
    assert fast == slow


digits = st.from_regex(r"[2-9][0-9]{2}", fullmatch=True) | st.text(
    alphabet="0123456789", min_size=3, max_size=4
)
line = st.from_regex(r"[0-9]{4}", fullmatch=True)
separator = st.sampled_from(["", " ", "-", ".", "  ", " - "])
numbers = st.builds(
    lambda prefix, a, s1, b, s2, c, paren: f"{prefix}{'(' + a + ')' if paren else a}{s1}{b}{s2}{c}",
    st.sampled_from(["", "1", "1 ", "+1", "+1 ", "+ 1", "1-"]),
    digits,
    separator,
    digits,
    separator,
    line,
    st.booleans(),
) | st.text(alphabet="0123456789 ()+-.", max_size=20)


@given(numbers, st.sampled_from(["US", "CA", "GB", "DE"]))
@example("(201) 555-0123", "US")
@example("+1 415 270 4859", "GB")
@example("1 415 270 4859", "GB")
def test_fast_phone_agrees_with_phonenumbers(text: str, region: str) -> None:
    fast = phone_module._fast(text, region)
    if fast is None:
        return
    try:
        slow = phone_module._slow(text, region)
    except NormalizationError as exc:  # fast accepted what phonenumbers rejects: a bug
        raise AssertionError(f"fast path accepted {text!r}: {exc}") from None
    assert fast == slow


@given(
    st.from_regex(r"\+1[0-9]{10}", fullmatch=True) | st.from_regex(r"\+[0-9]{6,15}", fullmatch=True)
)
@example("+12015550123")
@example("+10000000000")
def test_fast_national_number_agrees_with_phonenumbers(e164: str) -> None:
    assert phone_module.national_number.__wrapped__(e164) == phone_module._national_slow(e164)


name_part = st.text(alphabet="ab AZ.'-\"(),", max_size=12) | st.from_regex(
    r"[A-Z][a-z]{0,6}( [A-Z][a-z' -]{0,8})?", fullmatch=True
)
addr_part = st.text(alphabet="ab.+_-@x", min_size=1, max_size=14) | st.from_regex(
    r"[a-z][a-z.+_-]{0,6}@[a-z]{1,5}\.[a-z]{2,3}", fullmatch=True
)
headers = st.builds(
    lambda name, addr, style: style.format(n=name, a=addr),
    name_part,
    addr_part,
    st.sampled_from(["{n} <{a}>", "{a}", '"{n}" <{a}>', "{n}<{a}>", "<{a}>", "{n} <{a}>, x@y.z"]),
)


@given(headers)
@example("Jane Doe <jane@x.com>")
@example("jane@x.com")
@example("Doe, Jane <jane@x.com>")
def test_fast_sender_parsing_agrees_with_getaddresses(value: str) -> None:
    import email.utils

    from identilink.adapters.email import _addresses

    assert _addresses([value]) == email.utils.getaddresses([value])


header_name = st.sampled_from(
    ["From", "Reply-To", "Sender", "Date", "Message-ID", "Subject", "X-Y", "content-type"]
) | st.text(alphabet="abXY-:_ 9", min_size=1, max_size=8)
# ASCII: raw UTF-8 in a header (RFC 6532) is read as UTF-8 by the fast path, where the
# compat32 parser keeps undecodable bytes; encoded words (=?utf-8?...) are the same in both
header_value = st.text(alphabet="ab <>@.,=?:\t\n", max_size=20)
header_lines = st.lists(
    st.builds(
        lambda n, v, sep: f"{n}{sep}{v}",
        header_name,
        header_value,
        st.sampled_from([": ", ":", " : "]),
    )
    | st.sampled_from([" folded", "\tfolded", "no colon", ""]),
    min_size=1,
    max_size=8,
)


@given(header_lines, st.text(alphabet="ab\n>-", max_size=30))
@example(["From: Jane <j@x.com>", " Doe", "Date: Thu, 01 Feb 2024 10:55:15 +0000"], "hi")
@example(["Subject: a", "\tb", "X-Y:c"], "")
def test_fast_message_parsing_agrees_with_the_standard_library(lines: list[str], body: str) -> None:
    from identilink.adapters.email import _header, _parse_fast, _parse_slow

    data = ("\n".join(lines) + "\n\n" + body).encode("utf-8")
    fast = _parse_fast(data)
    if fast is None:
        return  # the standard library's parser reads it
    slow = _parse_slow(data)
    assert fast.headers.keys() == slow.headers.keys()
    for name in fast.headers:
        assert _header(fast, name) == _header(slow, name)
    assert fast.body == slow.body


header_junk = st.sampled_from(
    [
        *("", "\x00", "=?utf-8?b?SsOpcsO0bWU=?=", "=?bogus?q?x?=", "\n", "\n ", "\n\t", " "),
        *(":", "From: ", "<>", "@", ",", '"', "X-Y: z", "Reply-To: a@b.co", "\x0b"),
        *("Sender: Jo <jo@x.org>", "\nSubject: hi", "Date: Thu, 1 Feb 2024 10:55:15 -0000"),
    ]
)


@given(st.data())
def test_fast_parse_of_damaged_messages_agrees_with_the_standard_library(
    data: st.DataObject,
) -> None:
    """Real messages with ASCII damage anywhere in their header block (a header inside
    another, a stray line break, a fold, an encoded word): where the fast path reads one,
    the adapter makes the fragment the standard library's parser leads to."""
    from identilink.adapters import email as email_adapter

    message = data.draw(st.sampled_from(native_records()["email"])).decode()
    head, _, body = message.partition("\n\n")
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(head)))
        head = head[:at] + data.draw(header_junk) + head[at:]
    raw = f"{head}\n\n{body}".encode()
    if email_adapter._parse_fast(raw) is None:
        return
    adapter = email_adapter.EmailAdapter()
    fast = adapter.fragment(raw, "r")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(email_adapter, "_parse_fast", lambda data: None)
        slow = adapter.fragment(raw, "r")
    assert fast == slow


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_fold_ascii_shortcut_agrees_with_the_general_path(value: str) -> None:
    from identilink.normalize import text

    assert text.fold.__wrapped__(value) == text._fold_general(value)


def _full(role: str, region: str, value: object) -> str | None:
    """What a column's full normaliser makes of ``value`` (``None``: rejected)."""
    try:
        return normalizer_for(role, Settings(default_region=region))(value)
    except NormalizationError:
        return None


placeholders = st.sampled_from(
    ["test@test.com", "noreply@x.io", "No-Reply+a@b.org", "a@example.com", "x@y.test"]
)


@given(addresses | placeholders | st.integers())
@example("  Jane.Doe@Example.COM ")
@example("noreply@shop.io")
def test_quick_email_column_path_agrees_with_the_full_one(value: object) -> None:
    quick = quick_normalized(value)
    if quick is not None:
        assert quick == _full("email", "US", value)


@given(
    numbers | st.sampled_from(["000-000-0000", "(201) 555-0123", "212 555 0100"]),
    st.sampled_from(["US", "CA", "GB"]),
)
@example("415.270.4859", "US")
def test_quick_phone_column_path_agrees_with_the_full_one(value: str, region: str) -> None:
    quick = quick_e164(value, region)
    if quick is not None:
        assert quick == _full("phone", region, value)


# -- codes of the prepared table -----------------------------------------------------------

cells = st.one_of(
    st.none(),
    st.sampled_from(["", "  ", "Ann", "ann", "ANN ", "Bob", "o'neil", "José", "jose"]),
    st.text(max_size=6),
)


@given(st.lists(cells, max_size=30))
def test_prepared_codes_are_the_codes_of_the_normalised_column(values: list[object]) -> None:
    """prepare numbers normalised values from the distinct raw ones; the codes must be what
    factorizing the normalised column row by row gives, and so must a key's."""
    import numpy as np
    import pandas as pd

    from identilink._table import _factorize, _transform
    from identilink.config import Key
    from identilink.normalize import normalize_column, normalize_name
    from identilink.normalize._column import normalized_codes

    series = pd.Series(values, dtype=object)
    codes, uniques, report = normalized_codes(series, normalize_name, column="c", role="r")
    column, report_of_column = normalize_column(series, normalize_name, column="c", role="r")
    assert report == report_of_column
    expected_codes, expected_uniques = _factorize(column)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques.tolist() == expected_uniques.tolist()
    key = Key(role="r", transform="first", arg=1)
    f = _transform(key)
    by_row = _factorize(np.array([None if v is None else f(v) for v in column], dtype=object))
    table = Table(
        np.arange(len(values)).astype(object), {"r": column}, [], codes={"r": (codes, uniques)}
    )
    assert table.key_codes(key).tolist() == by_row[0].tolist()
    assert table.key_values(key).tolist() == by_row[1].tolist()


@given(st.text(alphabet="0123456789 +-()٣²x", max_size=24))
@example("+12015550123")
@example("+")
@example("0+1")
def test_digits_of_a_key_are_str_isdigit_digits(value: str) -> None:
    from identilink._table import _digits

    assert _digits(value) == "".join(c for c in value if c.isdigit())


national = st.text(alphabet="0123456789", min_size=0, max_size=22) | st.sampled_from(
    ["٠١٢", "12a", "0", "00", "1234567890123456789"]
)


@given(st.lists(national, min_size=1, max_size=12))
def test_short_nsn_arithmetic_agrees_with_string_suffixes(numbers: list[str]) -> None:
    """Proper suffixes by ``x mod 10**L``: leading zeros, 19+ digits and non-digits
    included (those take the string path)."""
    import numpy as np

    from identilink._table import _factorize
    from identilink.compare import _short_nsn_level
    from identilink.config import Key

    n = len(numbers)
    phones = np.array([f"+{i}" for i in range(n)], dtype=object)
    table = Table(np.arange(n).astype(object), {"phone": phones}, [])
    # the national numbers stand in for what the nsn transform would make of the phones
    table._codes[str(Key(role="phone", transform="nsn"))] = _factorize(
        np.array(numbers, dtype=object)
    )
    a, b = (m.ravel().astype(np.int64) for m in np.meshgrid(np.arange(n), np.arange(n)))
    out = np.full(len(a), 1, dtype=np.int8)  # the level is 0: a suffix, 1: not
    _short_nsn_level(table, "phone", a, b, np.arange(len(a), dtype=np.int64), out, 0)
    got = (out == 0).tolist()
    want = [
        numbers[i] != numbers[j]
        and (numbers[i].endswith(numbers[j]) or numbers[j].endswith(numbers[i]))
        for i, j in zip(a.tolist(), b.tolist(), strict=True)
    ]
    assert got == want


# -- the character-count bound before string metrics ---------------------------------------

short_text = st.text(alphabet="abcdeab 0-é\u0301", max_size=12) | st.text(max_size=8)


@given(
    st.lists(short_text.filter(bool), min_size=2, max_size=12, unique=True),
    st.sampled_from(
        [
            ("levenshtein", 1.0),
            ("levenshtein", 2.0),
            ("damerau_levenshtein", 1.0),
            ("jaro_winkler", 0.8),
            ("jaro_winkler", 0.92),
            ("jaro", 0.85),
        ]
    ),
)
@example(["martha", "marhta"], ("jaro_winkler", 0.95))
@example(["ab", "ba"], ("damerau_levenshtein", 1.0))
def test_character_count_bound_never_rules_out_a_pair_that_passes(
    values: list[str], metric: tuple[str, float]
) -> None:
    """A pair the bound rules out must fail the threshold when scored (the comparisons'
    property tests hold the levels the bounded path gives to the reference)."""
    import numpy as np

    from identilink.compare import _FILTERED, SCORERS, _passes, _profile, _reach

    kind, cutoff = metric
    assert kind in _FILTERED
    uniques = np.array(values, dtype=object)
    n = len(values)
    lo, hi = (m.ravel().astype(np.int64) for m in np.meshgrid(np.arange(n), np.arange(n)))
    everything = np.arange(len(lo), dtype=np.int64)
    kept = _reach(_profile(uniques), kind, cutoff, np.arange(n, dtype=np.int64), lo, hi, everything)
    may = np.zeros(len(lo), dtype=bool)
    may[kept] = True
    for i, j, m in zip(lo.tolist(), hi.tolist(), may.tolist(), strict=True):
        if not m:
            assert not _passes(kind, SCORERS[kind][0](values[i], values[j]), cutoff)


@given(st.lists(short_text | st.text(min_size=250, max_size=260), min_size=1, max_size=12))
def test_profiles_agree_with_counting_each_value(values: list[str]) -> None:
    """The compiled profile against counting each value's characters in Python."""
    import collections

    import numpy as np

    from identilink.compare import _BUCKETS, _PREFIX, _profile

    profile = _profile(np.array(values, dtype=object))
    frequency = collections.Counter("".join(values))
    # the buckets: the most frequent characters first, ties by code point (a stable sort of
    # the code points' frequencies)
    ranked = sorted(frequency, key=lambda c: (-frequency[c], ord(c)))[: _BUCKETS - 1]
    bucket = {c: k for k, c in enumerate(ranked)}
    assert profile.rows.shape == (len(values), 32)
    for v, value in enumerate(values):
        counted = len(value) < 255
        want = [0] * _BUCKETS
        if counted:
            for c in value:
                want[bucket.get(c, _BUCKETS - 1)] += 1
        else:
            want[0] = 255
        row = profile.rows[v].tolist()
        assert row[:_BUCKETS] == want
        assert row[_BUCKETS] == (len(value) if counted else 0)
        firsts = [ord(c) % 255 + 1 for c in value[:_PREFIX]]
        assert row[_BUCKETS + 1 :] == firsts + [0] * (_PREFIX - len(firsts))


@given(
    st.lists(st.integers(0, 255), min_size=8, max_size=8),
    st.lists(st.integers(0, 255), min_size=8, max_size=8),
)
@example([0] * 8, [255] * 8)
@example([255] * 8, [0] * 8)
def test_bytes_apart_is_the_l1_distance_of_the_bytes(p: list[int], q: list[int]) -> None:
    """The word arithmetic of the bound against subtracting byte by byte."""
    import numpy as np

    from identilink._kernels import bytes_apart

    x, y = (np.array(v, dtype=np.uint8).view("<u8")[0] for v in (p, q))
    assert bytes_apart(x, y) == sum(abs(i - j) for i, j in zip(p, q, strict=True))


# -- whole-column fast paths (Arrow kernels) -----------------------------------------------

street_text = st.text(alphabet="abcXYZ 0159'`_.-,#/&\t\x1c é’", max_size=24) | st.sampled_from(
    ["12 High Street", "O'Neil  Road_x", "", "--", "5 West   Ave.", "  North  Rd  ", "Café St"]
)
phone_text = st.text(alphabet="0123456789 ().+-\t٣x", max_size=20) | numbers


def _printable(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isprintable()


def _column(values: list[object]):
    import numpy as np

    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


@given(st.lists(addresses | placeholders | st.integers(), max_size=20))
@example(["Jane.Doe@Example.COM", " a@b.com", "ab@c.io", "a@b.onion", "x@a--b.com"])
def test_bulk_emails_agree_with_the_quick_path(values: list[object]) -> None:
    from identilink.normalize._bulk import bulk_emails

    for value, bulk in zip(values, bulk_emails(_column(values)), strict=True):
        quick = quick_normalized(value)
        if bulk is not None or (_printable(value) and value == value.strip()):
            assert bulk == quick  # decided: the same; printable and trimmed: decided too


@given(
    st.lists(phone_text | st.integers(), max_size=20),
    st.sampled_from(["US", "CA", "GB"]),
)
@example(["(201) 555-0123", "+1 415 270 4859", "415 270 4859", "000-000-0000"], "GB")
def test_bulk_phones_agree_with_the_quick_path(values: list[object], region: str) -> None:
    from identilink.normalize._bulk import bulk_phones

    for value, bulk in zip(values, bulk_phones(_column(values), region), strict=True):
        if bulk is not None or _printable(value):
            assert bulk == quick_e164(value, region)


@given(st.lists(street_text | st.integers(), max_size=20))
def test_bulk_streets_agree_with_the_normaliser(values: list[object]) -> None:
    """Decided values are exactly normalize_street's; undecided ones are left to it."""
    from identilink.normalize import normalize_street
    from identilink.normalize._bulk import bulk_streets

    for value, bulk in zip(values, bulk_streets(_column(values)), strict=True):
        if bulk is not None:
            assert bulk == normalize_street(value)
        elif _printable(value):
            # printable ASCII is only left undecided when the normaliser rejects it
            try:
                normalize_street(value)
            except NormalizationError:
                continue
            raise AssertionError(f"{value!r} left undecided")


# -- blocking's sorts ------------------------------------------------------------------------


@given(
    st.lists(st.integers(0, 2**40), max_size=60)
    | st.lists(st.integers(-3, 3), max_size=60)
    | st.lists(st.integers(0, 2**62), max_size=5)
)
def test_stable_order_is_a_stable_argsort(values: list[int]) -> None:
    import numpy as np

    from identilink._sort import stable_order

    array = np.array(values, dtype=np.int64)
    assert stable_order(array).tolist() == np.argsort(array, kind="stable").tolist()


name_token = st.text(alphabet="aeijnorsty", min_size=2, max_size=8)


@given(st.lists(name_token, min_size=1, max_size=6), st.lists(name_token, min_size=1, max_size=6))
@example(["jase", "jean", "ann"], ["jose", "joan", "amy"])
def test_spelt_alike_matrix_agrees_with_the_pairwise_rule(
    names: list[str], others: list[str]
) -> None:
    """The whole-matrix form (the evidence stage's) against the one-pair form (what
    ``tokens_close`` uses past initials and short forms)."""
    from identilink.normalize import names as module

    matrix = module.spelt_alike(names, others)
    assert matrix.shape == (len(names), len(others))
    for i, a in enumerate(names):
        for j, b in enumerate(others):
            assert bool(matrix[i, j]) == (a == b or module._alike(a, b)), (a, b)


e164_text = (
    st.from_regex(r"\+1[0-9]{10}", fullmatch=True)
    | st.from_regex(r"\+1[2-9][0-9]{9}", fullmatch=True)
    | st.from_regex(r"\+(44|49|52|61)[0-9]{8,11}", fullmatch=True)
)


@given(e164_text)
@example("+12015550123")  # US
@example("+14165550123")  # Canada: not taken by the US, found by the other regions
@example("+18765550123")  # Jamaica
@example("+12425550123")  # Bahamas
def test_e164_shortcuts_agree_with_phonenumbers(e164: str) -> None:
    import phonenumbers

    from identilink.normalize.phone import is_valid_e164, parsed_e164

    assert parsed_e164(e164) == phonenumbers.parse(e164)
    assert is_valid_e164(e164) == phonenumbers.is_valid_number(phonenumbers.parse(e164))


def test_the_us_is_the_first_region_of_plus_one_with_no_leading_digits_rule() -> None:
    """What :func:`identilink.normalize.phone.is_valid_e164`'s shortcut rests on."""
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    assert COUNTRY_CODE_TO_REGION_CODE[1][0] == "US"
    metadata = PhoneMetadata.metadata_for_region("US")
    assert metadata is not None
    assert metadata.leading_digits is None


@given(st.text(alphabet="ab 19+٣²\n", max_size=30) | st.text(max_size=30))
def test_digit_count_is_isdigit_counted(text: str) -> None:
    from identilink.extract import _digit_count

    assert _digit_count(text) == sum(c.isdigit() for c in text)


@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=False) | st.sampled_from([0.0, -0.0, 1e-300, 999.9, -1000.5]),
            st.integers(0, 2),
        ),
        max_size=40,
    ),
    st.floats(0.0, 1.0),
)
def test_probabilities_kernel_agrees_with_the_model(
    rows: list[tuple[float, int]], threshold: float
) -> None:
    """The scoring pass's probabilities are the model's (to an ulp or two: its exp2 is libm's,
    not numpy's) and 1 where a must-link rule decided; matched is the threshold on them."""
    import numpy as np

    from identilink import FellegiSunterModel
    from identilink._kernels import probabilities

    weights = np.array([w for w, _ in rows], dtype=np.float64)
    which = np.array([k for _, k in rows], dtype=np.int8)
    probability, matched = probabilities(weights, which, threshold)
    expected = np.where(which != 0, 1.0, FellegiSunterModel.probability(weights))
    np.testing.assert_allclose(probability, expected, rtol=4e-16, atol=0)
    assert matched.tolist() == (probability >= threshold).tolist()


short_words = st.text(alphabet="ab1-é", max_size=7) | st.text(max_size=18)


@given(
    st.lists(st.tuples(short_words, short_words), min_size=1, max_size=30),
    st.sampled_from([("levenshtein", 0), ("levenshtein", 1), ("levenshtein", 2)])
    | st.sampled_from([("damerau_levenshtein", 0), ("damerau_levenshtein", 1)]),
)
@example([("ab1-a", "b1-aa")], ("levenshtein", 2))  # a span shifted left
@example([("ab1-a", "aab1-")], ("levenshtein", 2))  # and right
@example([("abab", "baba")], ("levenshtein", 2))  # four mismatches, still two edits
@example([("ab", "ba")], ("damerau_levenshtein", 1))
def test_short_edits_agree_with_rapidfuzz(
    pairs: list[tuple[str, str]], metric: tuple[str, int]
) -> None:
    """Pairs of one short length get rapidfuzz's distance under the cutoff (cutoff + 1
    past it); the others are left to the metric, untouched."""
    import numpy as np
    from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

    from identilink import _kernels
    from identilink.compare import _spelled

    kind, cutoff = metric
    values = sorted({v for pair in pairs for v in pair})
    # as many one-letter values beside them: most values are short, so they are spelled
    spelled = _spelled(np.array(values + ["x"] * len(values), dtype=object))
    assert spelled is not None
    points, lengths = spelled
    position = {v: i for i, v in enumerate(values)}
    codes = np.arange(len(values), dtype=np.int64)
    a = np.array([position[x] for x, _ in pairs], dtype=np.int64)
    b = np.array([position[y] for _, y in pairs], dtype=np.int64)
    scores = np.full(len(pairs), -7.0)
    todo = np.arange(len(pairs), dtype=np.int64)
    transpositions = kind == "damerau_levenshtein"
    rest = _kernels.short_edits(
        codes,
        points[: len(values)],
        lengths[: len(values)],
        a,
        b,
        todo,
        transpositions,
        cutoff,
        scores,
    )
    metric_of = DamerauLevenshtein if transpositions else Levenshtein
    for i, (x, y) in enumerate(pairs):
        if len(x) == len(y) <= _kernels.SHORT:
            assert i not in rest
            assert scores[i] == metric_of.distance(x, y, score_cutoff=cutoff)
        else:
            assert i in rest
            assert scores[i] == -7.0


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('\ud800\x00"\\')),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
json_texts = st.builds(json.dumps, json_values) | st.text(
    alphabet='{}[]":,0123456789.eE+-tfnulNaI \t\n\\u\ufeff', max_size=30
)


@given(json_texts)
@example('{"big": 123456789012345678901234567890}')
@example('[NaN, -Infinity, "\\ud800"]')
@example('{"a": 1, "a": 2}')
def test_adapters_decode_json_as_the_standard_library_does(text: str) -> None:
    from identilink.adapters.base import loads

    try:
        expected = json.loads(text)
    except json.JSONDecodeError as exc:
        with pytest.raises(json.JSONDecodeError, match=re.escape(exc.msg)):
            loads(text)
        return
    assert repr(loads(text)) == repr(expected)  # repr: NaN is not equal to itself
