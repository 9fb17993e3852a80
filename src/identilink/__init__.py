"""identilink: customer-identity resolution.

Records in, scored links, customer clusters and golden records out::

    import identilink
    result = identilink.dedupe(frame)
    result.clusters   # record_id -> cluster_id
    result.golden     # one row per customer
"""

from __future__ import annotations

from identilink._engine import Engine, EngineResult, LocalEngine, engine
from identilink._io import read_table, write_table
from identilink._pipeline import Result, candidate_pairs, count_pairs, dedupe, link
from identilink._suggest import suggest_blocking
from identilink._table import IdentilinkWarning
from identilink._version import __version__
from identilink.config import ROLES, BlockingRule, Comparison, Key, Level, Settings
from identilink.errors import (
    ConfigurationError,
    IdentilinkError,
    InputDataError,
    InputFileError,
    ModelError,
    NormalizationError,
    StoreError,
    UnknownColumnError,
    UnknownFragmentError,
)
from identilink.model import ComparisonModel, FellegiSunterModel
from identilink.resolver import Resolver, Rules
from identilink.store import open_store

__all__ = [
    "ROLES",
    "BlockingRule",
    "Comparison",
    "ComparisonModel",
    "ConfigurationError",
    "Engine",
    "EngineResult",
    "FellegiSunterModel",
    "IdentilinkError",
    "IdentilinkWarning",
    "InputDataError",
    "InputFileError",
    "Key",
    "Level",
    "LocalEngine",
    "ModelError",
    "NormalizationError",
    "Resolver",
    "Result",
    "Rules",
    "Settings",
    "StoreError",
    "UnknownColumnError",
    "UnknownFragmentError",
    "__version__",
    "candidate_pairs",
    "count_pairs",
    "dedupe",
    "engine",
    "link",
    "open_store",
    "read_table",
    "suggest_blocking",
    "write_table",
]
