from __future__ import annotations

import pandas as pd
import pytest

from identilink import ConfigurationError, UnknownColumnError
from identilink.roles import (
    default_blocking_rules,
    default_comparisons,
    infer_id_column,
    infer_roles,
)


def test_roles_from_usual_names() -> None:
    frame = pd.DataFrame(
        columns=["rec_id", "given_name", "surname", "date_of_birth", "soc_sec_id", "suburb", "zip"]
    )
    assert infer_roles(frame, id_column="rec_id") == {
        "first_name": "given_name",
        "last_name": "surname",
        "dob": "date_of_birth",
        "city": "suburb",
        "postcode": "zip",
        "national_id": "soc_sec_id",
    }


def test_roles_from_words_of_names_skip_metadata_columns() -> None:
    frame = pd.DataFrame(
        columns=[
            "RECORD_ID",
            "PRIMARY_NAME_FIRST",
            "PRIMARY_NAME_LAST",
            "PRIMARY_NAME_ORG",
            "ADDR_LINE1",
            "ADDR_POSTAL_CODE",
            "ADDR_TYPE",
            "PHONE_TYPE",
            "homePhone",
            "birth_place",
            "PASSPORT_COUNTRY",
        ]
    )
    roles = infer_roles(frame, id_column="RECORD_ID")
    assert roles == {
        "first_name": "PRIMARY_NAME_FIRST",
        "last_name": "PRIMARY_NAME_LAST",
        "phone": "homePhone",
        "street": "ADDR_LINE1",
        "city": "birth_place",
        "postcode": "ADDR_POSTAL_CODE",
    }


def test_roles_from_values() -> None:
    frame = pd.DataFrame(
        {
            "c1": [f"user{i}@example.com" for i in range(10)],
            "c2": [f"(201) 555-01{i:02d}" for i in range(10)],
            "c3": [f"19{60 + i}-01-0{i % 9 + 1}" for i in range(10)],
            "c4": ["blue", "red"] * 5,
        }
    )
    assert infer_roles(frame) == {"email": "c1", "phone": "c2", "dob": "c3"}


def test_overrides_win_and_are_checked() -> None:
    frame = pd.DataFrame(columns=["email", "mail2"])
    assert infer_roles(frame, overrides={"email": "mail2"}) == {"email": "mail2"}
    with pytest.raises(UnknownColumnError):
        infer_roles(frame, overrides={"email": "nope"})
    with pytest.raises(ConfigurationError):
        infer_roles(frame, overrides={"colour": "email"})


def test_id_column() -> None:
    assert infer_id_column(["name", "Unique ID", "x"]) == "Unique ID"
    assert infer_id_column(["name"]) is None


def test_defaults_only_use_present_roles() -> None:
    comparisons = default_comparisons(["first_name", "last_name", "full_name", "email"])
    assert [c.role for c in comparisons] == ["first_name", "last_name", "email"]
    rules = default_blocking_rules(["email", "first_name", "last_name"])
    assert {k.role for r in rules for k in r.keys} <= {"email", "first_name", "last_name"}
    assert default_blocking_rules(["gender", "handle"])
    with pytest.raises(ConfigurationError):
        default_blocking_rules(["gender"])
