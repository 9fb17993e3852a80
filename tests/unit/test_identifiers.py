"""Identifier normalisation beyond the batch roles: provider rules, blocklist, nicknames."""

from __future__ import annotations

import pytest

from identilink.fragments import FragmentBuilder
from identilink.normalize import normalize_email, normalize_phone
from identilink.normalize.blocklist import DEFAULT_BLOCKLIST, Blocklist, blocked_reason
from identilink.normalize.names import canonical_given_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("J.Doe+news@googlemail.com", "jdoe@gmail.com"),
        ("jane.doe+shop@outlook.com", "jane.doe@outlook.com"),
        ("jane.doe+shop@company.com", "jane.doe+shop@company.com"),  # unknown provider: kept
    ],
)
def test_provider_rules(raw: str, expected: str) -> None:
    assert normalize_email(raw, provider_rules=True).normalized == expected
    assert normalize_email(raw).normalized == raw.lower()  # off by default


@pytest.mark.parametrize(
    ("kind", "raw", "blocked"),
    [
        ("phone", "000-000-0000", True),
        ("phone", "(212) 555-0199", True),
        ("phone", "123-456-7890", True),
        ("phone", "(415) 270-4859", False),
        ("email", "test@test.com", True),
        ("email", "noreply@shop.com", True),
        ("email", "jane@example.org", True),
        ("email", "jane@gmail.com", False),
    ],
)
def test_default_blocklist(kind: str, raw: str, blocked: bool) -> None:
    value = normalize_phone(raw).e164 if kind == "phone" else normalize_email(raw).normalized
    assert (blocked_reason(kind, value) is not None) is blocked


def test_blocklist_extends() -> None:
    custom = DEFAULT_BLOCKLIST.extend(["+14152704859"], [r"info@.*"])
    assert custom.reason("phone", "+14152704859") == "on the blocklist"
    assert custom.reason("email", "info@acme.com") is not None
    assert Blocklist(defaults=False).reason("email", "test@test.com") is None


def test_nicknames() -> None:
    assert canonical_given_name("bob") == "robert"
    assert canonical_given_name("liz") == "elizabeth"
    assert canonical_given_name("zebedee") == "zebedee"


@pytest.mark.parametrize(
    ("raw", "initial_last", "first", "last"),
    [
        ("Jane Doe", False, "jane", "doe"),
        ("Doe, Jane", False, "jane", "doe"),  # surname first, whatever the channel
        ("Doe, Dr. Jane Ann", False, "jane", "doe"),
        ("Jane Doe, Jr.", False, "jane", "doe"),  # a suffix after the comma is no given name
        ("Jane D.", False, "jane", "d"),  # a given name and a surname's initial
        ("DOE J", True, "j", "doe"),  # a caller-id name: surname, then initial
        ("Jane Doe", True, "jane", "doe"),
    ],
)
def test_display_names_split_into_given_name_and_surname(
    raw: str, initial_last: bool, first: str, last: str
) -> None:
    b = FragmentBuilder("call", "1")
    b.name(raw, initial_last=initial_last)
    fragment = b.build()
    assert (fragment.attributes["first_name"], fragment.attributes["last_name"]) == (first, last)
    assert not fragment.rejects


@pytest.mark.parametrize("raw", [", Jane", "Doe,", ","])
def test_a_comma_with_one_side_empty_is_not_a_surname_first_name(raw: str) -> None:
    b = FragmentBuilder("crm", "1")
    b.name(raw)
    fragment = b.build()
    assert "last_name" not in fragment.attributes
    assert fragment.attributes.get("full_name") or fragment.rejects


def test_fragments_frame_one_row_per_fragment_linkable_values_only() -> None:
    from identilink.fragments import FRAME_COLUMNS, Fragment, Identifier, fragments_frame

    placeholder = Identifier("phone", "+10000000000", "000-000-0000", blocked="placeholder")
    fragments = [
        Fragment(
            "sms",
            "m1",
            identifiers=(placeholder, Identifier("phone", "+12125550143", "212 555 0143")),
            attributes={"full_name": "jane q doe"},
        ),
        Fragment("twitter", "7", identifiers=(Identifier("handle", "twitter:jd", "@jd"),)),
    ]
    frame = fragments_frame(fragments)
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert frame["fragment_id"].tolist() == ["sms:m1", "twitter:7"]
    first = frame.iloc[0]
    assert (first["first_name"], first["last_name"]) == ("jane", "doe")  # split full name
    assert first["phone"] == "+12125550143"  # the placeholder never reaches the table
    assert frame.iloc[1]["handle"] == "twitter:jd"
    assert frame.iloc[1]["email"] is None
