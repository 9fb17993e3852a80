"""The identilink exception tree.

Every exception identilink raises on purpose sits under :class:`IdentilinkError`, and each
subclass also subclasses the builtin a caller would naturally catch::

    IdentilinkError(Exception)
    ├── ConfigurationError(ValueError)      settings, roles, thresholds, rules
    │   └── UnknownColumnError(KeyError)    a role or rule names a column that is not there
    ├── InputDataError(ValueError)          the data itself: ids, empty input, all-null columns
    │   └── InputFileError(OSError)         a file that cannot be read or written
    ├── NormalizationError(ValueError)      one value that cannot be normalised
    ├── ModelError(ValueError)              a model file that cannot be loaded or used
    └── StoreError(RuntimeError)            a store that cannot be opened or is inconsistent
        └── UnknownFragmentError(KeyError)  a fragment or customer id the store does not hold

The CLI prints ``str(error)`` as one line and exits with code 2 for any of them.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "IdentilinkError",
    "InputDataError",
    "InputFileError",
    "ModelError",
    "NormalizationError",
    "StoreError",
    "UnknownColumnError",
    "UnknownFragmentError",
]


class IdentilinkError(Exception):
    """Root of every identilink exception.

    .. versionadded:: 0.1.0
    """


class ConfigurationError(IdentilinkError, ValueError):
    """Settings that cannot be used: unknown roles, bad thresholds, malformed rules.

    .. versionadded:: 0.1.0
    """


class UnknownColumnError(ConfigurationError, KeyError):
    """A role, rule or id option names a column the input does not have.

    .. versionadded:: 0.1.0
    """

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class InputDataError(IdentilinkError, ValueError):
    """The input data cannot be resolved as given (missing or duplicate ids, empty input, ...).

    .. versionadded:: 0.1.0
    """


class InputFileError(InputDataError, OSError):
    """A file that does not exist, cannot be decoded, or is in an unsupported format.

    .. versionadded:: 0.1.0
    """


class NormalizationError(IdentilinkError, ValueError):
    """One value that cannot be normalised; batch code turns it into a null and counts it.

    .. versionadded:: 0.1.0
    """

    def __init__(self, value: object, reason: str) -> None:
        super().__init__(f"cannot normalise {value!r}: {reason}")
        self.value = value
        self.reason = reason


class ModelError(IdentilinkError, ValueError):
    """A trained-model file that is malformed, of an unknown version, or does not fit the data.

    .. versionadded:: 0.1.0
    """


class StoreError(IdentilinkError, RuntimeError):
    """A store that cannot be opened, has another schema version, or cannot take a change.

    .. versionadded:: 0.2.0
    """


class UnknownFragmentError(StoreError, KeyError):
    """A fragment id or customer id that the store does not hold.

    .. versionadded:: 0.2.0
    """

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""
