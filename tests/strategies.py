"""Shared hypothesis strategies: normalised-looking values and small record tables."""

from __future__ import annotations

import string

from hypothesis import strategies as st

NAMES = ["anna", "ann", "anne", "john", "jon", "johnny", "smith", "smyth", "li", "lee", "x"]
letters = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)
name = st.one_of(st.sampled_from(NAMES), letters)
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
date = st.dates().map(lambda d: d.isoformat())
digits = st.text(alphabet="0123456789", min_size=4, max_size=7)


@st.composite
def records(draw: st.DrawFn, min_size: int = 2, max_size: int = 25) -> list[dict[str, object]]:
    """Rows with first/last name, dob and postcode; values repeat so blocks and matches occur."""
    firsts = draw(st.lists(name, min_size=1, max_size=4))
    lasts = draw(st.lists(name, min_size=1, max_size=4))
    dobs = draw(st.lists(date, min_size=1, max_size=3))
    posts = draw(st.lists(digits, min_size=1, max_size=3))
    n = draw(st.integers(min_size, max_size))
    rows = []
    for i in range(n):
        if i == 0:  # one complete row, so no role is entirely empty
            rows.append(
                {
                    "id": 0,
                    "first_name": firsts[0],
                    "last_name": lasts[0],
                    "dob": dobs[0],
                    "postcode": posts[0],
                }
            )
            continue
        rows.append(
            {
                "id": i,
                "first_name": draw(maybe(st.sampled_from(firsts))),
                "last_name": draw(maybe(st.sampled_from(lasts))),
                "dob": draw(maybe(st.sampled_from(dobs))),
                "postcode": draw(maybe(st.sampled_from(posts))),
            }
        )
    return rows
