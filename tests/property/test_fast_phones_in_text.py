"""The plain-text phone finder agrees with phonenumbers' matcher wherever it answers."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from identilink.extract import _fast_phones, _matcher_phones, find_names, find_phones

area = st.from_regex(r"[2-9][0-9]{2}", fullmatch=True)
line = st.from_regex(r"[0-9]{4}", fullmatch=True)
number = st.builds(
    lambda a, b, c, style: style.format(a=a, b=b, c=c),
    area,
    area,
    line,
    st.sampled_from(
        [
            "({a}) {b}-{c}",
            "{a}-{b}-{c}",
            "{a}.{b}.{c}",
            "+1 {a} {b} {c}",
            "{a}{b}{c}",
            "+1{a}{b}{c}",
        ]
    ),
)
word = st.sampled_from(
    ["Mobile:", "call", "me", "on", "Thanks,", "Jane", "Doe", "\n", "-- \n", "or", "(cell)", "x"]
)
piece = st.one_of(word, number, st.text(alphabet="ab 1:,.\n+-()", max_size=6))
texts = st.lists(piece, max_size=12).map(" ".join)


@given(texts, st.sampled_from(["US", "CA"]))
@example("Mobile: 435-568-9466\n", "US")
@example("(200) 310-0000", "US")  # invalid area code: the matcher finds 310-0000 inside
@example("+ (431) 200-0000", "US")  # a stray "+": the matcher reads +43
@example("call (415) 270-4859, or +1 212 736 5000\n", "US")
def test_fast_phone_finder_agrees_with_the_matcher(text: str, region: str) -> None:
    fast = _fast_phones(text, region)
    if fast is None:
        return
    assert fast == list(_matcher_phones(text, region))


@given(texts | st.text(max_size=40), st.sampled_from(["US", "CA", "GB"]))
@example("123456", "US")  # six digits: counted out before any regular expression
@example("tel ٣١٢٥٥٥٠١٩٩٠", "US")  # not ASCII: digits counted by the pattern
def test_find_phones_agrees_with_the_matcher(text: str, region: str) -> None:
    """The whole finder, shortcuts and pre-checks included, finds what the matcher finds."""
    assert list(find_phones(text, region=region)) == list(_matcher_phones(text, region))


intro = st.sampled_from(["my name is", "This Is", "I AM", "i'm", "Name:", "İ am", "ſ", "iS"])
name_texts = st.lists(
    intro | st.sampled_from(["Jane", "doe", "Not", "\n", ",", "x"]) | st.text(max_size=4),
    max_size=8,
).map(" ".join)


@given(name_texts)
@example("hi, this is Jane Doe")
@example("İ am Jane")  # case-insensitive matching of a non-ASCII capital
def test_find_names_agrees_with_the_pattern(text: str) -> None:
    from identilink.extract import _NAME_INTRO

    expected = [
        m.group(1)
        for m in _NAME_INTRO.finditer(text)
        if m.group(1).lower() not in {"not", "a", "the", "just", "still", "having", "trying"}
    ]
    assert list(find_names(text)) == expected
