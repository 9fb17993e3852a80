"""Settings: frozen attrs value objects that round-trip through dicts, JSON and TOML.

A :class:`Settings` says which input column plays which *role* (``first_name``, ``email``, ...),
how to block, how to compare, and the threshold. Everything is plain data so that a settings
file written today can be read back tomorrow::

    settings = Settings.from_toml(Path("settings.toml").read_text())
    Path("copy.json").write_text(settings.to_json())
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import attrs
import tomli_w

from identilink.errors import ConfigurationError

__all__ = [
    "LEVEL_KINDS",
    "ROLES",
    "BlockingRule",
    "Comparison",
    "Key",
    "Level",
    "Settings",
]

#: The roles a column can play. Each has a normaliser and a default comparison.
ROLES: tuple[str, ...] = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "dob",
    "street_number",
    "street",
    "address_2",
    "city",
    "postcode",
    "state",
    "country",
    "gender",
    "national_id",
    "handle",
)

LevelKind = Literal[
    "exact",
    "jaro_winkler",
    "jaro",
    "levenshtein",
    "damerau_levenshtein",
    "token_sort",
    "date_distance",
    "numeric_distance",
    "email_local",
    "swapped",
    "nickname",
    "phone_nsn",
    "phone_short_nsn",
]
#: Level kinds and what their ``threshold`` means.
LEVEL_KINDS: dict[str, str] = {
    "exact": "values are equal (no threshold)",
    "jaro_winkler": "Jaro-Winkler similarity >= threshold (0-1)",
    "jaro": "Jaro similarity >= threshold (0-1)",
    "levenshtein": "Levenshtein distance <= threshold (edits)",
    "damerau_levenshtein": "Damerau-Levenshtein distance <= threshold (edits, transpositions)",
    "token_sort": "token-sort ratio >= threshold (0-1): word order ignored",
    "date_distance": "dates at most threshold days apart",
    "numeric_distance": "numbers at most threshold apart",
    "email_local": "the local parts (before @) of two e-mails are equal (no threshold)",
    "swapped": "value equals the other record's `other` role value, crosswise (no threshold)",
    "nickname": "given names equal after nicknames (bob = robert) (no threshold)",
    "phone_nsn": "national numbers equal, country codes differ: phonenumbers' NSN_MATCH, as when "
    "a source's default region assumed the wrong country (no threshold)",
    "phone_short_nsn": "one national number ends the other (a number typed without its area "
    "code): phonenumbers' SHORT_NSN_MATCH (no threshold)",
}
_NO_THRESHOLD = frozenset(
    {"exact", "email_local", "swapped", "nickname", "phone_nsn", "phone_short_nsn"}
)
_NEEDS_THRESHOLD = frozenset(LEVEL_KINDS) - _NO_THRESHOLD
_SIMILARITY_KINDS = frozenset({"jaro_winkler", "jaro", "token_sort"})


def _check_kind(instance: Level, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in LEVEL_KINDS:
        raise ConfigurationError(
            f"unknown comparison level kind {value!r}; expected one of {sorted(LEVEL_KINDS)}"
        )


@attrs.frozen
class Level:
    """One comparison level: a test that two values pass or fail.

    The null level (either value missing) and the else level (no test passed) are implicit.
    """

    kind: str = attrs.field(validator=_check_kind)
    threshold: float | None = None
    #: For ``swapped``: the role whose value is compared crosswise.
    other: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind in _NEEDS_THRESHOLD and self.threshold is None:
            raise ConfigurationError(f"level {self.kind!r} needs a threshold")
        if self.kind in _SIMILARITY_KINDS and not 0 <= float(self.threshold or 0) <= 1:
            raise ConfigurationError(f"level {self.kind!r} threshold must be within [0, 1]")
        if self.threshold is not None and self.threshold < 0:
            raise ConfigurationError(f"level {self.kind!r} threshold must not be negative")
        if self.kind == "swapped" and not self.other:
            raise ConfigurationError("level 'swapped' needs `other`, the role to compare with")

    @property
    def label(self) -> str:
        if self.kind == "swapped":
            return f"swapped with {self.other}"
        if self.threshold is None:
            return self.kind
        op = ">=" if self.kind in _SIMILARITY_KINDS else "<="
        return f"{self.kind} {op} {self.threshold:g}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.threshold is not None:
            out["threshold"] = self.threshold
        if self.other is not None:
            out["other"] = self.other
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Level:
        if isinstance(data, str):
            return cls(kind=data)
        return cls(
            kind=data["kind"],
            threshold=None if data.get("threshold") is None else float(data["threshold"]),
            other=data.get("other"),
        )


def _to_levels(levels: Sequence[Level | Mapping[str, Any] | str]) -> tuple[Level, ...]:
    return tuple(lv if isinstance(lv, Level) else Level.from_dict(lv) for lv in levels)


@attrs.frozen
class Comparison:
    """How one role is compared: ordered levels, most similar first.

    ``term_frequency`` scales the weight of an exact agreement by how common the value is
    (agreeing on "smith" says less than agreeing on "zabrowski").
    """

    role: str
    levels: tuple[Level, ...] = attrs.field(converter=_to_levels)
    term_frequency: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.levels:
            raise ConfigurationError(f"comparison {self.role!r} needs at least one level")

    @property
    def labels(self) -> tuple[str, ...]:
        """Level labels, index == gamma; the else level is last, null is gamma -1."""
        return (*(lv.label for lv in self.levels), "else")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "levels": [lv.to_dict() for lv in self.levels]}
        if self.term_frequency:
            out["term_frequency"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        return cls(
            role=data["role"],
            levels=data["levels"],
            term_frequency=bool(data.get("term_frequency", False)),
        )


_KEY_RE = re.compile(r"^\s*(?:(\w+)\(\s*(\w+)\s*(?:,\s*(\d+)\s*)?\)|(\w+))\s*$")


@attrs.frozen
class Key:
    """A blocking key: a role, optionally through a transform (``soundex(last_name)``)."""

    TRANSFORMS: ClassVar[dict[str, str]] = {
        "soundex": "Soundex code",
        "metaphone": "Metaphone code",
        "nysiis": "NYSIIS code",
        "first": "first N characters (default 3)",
        "last": "last N characters (default 3)",
        "year": "year of a date",
        "month_day": "month and day of a date",
        "email_local": "local part of an e-mail",
        "email_domain": "domain of an e-mail",
        "digits_last": "last N digits (default 7), e.g. of a phone",
        "nickname": "given name with nicknames made canonical (bob -> robert)",
        "nsn": "national significant number of an E.164 phone",
        "qgrams": "every N-character piece (default 3): records sharing any piece",
        "tokens": "every word: records sharing any word",
        "minhash": "LSH band keys of the words (N bands, default 16, of 2 MinHashes each)",
        "window": "sorted neighbourhood: records within N places (default 5) in key order",
    }
    #: transforms giving a record several keys; a rule pairs records sharing any of them
    MULTI: ClassVar[frozenset[str]] = frozenset({"qgrams", "tokens", "minhash"})

    role: str
    transform: str | None = None
    arg: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.transform is not None and self.transform not in self.TRANSFORMS:
            raise ConfigurationError(
                f"unknown blocking transform {self.transform!r}; "
                f"expected one of {sorted(self.TRANSFORMS)}"
            )
        if self.arg is not None and self.arg < (2 if self.transform == "window" else 1):
            raise ConfigurationError(f"blocking key {self}: the number must be larger")

    @classmethod
    def parse(cls, text: str) -> Key:
        m = _KEY_RE.match(text)
        if m is None:
            raise ConfigurationError(
                f"cannot read blocking key {text!r}: write a role like 'last_name' "
                "or a transform like 'soundex(last_name)' or 'first(first_name, 3)'"
            )
        if m[4]:
            return cls(role=m[4])
        return cls(role=m[2], transform=m[1], arg=int(m[3]) if m[3] else None)

    def __str__(self) -> str:
        if self.transform is None:
            return self.role
        arg = "" if self.arg is None else f", {self.arg}"
        return f"{self.transform}({self.role}{arg})"

    @property
    def kind(self) -> str:
        """``equal`` (one key per record), ``multi`` (several) or ``window``."""
        if self.transform in self.MULTI:
            return "multi"
        return "window" if self.transform == "window" else "equal"


def _to_keys(keys: Sequence[Key | str]) -> tuple[Key, ...]:
    if isinstance(keys, str):
        raise TypeError(f"BlockingRule keys must be a sequence, e.g. BlockingRule(({keys!r},))")
    return tuple(k if isinstance(k, Key) else Key.parse(k) for k in keys)


@attrs.frozen
class BlockingRule:
    """Records are candidates when all keys are equal and non-null. Rules are OR-ed."""

    keys: tuple[Key, ...] = attrs.field(converter=_to_keys)

    def __attrs_post_init__(self) -> None:
        if not self.keys:
            raise ConfigurationError("a blocking rule needs at least one key")
        special = [str(k) for k in self.keys if k.kind != "equal"]
        if len(special) > 1:
            raise ConfigurationError(
                f"a blocking rule takes at most one multi-valued or window key, not "
                f"{' and '.join(special)}: write them as separate rules"
            )

    @property
    def kind(self) -> str:
        """``equal``, ``multi`` or ``window``: how the rule makes pairs."""
        return next((k.kind for k in self.keys if k.kind != "equal"), "equal")

    def __str__(self) -> str:
        return " & ".join(str(k) for k in self.keys)

    def to_list(self) -> list[str]:
        return [str(k) for k in self.keys]


def _to_rules(rules: Sequence[BlockingRule | Sequence[str] | str]) -> tuple[BlockingRule, ...]:
    out = []
    for r in rules:
        if isinstance(r, BlockingRule):
            out.append(r)
        elif isinstance(r, str):
            out.append(BlockingRule(tuple(p for p in r.split("&"))))
        else:
            out.append(BlockingRule(tuple(r)))
    return tuple(out)


def _to_comparisons(
    comparisons: Sequence[Comparison | Mapping[str, Any]],
) -> tuple[Comparison, ...]:
    return tuple(c if isinstance(c, Comparison) else Comparison.from_dict(c) for c in comparisons)


def _to_roles(roles: Mapping[str, str]) -> dict[str, str]:
    roles = dict(roles)
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ConfigurationError(f"unknown role(s) {unknown}; expected roles from {list(ROLES)}")
    return roles


def parse_json(text: str, error: type[Exception], what: str) -> Any:
    """``json.loads`` whose failure raises ``error("<what> is not valid JSON: ...")``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{what} is not valid JSON: {exc}") from None


