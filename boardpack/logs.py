"""Where the run's log goes at the command line: ``--log-level`` and ``--log-format``.

The "boardpack" logger (core.progress and the steps) goes to standard error, as text for
a person or as one JSON object per line for a log collector; the account of the run and
the exit status are unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Literal

LogFormat = Literal["text", "json"]
LEVELS = ("debug", "info", "warning", "error")


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger and message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": " ".join(record.getMessage().split()),
        }
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, form: LogFormat) -> None:
    """Send the boardpack logger's records at ``level`` and above to standard error."""
    logger = logging.getLogger("boardpack")
    for handler in list(logger.handlers):
        if getattr(handler, "_boardpack_cli", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._boardpack_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonLines()
        if form == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    )
    handler.setLevel(level.upper())
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > handler.level:  # never hide what others (Prefect) log
        logger.setLevel(handler.level)


def version_text() -> str:
    """The installed version and the commit it was built from: git's, in a checkout."""
    import subprocess
    from importlib.metadata import version
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        commit = done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return f"boardpack {version('boardpack')} (commit {commit or 'unknown: not a git checkout'})"
