from __future__ import annotations

import numpy as np

from identilink import Comparison, Level
from identilink.compare import gamma, reference_gamma
from tests.helpers import make_table

ROWS = [
    {
        "id": 0,
        "first_name": "anna",
        "last_name": "smith",
        "dob": "2000-01-01",
        "email": "a.s@x.com",
    },
    {
        "id": 1,
        "first_name": "anna",
        "last_name": "smith",
        "dob": "2000-01-02",
        "email": "a.s@y.com",
    },
    {"id": 2, "first_name": "anne", "last_name": "smyth", "dob": "2000-10-01", "email": None},
    {"id": 3, "first_name": "smith", "last_name": "anna", "dob": "1990-01-01", "email": "zz@x.com"},
    {"id": 4, "first_name": None, "last_name": "jones", "dob": "2001-01-01", "email": "a.s@x.com"},
]


def _gamma(comparison: Comparison, pairs: list[tuple[int, int]]) -> list[int]:
    table = make_table(ROWS)
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    return gamma(table, comparison, a, b).tolist()


def test_name_levels() -> None:
    c = Comparison(
        "first_name",
        [Level("exact"), Level("swapped", other="last_name"), Level("jaro_winkler", 0.85)],
    )
    assert _gamma(c, [(0, 1), (0, 3), (0, 2), (0, 4), (2, 3)]) == [0, 1, 2, -1, 3]


def test_date_levels() -> None:
    c = Comparison("dob", [Level("exact"), Level("levenshtein", 1), Level("date_distance", 366)])
    # 01-01 vs 10-01 is two edits but 273 days; 2000 vs 2001 is one edit
    assert _gamma(c, [(0, 1), (0, 2), (0, 3), (0, 4)]) == [1, 2, 3, 1]


def test_email_levels() -> None:
    c = Comparison("email", [Level("exact"), Level("email_local"), Level("jaro_winkler", 0.9)])
    assert _gamma(c, [(0, 4), (0, 1), (0, 2), (0, 3)]) == [0, 1, -1, 3]


def test_reference_agrees_on_table() -> None:
    c = Comparison("dob", [Level("exact"), Level("levenshtein", 1), Level("date_distance", 366)])
    table = make_table(ROWS)
    rows = [{r: table.values[r][i] for r in table.values} for i in range(table.n)]
    pairs = [(i, j) for i in range(5) for j in range(5) if i != j]
    expected = [reference_gamma(c, rows[i], rows[j]) for i, j in pairs]
    assert _gamma(c, pairs) == expected


PHONES = [
    {"id": 0, "phone": "+14152704859", "first_name": "bob"},
    {"id": 1, "phone": "+14152704859", "first_name": "robert"},
    {"id": 2, "phone": "+444152704859", "first_name": "rob"},  # same national number, UK code
    {"id": 3, "phone": "+12704859", "first_name": "bobby"},  # typed without its area code
    {"id": 4, "phone": "+14152704850", "first_name": "ann"},
    {"id": 5, "phone": None, "first_name": None},
]


def test_phone_match_types_and_nicknames_agree_with_reference() -> None:
    from tests.helpers import make_table

    table = make_table(PHONES)
    phone = Comparison(
        "phone",
        [Level("exact"), Level("phone_nsn"), Level("phone_short_nsn"), Level("levenshtein", 1)],
    )
    first = Comparison("first_name", [Level("exact"), Level("nickname")])
    pairs = [(i, j) for i in range(6) for j in range(6) if i != j]
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    rows = [{r: table.values[r][i] for r in table.values} for i in range(table.n)]
    for comparison in (phone, first):
        fast = gamma(table, comparison, a, b).tolist()
        assert fast == [reference_gamma(comparison, rows[i], rows[j]) for i, j in pairs]
    by_pair = dict(zip(pairs, gamma(table, phone, a, b).tolist(), strict=True))
    assert by_pair[(0, 1)] == 0  # exact
    assert by_pair[(0, 2)] == 1  # NSN match
    assert by_pair[(0, 3)] == 2  # short NSN match
    assert by_pair[(0, 4)] == 3  # one digit off
    assert by_pair[(0, 5)] == -1
    nick = dict(zip(pairs, gamma(table, first, a, b).tolist(), strict=True))
    assert nick[(0, 1)] == 1
    assert nick[(0, 4)] == 2
