"""Arbitrary values in every role: identilink answers or raises its own error, never crashes."""

from __future__ import annotations

import warnings

from hypothesis import given
from hypothesis import strategies as st

import identilink
from identilink import IdentilinkError

value = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.sampled_from(["a@x.com", "A@X.COM", "+1 201 555 0123", "2000-01-01", "01/02/2000", "anna"]),
)
row = st.fixed_dictionaries(
    {"first_name": value, "last_name": value, "email": value, "phone": value, "dob": value}
)


@given(st.lists(row, min_size=1, max_size=20))
def test_dedupe_never_crashes(rows) -> None:
    records = [dict(r, id=i) for i, r in enumerate(rows)]
    settings = {
        "roles": {r: r for r in ("first_name", "last_name", "email", "phone", "dob")},
        "u_sample_pairs": 1000,
    }
    error: IdentilinkError | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", identilink.IdentilinkWarning)
        try:
            result = identilink.dedupe(records, settings)
        except IdentilinkError as exc:
            error = exc
    if error is not None:  # the one error this input may earn: a mapped role entirely empty
        assert "no usable values" in str(error)
        return
    assert sorted(result.clusters["record_id"]) == list(range(len(records)))
    assert result.pairs["match_probability"].between(0, 1).all()


@given(
    st.one_of(st.text(max_size=30), st.text(alphabet=" ,.JjrDoeé\t", max_size=14)),
    st.booleans(),
)
def test_display_names_split_or_not_never_one_half(raw: str, initial_last: bool) -> None:
    """Any display name (commas, suffixes, initials, nothing) gives both a given name and a
    surname or neither, never an empty one, and a name that fails is a reject, not an error."""
    from identilink.fragments import FragmentBuilder

    b = FragmentBuilder("call", "1")
    b.name(raw, initial_last=initial_last)
    fragment = b.build()
    split = [fragment.attributes.get(k) for k in ("first_name", "last_name")]
    assert all(split) or not any(split)
    assert "full_name" in fragment.attributes or fragment.rejects or not raw.strip()
