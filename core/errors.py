"""Errors the command line turns into a one-line message and an exit status."""

from __future__ import annotations

from pathlib import Path


class BoardpackError(Exception):
    """A problem the user can fix; its text is the whole message."""

    exit_code = 2


class ConfigError(BoardpackError):
    """A configuration file is missing or wrong (exit 2)."""

    def __init__(
        self,
        file: Path | str,
        problem: str,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file)
        self.problem = problem
        self.row = row
        self.column = column
        where = [self.file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {problem}")


class UsageError(BoardpackError):
    """The command was called wrongly (exit 2)."""


class RunFailed(BoardpackError):
    """The run could not complete (warehouse unreachable or corrupt, disk full, output folder
    not writable) and changed nothing (exit 3)."""

    exit_code = 3
