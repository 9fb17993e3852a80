"""Role inference and the automatic settings built from roles.

Roles are inferred from column *names* first (``given_name`` -> ``first_name``), then, for
columns whose name says nothing, from a sample of their *values* (addresses with an ``@`` are
e-mails, strings of 7-15 digits with phone punctuation are phones, parseable dates are dobs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from identilink.config import ROLES, BlockingRule, Comparison, Level
from identilink.errors import ConfigurationError, NormalizationError, UnknownColumnError
from identilink.normalize.dates import normalize_date

__all__ = [
    "ID_ALIASES",
    "default_blocking_rules",
    "default_comparisons",
    "infer_id_column",
    "infer_roles",
]

_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("firstname", "givenname", "forename", "fname", "first", "given"),
    "last_name": ("lastname", "surname", "familyname", "lname", "last", "family"),
    "full_name": ("name", "fullname", "customername", "contactname", "displayname", "person"),
    "email": ("email", "emailaddress", "mail", "emailid"),
    "phone": (
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "telephone",
        "tel",
        "cell",
        "msisdn",
        "callerid",
        "phoneno",
    ),
    "dob": ("dob", "dateofbirth", "birthdate", "birthday", "birthdt"),
    "street_number": ("streetnumber", "housenumber", "streetno", "houseno", "buildingnumber"),
    "street": ("street", "address", "address1", "addressline1", "streetaddress", "addr1"),
    "address_2": ("address2", "addressline2", "addr2"),
    "city": ("city", "town", "suburb", "locality"),
    "postcode": ("postcode", "zip", "zipcode", "postalcode", "postal"),
    "state": ("state", "province", "region", "county"),
    "country": ("country", "countrycode", "nation"),
    "gender": ("gender", "sex"),
    "national_id": ("nationalid", "ssn", "socsecid", "socialsecuritynumber", "nin", "taxid"),
    "handle": ("handle", "username", "screenname", "twitter", "twitterhandle"),
}
_ALIAS_TO_ROLE = {alias: role for role, aliases in _ALIASES.items() for alias in aliases}
#: Column names taken as the record id when no id column is given (normalised spelling).
ID_ALIASES = ("recordid", "recid", "uniqueid", "id", "uid", "customerid", "contactid", "recordkey")

_EMAIL_RE = re.compile(r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$")
_PHONE_RE = re.compile(r"^\s*\+?[\d\s().\-/]{7,20}\s*$")


def _squash(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def infer_id_column(columns: Sequence[str]) -> str | None:
    """The first column whose name is a usual record-id name, or ``None``."""
    by_name = {_squash(c): c for c in reversed(list(columns))}
    for alias in ID_ALIASES:
        if alias in by_name:
            return by_name[alias]
    return None


_META_TOKENS = frozenset(
    {"type", "status", "category", "amount", "flag", "count", "org", "organisation"}
    | {"organization", "native", "secondary", "middle", "passport", "license", "licence"}
    | {"drivers", "driver", "relationship", "source", "updated", "created"}
)


def _tokens(name: str) -> frozenset[str]:
    """``PRIMARY_NAME_FIRST`` -> {primary, name, first}; ``homePhone`` -> {home, phone}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return frozenset(t for t in re.split(r"[^0-9a-z]+", spaced.lower()) if t)


def _role_from_tokens(t: frozenset[str]) -> str | None:
    """Role from the words of a column name, most specific rules first."""
    if t & _META_TOKENS:
        return None
    if t & {"email", "mail"}:
        return "email"
    if t & {"phone", "tel", "telephone", "mobile", "cell", "msisdn", "callerid"}:
        return "phone"
    if ("birth" in t and t & {"date", "dt", "day"}) or t & {"dob", "birthdate", "birthday"}:
        return "dob"
    if t & {"ssn", "nin"} or {"social", "security"} <= t or {"national", "id"} <= t:
        return "national_id"
    if t & {"postcode", "zip", "zipcode", "postal"}:
        return "postcode"
    if t & {"city", "town", "suburb", "locality"} or {"birth", "place"} <= t:
        return "city"
    if t & {"state", "province", "county"}:
        return "state"
    if "country" in t:
        return "country"
    if t & {"gender", "sex"}:
        return "gender"
    if t & {"handle", "username", "screenname", "twitter"}:
        return "handle"
    if t & {"street", "house", "building"} and t & {"number", "no", "num", "nr"}:
        return "street_number"
    if t & {"line2", "address2", "addr2"} or ("line" in t and "2" in t):
        return "address_2"
    if t & {"first", "given", "forename", "fname"}:
        return "first_name"
    if t & {"last", "surname", "family", "lname"}:
        return "last_name"
    if "name" in t and not t & {"user", "screen", "file", "company", "business"}:
        return "full_name"
    if t & {"street", "address", "addr", "line1", "address1"} and "full" not in t:
        return "street"
    return None


