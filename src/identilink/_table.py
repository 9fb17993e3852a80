"""The prepared table: ids plus one normalised column per role, with cached integer codes.

Everything downstream (blocking, comparisons, term frequencies) works on integer codes of
normalised values, so each distinct string is handled once.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import jellyfish
import numpy as np
import numpy.typing as npt
import pandas as pd

from identilink import _kernels
from identilink.config import Key, Settings
from identilink.errors import InputDataError, NormalizationError, UnknownColumnError
from identilink.normalize import (
    ColumnReport,
    normalize_date,
    normalize_email,
    normalize_gender,
    normalize_handle,
    normalize_id,
    normalize_name,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    normalize_text,
)
from identilink.normalize._bulk import bulk_emails, bulk_phones, bulk_streets
from identilink.normalize._column import ValueSets, decode, normalized_value_sets
from identilink.normalize.blocklist import blocked_reason
from identilink.normalize.email import quick_normalized
from identilink.normalize.names import canonical_given_name
from identilink.normalize.phone import national_number, quick_e164

__all__ = ["IdentilinkWarning", "Table", "normalizer_for", "prepare"]

Codes = npt.NDArray[np.int64]
Strings = npt.NDArray[np.object_]


_T = TypeVar("_T")


class IdentilinkWarning(UserWarning):
    """Something the user should know that does not stop the run (oversized blocks, ...)."""


def _not_placeholder(kind: str, value: str, raw: object) -> str:
    """Placeholder identifiers (test@test.com, 000-000-0000) never link: they become null."""
    reason = blocked_reason(kind, value)
    if reason is not None:
        raise NormalizationError(raw, f"placeholder ({reason})")
    return value


def normalizer_for(role: str, settings: Settings) -> Callable[[object], str]:
    """The scalar normaliser used for ``role``."""
    if role in {"first_name", "last_name", "full_name"}:
        return normalize_name
    if role == "email":
        return lambda v: _not_placeholder("email", normalize_email(v).normalized, v)
    if role == "phone":
        region = settings.default_region
        return lambda v: _not_placeholder("phone", normalize_phone(v, region=region).e164, v)
    if role == "dob":
        dayfirst = settings.dayfirst
        return lambda v: normalize_date(v, dayfirst=dayfirst)
    if role == "street":
        return normalize_street
    if role == "postcode":
        return normalize_postcode
    if role == "national_id":
        return normalize_id
    if role == "gender":
        return normalize_gender
    if role == "handle":
        return normalize_handle
    return normalize_text


def quick_normalizer_for(role: str, settings: Settings) -> Callable[[object], str | None] | None:
    """The one-step common case of :func:`normalizer_for` (placeholders included), if the
    role has one: ``None`` from it sends a value through the full normaliser."""
    if role == "email":
        return quick_normalized
    if role == "phone":
        region = settings.default_region
        return lambda v: quick_e164(v, region)
    return None


def _bulk_normalizer_for(
    role: str, settings: Settings
) -> Callable[[Strings], npt.NDArray[np.object_]] | None:
    """The whole-column fast path of a role's normaliser, if it has one."""
    if role == "email":
        return bulk_emails
    if role == "phone":
        region = settings.default_region
        return lambda values: bulk_phones(values, region)
    if role == "street":
        return bulk_streets
    return None


def _soundex(v: str) -> str:
    return str(jellyfish.soundex(v))


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")


def _digits(v: str) -> str:
    """The digits of ``v`` (``str.isdigit``'s, which for ASCII text are 0-9)."""
    if v.isascii():
        if v[1:].isdigit() and (v[:1] == "+" or v[:1].isdigit()):  # E.164 or plain digits
            return v.lstrip("+")
        return _NOT_ASCII_DIGIT.sub("", v)
    return "".join(c for c in v if c.isdigit())


def _transform(key: Key) -> Callable[[str], str | None]:
    t, n = key.transform, key.arg
    if t == "soundex":
        return _soundex
    if t == "metaphone":
        return lambda v: str(jellyfish.metaphone(v)) or None
    if t == "nysiis":
        return lambda v: str(jellyfish.nysiis(v)) or None
    if t == "first":
        k = n or 3
        return lambda v: v[:k]
    if t == "last":
        k = n or 3
        return lambda v: v[-k:]
    if t == "year":
        return lambda v: v[:4]
    if t == "month_day":
        return lambda v: v[5:10] or None
    if t == "email_local":
        return lambda v: v.rpartition("@")[0] or None
    if t == "email_domain":
        return lambda v: v.rpartition("@")[2] or None
    if t == "nickname":
        return canonical_given_name
    if t == "nsn":
        return national_number.__wrapped__  # once per distinct value: its cache only costs
    if t == "digits_last":
        k = n or 7
        return lambda v: _digits(v)[-k:] or None
    raise AssertionError(t)  # pragma: no cover - Key validates transforms


