"""Files written whole or not at all (SPEC §5: every file is the old or the new version).

Each file is written to a temporary file in the same folder, flushed to disk and then
renamed over the old one, so a full disk, a killed process or a power cut leaves the old
version (and, at worst, a temporary file that the next write in that folder removes).
"""

from __future__ import annotations

import os
from pathlib import Path

TEMP_SUFFIX = ".boardpack-tmp"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Replace ``path`` with ``text`` (UTF-8; bytes as they are) in one step.

    An ``OSError`` (a full disk, say) names ``path``, and the old version stays as it was.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        _write_synced(temp, text if isinstance(text, bytes) else text.encode("utf-8"))
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror or str(error), str(path)) from error


def _write_synced(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_stale_temporaries(folder: Path) -> None:
    """Temporary files a killed run left behind in ``folder`` and below."""
    for temp in folder.rglob(f".*{TEMP_SUFFIX}"):
        temp.unlink(missing_ok=True)
