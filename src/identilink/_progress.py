"""Stage progress on stderr with rich; silent when disabled."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

__all__ = ["Progress"]


class Progress:
    """``with Progress(enabled=True) as p: with p.stage("blocking"): ...``"""

    def __init__(self, *, enabled: bool) -> None:
        self._rich: RichProgress | None = None
        if enabled:  # rich is imported only when progress is shown
            from rich.console import Console
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._rich = RichProgress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._rich is not None:
            self._rich.__exit__(exc_type, exc, tb)

    @contextmanager
    def stage(self, description: str) -> Iterator[None]:
        if self._rich is None:
            yield
            return
        task = self._rich.add_task(description, total=1)
        yield
        self._rich.update(task, completed=1)