_PARALLEL_ROWS = 100_000  # fewer rows: a thread pool costs more than it saves


def _factorize(values: Strings) -> tuple[Codes, Strings]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


class Table:
    """Normalised role columns of ``n`` records (for ``link``: left rows first, then right)."""

    def __init__(
        self,
        ids: npt.NDArray[Any],
        values: Mapping[str, Strings],
        reports: list[ColumnReport],
        *,
        source: npt.NDArray[np.int8] | None = None,
        codes: Mapping[str, tuple[Codes, Strings]] | None = None,
        value_sets: Mapping[str, ValueSets] | None = None,
    ) -> None:
        self.ids = ids
        #: per role, each record's value (its first, where it holds several)
        self.values = dict(values)
        self.reports = reports
        #: per multi-valued role: ``(record, code)`` of every value of the records that hold
        #: more than one (the roles whose cells never do are absent)
        self.value_sets: dict[str, ValueSets] = dict(value_sets or {})
        #: 0 for left, 1 for right in link mode; ``None`` when deduplicating.
        self.source = source
        #: per record of the input, its row here when the records were reordered
        #: (:meth:`take`); ``None`` when they are in the input's order
        self.rows_of_input: Codes | None = None
        #: codes and distinct values per role, then per key; ``codes`` given by prepare
        self._codes: dict[str, tuple[Codes, Strings]] = dict(codes or {})
        self._rule_codes: dict[str, Codes] = {}
        # per-table, not functools.cache on the methods: that kept every table of a
        # long-lived process alive
        self._memo: dict[tuple[str, str, str], Any] = {}

    def drop_caches(self, *, keep_roles: bool = False) -> None:
        """Forget the codes computed so far (they are recomputed on demand): a run frees
        them before it builds its results, keeping the roles' own (``keep_roles``), which
        golden records use."""
        kept = {r: self._codes[r] for r in self.values if r in self._codes} if keep_roles else {}
        self._codes.clear()
        self._codes.update(kept)
        self._rule_codes.clear()
        self._memo.clear()

    def take(self, order: Codes) -> Table:
        """The records in ``order`` (a permutation of them) as a new table. Each role's
        codes are renumbered in order of first appearance, as :meth:`codes` numbers them,
        so records near each other have values near each other too (the comparing kernels
        read a value's row per pair, and the rows of a block's records then share cache
        lines). The keys' codes and the rules' codes computed so far are carried over,
        renumbered alike (the keys' transforms ran per value in Python), other caches not.
        """
        where = np.empty_like(order)
        where[order] = np.arange(len(order))
        codes: dict[str, tuple[Codes, Strings]] = {}
        value_sets: dict[str, ValueSets] = {}
        old_values: dict[str, Codes] = {}  # per role, per new value number its old one
        for role in self.values:
            old, uniques = self.codes(role)
            new, old_of_new = _first_appearance(old[order], len(uniques))
            old_values[role] = old_of_new
            codes[role] = (new, uniques[old_of_new])
            several = self.value_sets.get(role)
            if several is not None:
                new_of_old = np.empty(len(uniques), dtype=np.int64)
                new_of_old[old_of_new] = np.arange(len(uniques))
                rows, values = several
                at = where[rows]
                by_record = np.argsort(at, kind="stable")  # a record's values keep their order
                value_sets[role] = (at[by_record], new_of_old[values[by_record]])
        taken = Table(
            self.ids[order],
            {role: values[order] for role, values in self.values.items()},
            self.reports,
            source=None if self.source is None else self.source[order],
            codes=codes,
            value_sets=value_sets,
        )
        taken.rows_of_input = where if self.rows_of_input is None else where[self.rows_of_input]
        for (what, name, role), computed in list(self._memo.items()):
            if what != "value keys" or role not in old_values:
                continue
            per_value, key_uniques = computed
            # first appearance over the values is first appearance over the records (values
            # are numbered by their first record)
            keys, old_of_new = _first_appearance(per_value[old_values[role]], len(key_uniques))
            taken._memo[(what, name, role)] = (np.append(keys, -1), key_uniques[old_of_new])
        for name, rule in self._rule_codes.items():
            moved = rule[order]
            width = int(moved.max()) + 1 if len(moved) else 0
            taken._rule_codes[name] = _first_appearance(moved, width)[0]
        return taken

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def roles(self) -> list[str]:
        return list(self.values)

    def codes(self, role: str) -> tuple[Codes, Strings]:
        """Integer codes (``-1`` for null) and the distinct normalised values of ``role``."""
        if role not in self._codes:
            self._codes[role] = _factorize(self.values[role])
        return self._codes[role]

    def key_codes(self, key: Key) -> Codes:
        """Integer codes of a blocking key; the transform runs once per distinct value."""
        name = str(key)
        if name not in self._codes:
            codes, uniques = self.codes(self._role_of(key))
            if key.transform is None:
                self._codes[name] = (codes, uniques)
            else:
                per_value, key_uniques = self._value_keys(key)
                # every record through its value's key (-1, the last, for a null value): the
                # same codes as factorizing the transformed column (the distinct values come
                # in order of first appearance), without hashing a string per record
                self._codes[name] = (per_value[codes], key_uniques)
        return self._codes[name][0]

    def value_key_codes(self, key: Key) -> Codes:
        """Per distinct value of the key's role (as :meth:`codes` numbers them), the code of
        its key (-1 where the transform gives none)."""
        _, uniques = self.codes(self._role_of(key))
        if key.transform is None:
            return np.arange(len(uniques), dtype=np.int64)
        return self._value_keys(key)[0][:-1]

    def _role_of(self, key: Key) -> str:
        if key.role not in self.values:
            raise UnknownColumnError(
                f"blocking key {str(key)!r} uses role {key.role!r}, which the input lacks"
            )
        return key.role

    def _value_keys(self, key: Key) -> tuple[Codes, Strings]:
        """The transformed distinct values, numbered, with a trailing -1 for null."""

        def compute() -> tuple[Codes, Strings]:
            _, uniques = self.codes(key.role)
            f = _transform(key)
            return _factorize(np.array([f(u) for u in uniques] + [None], dtype=object))

        return self._memoised(("value keys", str(key), key.role), compute)

    def key_values(self, key: Key) -> Strings:
        """The distinct values of a key, indexed by :meth:`key_codes`."""
        self.key_codes(key)
        return self._codes[str(key)][1]

    def _memoised(self, key: tuple[str, str, str], compute: Callable[[], _T]) -> _T:
        if key not in self._memo:
            self._memo[key] = compute()
        result: _T = self._memo[key]
        return result

    def all_values(self, role: str) -> ValueSets:
        """``(record, code)`` of every value of ``role``, records ascending: one per record
        holding one, each of theirs for the records holding several."""

        def compute() -> ValueSets:
            codes, _ = self.codes(role)
            single = np.flatnonzero(codes >= 0)
            if role not in self.value_sets:
                return single, codes[single]
            rows, values = self.value_sets[role]
            many = np.zeros(self.n, dtype=bool)
            many[rows] = True
            single = single[~many[single]]
            record = np.concatenate([single, rows])
            value = np.concatenate([codes[single], values])
            order = np.argsort(record, kind="stable")
            return record[order], value[order]

        return self._memoised(("all values", role, ""), compute)

    def shared_codes(self, role: str, other: str) -> tuple[Codes, Codes]:
        """Codes of two roles over one vocabulary, so values can be compared crosswise."""

        first, second = sorted((role, other))  # one factorization serves both orders

        def compute() -> tuple[Codes, Codes]:
            codes, _ = _factorize(np.concatenate([self.values[first], self.values[second]]))
            return codes[: self.n], codes[self.n :]

        codes = self._memoised(("shared", first, second), compute)
        return codes if role == first else (codes[1], codes[0])

    def days(self, role: str) -> npt.NDArray[np.float64]:
        """ISO dates of ``role`` as day numbers (NaN for null or not a date)."""

        def compute() -> npt.NDArray[np.float64]:
            codes, uniques = self.codes(role)
            # per distinct value, as the reference does: pandas' timestamps end in 2262
            day = np.array([_ordinal(u) for u in uniques] + [np.nan], dtype=np.float64)
            return np.asarray(day[codes], dtype=np.float64)

        return self._memoised(("days", role, ""), compute)

    def numbers(self, role: str) -> npt.NDArray[np.float64]:
        """Values of ``role`` as numbers (NaN for null or not a number)."""

        def compute() -> npt.NDArray[np.float64]:
            codes, uniques = self.codes(role)
            parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce")
            lookup = np.append(parsed.to_numpy(dtype=np.float64), np.nan)
            return np.asarray(lookup[codes], dtype=np.float64)

        return self._memoised(("numbers", role, ""), compute)

    def term_frequencies(self, role: str) -> npt.NDArray[np.float64]:
        """Share of non-null records holding each distinct value (indexed by code)."""
        codes, uniques = self.codes(role)
        present = codes[codes >= 0]
        counts = np.bincount(present, minlength=len(uniques)).astype(np.float64)
        return counts / max(len(present), 1)