def _share(values: pd.Series, pattern: re.Pattern[str]) -> float:
    text = values.astype(str)
    return float(text.str.match(pattern).mean()) if len(text) else 0.0


def _looks_like_dates(values: pd.Series) -> bool:
    ok = 0
    for v in values:
        try:
            normalize_date(v)
            ok += 1
        except NormalizationError:
            pass
    return len(values) > 0 and ok / len(values) >= 0.8


def _role_from_values(values: pd.Series) -> str | None:
    sample = values.dropna()
    sample = sample[sample.astype(str).str.strip() != ""].head(200)
    if len(sample) < 5:
        return None
    if _share(sample, _EMAIL_RE) >= 0.8:
        return "email"
    text = sample.astype(str)
    digits = text.str.count(r"\d")
    if text.str.contains(r"\d").mean() >= 0.8 and _looks_like_dates(sample):
        return "dob"
    if _share(sample, _PHONE_RE) >= 0.8 and float((digits >= 7).mean()) >= 0.8:
        has_punct = float(text.str.contains(r"[\s().\-+]").mean())
        if has_punct >= 0.5 or float((digits >= 10).mean()) >= 0.8:
            return "phone"
    return None


def infer_roles(
    frame: pd.DataFrame,
    /,
    *,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Guess role -> column for ``frame``; ``overrides`` (role -> column) win and are checked.

    Three passes, each role taken once: usual column names (``surname``), then the words of
    a name (``PRIMARY_NAME_LAST``, ``postcode_fake``), then the values of columns still unnamed.
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(ROLES))
    if unknown:
        raise ConfigurationError(f"unknown role(s) {unknown}; expected roles from {list(ROLES)}")
    missing = sorted({c for c in overrides.values() if c not in frame.columns})
    if missing:
        raise UnknownColumnError(
            f"column(s) {missing} not in the input; it has {list(frame.columns)}"
        )
    roles: dict[str, str] = {}
    taken = set(overrides.values()) | ({id_column} if id_column else set())
    guessers: list[Callable[[str], str | None]] = [
        lambda column: _ALIAS_TO_ROLE.get(_squash(column)),
        lambda column: _role_from_tokens(_tokens(column)),
        lambda column: _role_from_values(frame[column]),
    ]
    for guess in guessers:
        for column in frame.columns:
            if column in taken or not isinstance(column, str) or _squash(column) in ID_ALIASES:
                continue
            role = guess(column)
            if role is not None and role not in roles and role not in overrides:
                roles[role] = column
                taken.add(column)
    roles.update(overrides)
    return {role: roles[role] for role in ROLES if role in roles}


# -- automatic comparisons and blocking ---------------------------------------------------


def _name_levels(other: str | None, *, given: bool = False) -> list[Level]:
    levels = [Level("exact"), Level("nickname")] if given else [Level("exact")]
    if other is not None:
        levels.append(Level("swapped", other=other))
    levels += [Level("jaro_winkler", 0.92), Level("jaro_winkler", 0.8)]
    return levels


