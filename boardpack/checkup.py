"""``boardpack check``: what a nightly would refuse, found before the night.

The configuration is loaded and checked as a run loads it; every file source's glob is
matched (a link out of the folder, or a file that cannot be read, is a problem; a glob
that matches nothing yet is said, not refused, as a run does); every SQL
source's URL is resolved and the database connected to within the source's connect
timeout. The warehouse is not touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from boardpack.config import load_council
from core.errors import BoardpackError
from core.settings import Council, Source


@dataclass(frozen=True)
class SourceCheck:
    source_id: str
    problem: str | None
    found: str = ""

    def line(self) -> str:
        if self.problem:
            return f"  {self.source_id}: PROBLEM: {self.problem}"
        return f"  {self.source_id}: ok ({self.found})"


def check_configuration(folder: Path) -> tuple[list[str], bool]:
    """Lines for the terminal, and whether everything passed. A configuration that does
    not load raises its own one-line error (exit 2), as a run would."""
    council = load_council(folder)
    checks = [_check_source(council, source) for source in council.settings.sources]
    lines = [
        f"{folder / 'council.yaml'}: configuration loads "
        f"({len(council.settings.sources)} sources, {len(council.settings.boards)} boards, "
        f"{council.indicators.height} indicators)",
        *(check.line() for check in checks),
    ]
    problems = sum(1 for check in checks if check.problem)
    lines.append(
        f"{problems} problem(s): a nightly would fail these sources"
        if problems
        else "Everything a nightly needs is in place (the warehouse was not checked)."
    )
    return lines, problems == 0


def _check_source(council: Council, source: Source) -> SourceCheck:
    from sources.extracts import source_files

    try:
        if source.format == "sql":
            return SourceCheck(source.id, None, _reach(council, source))
        files = source_files(council, source)
    except BoardpackError as error:
        return SourceCheck(source.id, str(error))
    except Exception as error:  # the source's own failure, as the run would record it
        return SourceCheck(source.id, " ".join(str(error).split()) or type(error).__name__)
    if not files:  # a returns folder waiting for its first file: not refused
        return SourceCheck(source.id, None, f"'{source.path}' matches no files yet")
    unreadable = [f for f in files if not _readable(f)]
    if unreadable:
        return SourceCheck(source.id, f"cannot read {unreadable[0]}")
    return SourceCheck(source.id, None, f"{len(files)} file(s)")


def _readable(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError:
        return False
    return True


def _reach(council: Council, source: Source) -> str:
    """Connect to a SQL source's database within its connect timeout (no query is run)."""
    from sources.databases import SqlUnavailable, source_engine, timeout_message
    from sources.extracts import resolve_sql_url
    from sources.readers import SourceUnavailable

    url = resolve_sql_url(council, source.url or "")
    try:
        engine = source_engine(url, source.timeout)
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
    except SqlUnavailable as error:
        raise SourceUnavailable(str(error)) from None
    except Exception as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        said = " ".join(first.split()).replace(url, "(the source's URL)")
        message = timeout_message(said, source.timeout)
        raise SourceUnavailable(f"the database could not be reached ({message})") from None
    return "database reachable"