def _first_appearance(codes: Codes, width: int) -> tuple[Codes, Codes]:
    """Codes of ``0..width-1`` renumbered: those ``codes`` holds (-1 is null) in order of
    first appearance there, then the others in their order. Returns ``codes`` renumbered
    and, per new number, the old one."""
    result: tuple[Codes, Codes] = _kernels.first_appearance(codes, width)
    return result


def _ordinal(value: object) -> float:
    """Days of an ISO date since 0001-01-01, NaN for anything else."""
    try:
        return float(dt.date.fromisoformat(str(value)).toordinal())
    except ValueError:
        return np.nan


#: a text cell of these roles holding one of these characters holds several values (an
#: e-mail address or a phone number never contains them); a list cell does in any role
_SEPARATORS = {"email": ";,", "phone": ";"}


def _check_ids(ids: pd.Series, where: str) -> None:
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise InputDataError(f"{where}: record id is missing in row {row}")
    dup = ids.duplicated()
    if dup.any():
        value = ids[dup].iloc[0]
        raise InputDataError(
            f"{where}: duplicate record id {value!r} ({int(dup.sum())} duplicates in all)"
        )


def _ids_of(frame: pd.DataFrame, id_column: str | None) -> npt.NDArray[Any]:
    """A frame's record ids: integers as integers (a run gathers two per pair, and
    gathering Python objects cost 16x more: 3.7 s at 73M pairs), anything else as objects;
    row positions when there is no id column."""
    if id_column is None:
        return np.arange(len(frame), dtype=np.int64)
    column = frame[id_column]
    kind, size = column.dtype.kind, getattr(column.dtype, "itemsize", 8)
    if kind == "i" or (kind == "u" and size < 8):  # each fits in int64
        return column.to_numpy(dtype=np.int64)
    return column.to_numpy(dtype=object)


