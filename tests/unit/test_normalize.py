from __future__ import annotations

import pandas as pd
import pytest

from identilink.errors import NormalizationError
from identilink.normalize import (
    normalize_column,
    normalize_date,
    normalize_email,
    normalize_gender,
    normalize_handle,
    normalize_name,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    normalize_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Dr. José  O'Brien Jr. ", "jose obrien"),
        ("MÜLLER", "muller"),
        ("mary-jane", "mary jane"),
        ("Mr", "mr"),  # a lone honorific is kept rather than emptied
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "!!!"])
def test_empty_text_is_an_error(raw: str) -> None:
    with pytest.raises(NormalizationError):
        normalize_text(raw)


def test_normalize_street_abbreviates() -> None:
    assert normalize_street("12 Wallaby Place") == "12 wallaby pl"


def test_normalize_postcode_and_numbers() -> None:
    assert normalize_postcode(" sw1a 1aa ") == "SW1A1AA"
    assert normalize_postcode(2119.0) == "2119"


def test_normalize_email() -> None:
    email = normalize_email(" Jane.Doe@Example.COM ")
    assert email.normalized == "jane.doe@example.com"
    assert email.local_part == "jane.doe"
    assert email.original == " Jane.Doe@Example.COM "
    assert normalize_email("a@bücher.de").domain == "xn--bcher-kva.de"


@pytest.mark.parametrize("raw", ["no-at-sign", "a@b", "two@@example.com", 5])
def test_bad_email_is_normalization_error(raw: object) -> None:
    with pytest.raises(NormalizationError) as info:
        normalize_email(raw)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(201) 555-0123", "US", "+12015550123"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        (2015550123, "US", "+12015550123"),
    ],
)
def test_normalize_phone(raw: object, region: str, expected: str) -> None:
    assert normalize_phone(raw, region=region).e164 == expected


@pytest.mark.parametrize("raw", ["12", "not a phone", "+1 555"])
def test_bad_phone(raw: str) -> None:
    with pytest.raises(NormalizationError):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "dayfirst", "expected"),
    [
        ("19560409", True, "1956-04-09"),
        ("1956-04-09", True, "1956-04-09"),
        ("09/04/1956", True, "1956-04-09"),
        ("04/09/1956", False, "1956-04-09"),
        ("13/02/2000", False, "2000-02-13"),
        ("3 Feb 2001", True, "2001-02-03"),
        ("Feb 3, 2001", True, "2001-02-03"),
        ("1/2/99", True, "1999-02-01"),
    ],
)
def test_normalize_date(raw: str, dayfirst: bool, expected: str) -> None:
    assert normalize_date(raw, dayfirst=dayfirst) == expected


@pytest.mark.parametrize("raw", ["19561341", "2001-02-30", "yesterday", "3 Foo 2001"])
def test_bad_date(raw: str) -> None:
    with pytest.raises(NormalizationError):
        normalize_date(raw)


def test_gender_and_handle() -> None:
    assert normalize_gender("Female") == "f"
    assert normalize_handle("@JaneDoe") == "janedoe"
    with pytest.raises(NormalizationError):
        normalize_gender("banana")
    with pytest.raises(NormalizationError):
        normalize_handle("two words")


def test_normalize_column_counts_rejects_and_keeps_going() -> None:
    values = pd.Series(["a@b.com", "bad", None, "", " A@B.com", "bad"])
    out, report = normalize_column(
        values, lambda v: normalize_email(v).normalized, column="mail", role="email"
    )
    assert out.tolist() == ["a@b.com", None, None, None, "a@b.com", None]
    assert report.n_invalid == 2
    assert report.n_null == 2
    assert report.examples[0][0] == "bad"
