from __future__ import annotations

import pytest

from identilink import BlockingRule, Comparison, ConfigurationError, Key, Level, Settings


def _full_settings() -> Settings:
    return Settings(
        id_column="rec_id",
        roles={"first_name": "given_name", "last_name": "surname", "dob": "dob"},
        blocking_rules=[["first_name", "last_name"], "soundex(last_name) & dob"],
        comparisons=[
            Comparison(
                "first_name", [Level("exact"), Level("jaro_winkler", 0.9)], term_frequency=True
            ),
            {"role": "dob", "levels": ["exact", {"kind": "date_distance", "threshold": 30}]},
        ],
        must_link=[["dob", "last_name"]],
        threshold=0.95,
    )


def test_settings_round_trip_json_and_toml() -> None:
    s = _full_settings()
    assert Settings.from_json(s.to_json()) == s
    assert Settings.from_toml(s.to_toml()) == s
    assert Settings.from_toml(Settings().to_toml()) == Settings()


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.threshold = 0.5  # type: ignore[misc]


def test_key_parsing() -> None:
    assert Key.parse("soundex(last_name)") == Key("last_name", "soundex")
    assert Key.parse("first(first_name, 2)") == Key("first_name", "first", 2)
    assert str(Key("first_name", "first", 2)) == "first(first_name, 2)"
    assert str(BlockingRule(["dob", "soundex(last_name)"])) == "dob & soundex(last_name)"


@pytest.mark.parametrize(
    "build",
    [
        lambda: Settings(threshold=1.5),
        lambda: Settings(roles={"favourite_colour": "c"}),
        lambda: Settings(must_link=[["nope"]]),
        lambda: Level("jaro_winkler"),
        lambda: Level("jaro_winkler", 2.0),
        lambda: Level("cosine", 0.5),
        lambda: Key.parse("soundex(last_name"),
        lambda: Key("last_name", "reverse"),
        lambda: Comparison("dob", []),
        lambda: Settings.from_dict({"treshold": 0.5}),
        lambda: Settings.from_json("{not json"),
        lambda: Settings.from_toml("= nope"),
    ],
)
def test_bad_settings_raise_configuration_error(build: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        build()  # type: ignore[operator]
    assert isinstance(info.value, ValueError)


def test_blocking_rule_keys_must_be_a_sequence() -> None:
    with pytest.raises(TypeError, match="BlockingRule"):
        BlockingRule("first_name")  # type: ignore[arg-type]


def test_labels() -> None:
    c = Comparison(
        "first_name", [Level("exact"), Level("jaro_winkler", 0.9), Level("levenshtein", 2)]
    )
    assert c.labels == ("exact", "jaro_winkler >= 0.9", "levenshtein <= 2", "else")
