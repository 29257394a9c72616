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


class RunEndedFailed(Exception):
    """A run that did its work but must end failed (a source could not be read, a council
    could not complete): the message says why, ``account`` is what the run did (a
    :class:`~boardpack.outcome.RunOutcome`, or the shared service's council runs). The Prefect
    flows end Failed with it as the state's data, so the run's account survives the failure."""

    def __init__(self, message: str, account: object) -> None:
        super().__init__(message, account)
        self.message = message
        self.account = account

    def __str__(self) -> str:
        return self.message