def _to_role_sets(rules: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(r) for r in rules)


def _check_probability(instance: Settings, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ConfigurationError(f"{attribute.name} must be strictly between 0 and 1, got {value}")


@attrs.frozen
class Settings:
    """Everything a run needs besides the data. Missing parts are inferred from the data.

    - ``roles`` maps role -> column name; ``None`` means infer roles from the data.
    - ``blocking_rules`` and ``comparisons``: ``None`` means choose defaults for the roles.
    - ``must_link``: roles that, all equal and non-null, link two records whatever the model says.
    - ``threshold``: match probability at or above which two records are linked.
    - ``max_pairs_per_record``: a *default* blocking rule (``blocking_rules=None``) that alone
      would make more than this many pairs per record is left out (common names in a large
      file); the report lists what was left out. Rules you give are always kept.
    """

    id_column: str | None = None
    roles: dict[str, str] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_roles)
    )
    blocking_rules: tuple[BlockingRule, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_rules)
    )
    comparisons: tuple[Comparison, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_to_comparisons)
    )
    must_link: tuple[tuple[str, ...], ...] = attrs.field(default=(), converter=_to_role_sets)
    threshold: float = attrs.field(default=0.9, validator=_check_probability)
    default_region: str = "US"
    dayfirst: bool = True
    max_block_size: int = 5000
    max_pairs_per_record: float = 10.0
    u_sample_pairs: int = 100_000
    em_max_iterations: int = 100
    em_tolerance: float = 1e-7
    seed: int = 42

    def __attrs_post_init__(self) -> None:
        if self.max_block_size < 2:
            raise ConfigurationError("max_block_size must be at least 2")
        if not self.max_pairs_per_record > 0:
            raise ConfigurationError("max_pairs_per_record must be positive")
        if self.u_sample_pairs < 1000:
            raise ConfigurationError("u_sample_pairs must be at least 1000")
        for rule in self.must_link:
            if not rule:
                raise ConfigurationError("a must_link rule needs at least one role")
            bad = sorted(set(rule) - set(ROLES))
            if bad:
                raise ConfigurationError(f"must_link names unknown role(s) {bad}")

    # -- serialisation -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data; ``None`` parts are left out (TOML has no null)."""
        out: dict[str, Any] = {}
        if self.id_column is not None:
            out["id_column"] = self.id_column
        if self.roles is not None:
            out["roles"] = dict(self.roles)
        if self.blocking_rules is not None:
            out["blocking_rules"] = [r.to_list() for r in self.blocking_rules]
        if self.comparisons is not None:
            out["comparisons"] = [c.to_dict() for c in self.comparisons]
        out["must_link"] = [list(r) for r in self.must_link]
        for name in (
            "threshold",
            "default_region",
            "dayfirst",
            "max_block_size",
            "max_pairs_per_record",
            "u_sample_pairs",
            "em_max_iterations",
            "em_tolerance",
            "seed",
        ):
            out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigurationError(f"unknown setting(s) {unknown}; expected {sorted(known)}")
        try:
            return cls(**data)
        except (TypeError, KeyError) as exc:
            raise ConfigurationError(f"invalid settings: {exc}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return cls.from_dict(parse_json(text, ConfigurationError, "settings"))

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> Settings:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"settings are not valid TOML: {exc}") from None
        return cls.from_dict(data)