def prepare(
    frames: list[pd.DataFrame],
    settings: Settings,
    roles: Mapping[str, str],
    id_column: str | None,
    *,
    names: list[str],
    explicit_roles: frozenset[str] = frozenset(),
) -> Table:
    """Normalise each role of ``frames`` (one frame to dedupe, two to link) into a Table."""
    for frame, name in zip(frames, names, strict=True):
        missing = [c for c in roles.values() if c not in frame.columns]
        if missing:
            raise UnknownColumnError(
                f"{name}: column(s) {missing} not found; it has {list(frame.columns)}"
            )
        if id_column is not None:
            if id_column not in frame.columns:
                raise UnknownColumnError(
                    f"{name}: id column {id_column!r} not found; it has {list(frame.columns)}"
                )
            _check_ids(frame[id_column], name)
    ids = np.concatenate([_ids_of(frame, id_column) for frame in frames])
    values: dict[str, Strings] = {}
    codes: dict[str, tuple[Codes, Strings]] = {}
    value_sets: dict[str, ValueSets] = {}
    reports: list[ColumnReport] = []

    def normalised(role: str, column: str) -> tuple[Codes, Strings, ColumnReport, Any]:
        series = pd.concat([f[column] for f in frames], ignore_index=True)
        return normalized_value_sets(
            series,
            normalizer_for(role, settings),
            column=column,
            role=role,
            separators=_SEPARATORS.get(role, ""),
            quick=quick_normalizer_for(role, settings),
            bulk=_bulk_normalizer_for(role, settings),
        )

    # roles on two threads: Arrow's kernels (e-mail, phone and street columns) release the
    # GIL, so one role's kernels run beside another's Python; results are taken in order
    total = sum(len(f) for f in frames)
    if total >= _PARALLEL_ROWS and len(roles) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(normalised, roles.keys(), roles.values()))
    else:
        done = [normalised(role, column) for role, column in roles.items()]
    for (role, column), (role_codes, uniques, report, several) in zip(
        roles.items(), done, strict=True
    ):
        reports.append(report)
        if report.n_null + report.n_invalid == report.n_values:
            if role in explicit_roles:
                raise InputDataError(
                    f"column {column!r} (role {role}) has no usable values: "
                    f"{report.n_null} empty, {report.n_invalid} invalid"
                )
            warnings.warn(
                f"column {column!r} (role {role}) has no usable values; it is ignored",
                IdentilinkWarning,
                stacklevel=3,
            )
            continue
        values[role] = decode(role_codes, uniques)
        codes[role] = (role_codes, uniques)
        if several is not None:
            value_sets[role] = several
    if not values:
        raise InputDataError(
            f"no usable columns: roles {sorted(roles)} were found but hold no usable values"
            if roles
            else "no column could be given a role; name them with --column ROLE=COLUMN"
        )
    source = None
    if len(frames) == 2:
        source = np.repeat(np.array([0, 1], dtype=np.int8), [len(frames[0]), len(frames[1])])
    return Table(ids, values, reports, source=source, codes=codes, value_sets=value_sets)
