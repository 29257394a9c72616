"""What stopped a run, as SPEC §6 wants it said: an exit status and one line naming the file
(or the warehouse) and the problem, never a traceback."""

from __future__ import annotations

from core.errors import BoardpackError


def failure(error: BaseException) -> tuple[int, str]:
    """The exit status and the one-line message for ``error``: boardpack's own errors carry
    both; an outage, a full disk or a bug is exit 3, "the run could not complete"."""
    if isinstance(error, BoardpackError):
        return error.exit_code, str(error)
    return 3, _could_not_complete(error)


def _could_not_complete(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror} (the run could not complete)"
    import sqlalchemy as sa

    if isinstance(error, sa.exc.SQLAlchemyError):
        from warehouse.schema import driver_message

        return (
            f"the warehouse could not be used: {driver_message(error)} (the run could not complete)"
        )
    lines = str(error).strip().splitlines()
    first = " ".join(lines[0].split()) if lines else ""
    return f"{type(error).__name__}: {first} (the run could not complete)"