def default_comparisons(roles: Sequence[str]) -> tuple[Comparison, ...]:
    """One comparison per role present, with levels that suit the role."""
    present = set(roles)
    both_names = {"first_name", "last_name"} <= present
    table: dict[str, Comparison] = {
        "first_name": Comparison(
            "first_name",
            _name_levels("last_name" if both_names else None, given=True),
            term_frequency=True,
        ),
        "last_name": Comparison(
            "last_name", _name_levels("first_name" if both_names else None), term_frequency=True
        ),
        "full_name": Comparison(
            "full_name",
            [Level("exact"), Level("token_sort", 0.9), Level("jaro_winkler", 0.88)],
            term_frequency=True,
        ),
        # With both names present, a shared local part (jane.doe@ at two providers) or a
        # similar address mostly repeats the names' evidence: Fellegi-Sunter would count it
        # twice and link namesakes, so only exact and typo-close addresses count then.
        "email": Comparison(
            "email",
            [Level("exact"), Level("levenshtein", 2)]
            if both_names
            else [
                Level("exact"),
                Level("email_local"),
                Level("jaro_winkler", 0.88),
                Level("levenshtein", 2),
            ],
        ),
        "phone": Comparison(
            "phone",
            [
                Level("exact"),
                Level("phone_nsn"),
                Level("phone_short_nsn"),
                Level("levenshtein", 1),
            ],
        ),
        "dob": Comparison(
            "dob",
            [
                Level("exact"),
                Level("damerau_levenshtein", 1),
                Level("levenshtein", 2),
                Level("date_distance", 366),
            ],
        ),
        "street_number": Comparison(
            "street_number", [Level("exact"), Level("damerau_levenshtein", 1)]
        ),
        "street": Comparison(
            "street", [Level("exact"), Level("jaro_winkler", 0.9), Level("jaro_winkler", 0.8)]
        ),
        "address_2": Comparison(
            "address_2", [Level("exact"), Level("jaro_winkler", 0.9), Level("jaro_winkler", 0.8)]
        ),
        "city": Comparison(
            "city", [Level("exact"), Level("jaro_winkler", 0.9)], term_frequency=True
        ),
        "postcode": Comparison("postcode", [Level("exact"), Level("damerau_levenshtein", 1)]),
        "state": Comparison("state", [Level("exact")]),
        "country": Comparison("country", [Level("exact")]),
        "gender": Comparison("gender", [Level("exact")]),
        "national_id": Comparison(
            "national_id",
            [Level("exact"), Level("damerau_levenshtein", 1), Level("levenshtein", 2)],
        ),
        "handle": Comparison("handle", [Level("exact"), Level("jaro_winkler", 0.9)]),
    }
    if both_names:
        # a full name restates first and last name: comparing it too would count the same
        # evidence twice (Fellegi-Sunter assumes comparisons independent given match status)
        present.discard("full_name")
    if "postcode" in present:
        # likewise a postcode mostly implies its city and state
        present -= {"city", "state"}
    return tuple(table[r] for r in ROLES if r in present)


_DEFAULT_RULES: tuple[tuple[str, ...], ...] = (
    ("national_id",),
    ("email",),
    ("phone",),
    ("handle",),
    ("first_name", "last_name"),
    ("full_name",),
    ("dob", "soundex(last_name)"),
    ("dob", "first(first_name, 1)"),
    ("dob", "postcode"),
    ("postcode", "street_number"),
    ("postcode", "soundex(last_name)"),
    ("postcode", "soundex(first_name)"),
    ("street", "street_number"),
    ("first_name", "city"),
    ("last_name", "city"),
    ("first_name", "dob"),
    ("last_name", "dob"),
    ("email_local(email)",),
    ("digits_last(phone)",),
    ("dob", "soundex(full_name)"),
    ("postcode", "soundex(full_name)"),
)


def default_blocking_rules(roles: Sequence[str]) -> tuple[BlockingRule, ...]:
    """The OR of usual rules whose roles are all present; never empty for usable roles."""
    present = set(roles)
    rules = []
    for spec in _DEFAULT_RULES:
        rule = BlockingRule(spec)
        if all(k.role in present for k in rule.keys):
            rules.append(rule)
    if not rules:
        # Roles with no usual rule: block on each role that discriminates on its own.
        rules = [BlockingRule((r,)) for r in roles if r not in {"gender", "state", "country"}]
    if not rules:
        raise ConfigurationError(
            f"cannot choose blocking rules for roles {sorted(present)}: give blocking_rules"
        )
    return tuple(rules)
