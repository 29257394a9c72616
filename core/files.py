"""Files written whole or not at all (SPEC §5: every file is the old or the new version).

Each file is written to a temporary file in the same folder, flushed to disk and then
renamed over the old one, so a full disk, a killed process or a power cut leaves the old
version (and, at worst, a temporary file that the next write in that folder removes).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

TEMP_SUFFIX = ".boardpack-tmp"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Replace ``path`` with ``text`` (UTF-8; bytes as they are) in one step.

    An ``OSError`` (a full disk, say) names ``path``, and the old version stays as it was.
    """
    # The process and thread: a file is never half of two writers' (a BackgroundWriter's).
    temp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_native_id()}{TEMP_SUFFIX}")
    try:
        _write_synced(temp, text if isinstance(text, bytes) else text.encode("utf-8"))
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror or str(error), str(path)) from error


# Writes a file whole: write_atomic, or a BackgroundWriter's write.
Writer = Callable[[Path, str | bytes], None]


class FolderListing:
    """Whether a file was in its folder when the folder was first asked about: one listing
    a folder rather than a lookup a file. A publish asks, for each report, whether six
    Word and PDF copies it did not make are there to remove; looking each up took a fifth
    of the time spent writing a new month's 2,083 reports."""

    def __init__(self) -> None:
        self._names: dict[Path, frozenset[str]] = {}

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, Path):
            return False
        folder = path.parent
        if folder not in self._names:
            try:
                self._names[folder] = frozenset(os.listdir(folder))
            except FileNotFoundError:
                self._names[folder] = frozenset()
        return path.name in self._names[folder]


class BackgroundWriter:
    """:func:`write_atomic` on a few threads. Each file waits for the disk twice (its flush,
    its rename), which when the disk is busy was most of publishing's time: here one file's
    wait overlaps the others' and the caller's work. Each file is still whole or not at all.

    Leaving the ``with`` waits for every file, so what is written after it (a manifest)
    follows them; the first failure is raised there, or by a later :meth:`write` once seen,
    and the files not yet started are not written.
    """

    def __init__(self, threads: int = 8, in_flight: int = 64) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="boardpack-writer")
        self._pending: deque[Future[None]] = deque()
        self._by_path: dict[Path, Future[None]] = {}
        self._in_flight = in_flight  # at most this many files' bytes held at once

    def write(self, path: Path, text: str | bytes) -> None:
        """Replace ``path`` with ``text`` as :func:`write_atomic` does, on a thread (after
        an earlier write of the same file: the last version given is the one kept)."""
        while self._pending and (self._pending[0].done() or len(self._pending) >= self._in_flight):
            self._pending.popleft().result()  # raises the file's failure
        earlier = self._by_path.get(path)
        if earlier is not None:
            earlier.result()
        future = self._pool.submit(write_atomic, path, text)
        self._pending.append(future)
        self._by_path[path] = future

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if error is not None:  # already failing: nothing more is started
                for future in self._pending:
                    future.cancel()
            while self._pending:
                future = self._pending.popleft()
                if error is None:
                    future.result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


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
