from __future__ import annotations

import identilink.errors as errors


def test_every_exception_is_under_the_root_and_a_builtin() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.IdentilinkError)
        if cls is not errors.IdentilinkError:
            assert issubclass(cls, ValueError | OSError | KeyError | RuntimeError)


def test_unknown_column_error_message_is_not_quoted() -> None:
    assert str(errors.UnknownColumnError("column 'x' not found")) == "column 'x' not found"
