"""``boardpack run --dry-run``: what the next nightly would read, load and republish,
worked out from the sources and the warehouse's record of loaded files. Nothing is
written: the warehouse is only read (and not at all when there is none yet), no file is
loaded and no report rendered.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from core.periods import PERIODS_BY_SUFFIX, latest_periods, period_label
from core.settings import Council, Source
from sources.extracts import read_extract, source_files
from sources.readers import file_hash
from transforms.coverage import latest_quarter
from warehouse import store
from warehouse.models import LoadedFile, table_of
from warehouse.schema import engine_for, schema_status, shown

_YEAR = re.compile(r"^\s*(\d{4})\s*/")


@dataclass
class SourcePlan:
    source_id: str
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    again: list[str] = field(default_factory=list)  # loaded, but had figures not yet due
    query: bool = False  # a SQL source: its query runs every night

    def line(self) -> str:
        if self.query:
            return f"  {self.source_id}: its query would be run (every run compares the result)"
        parts = [
            f"{len(self.new)} new",
            f"{len(self.changed)} changed",
            f"{len(self.unchanged)} unchanged (skipped)",
        ]
        if self.again:
            parts.append(f"{len(self.again)} read again (figures for later periods were due)")
        listed = "".join(
            f"\n    {kind}: {f}"
            for kind, files in (("new", self.new), ("changed", self.changed), ("again", self.again))
            for f in files
        )
        return f"  {self.source_id}: {', '.join(parts)}{listed}"


def dry_run(
    council: Council,
    url: str,
    as_of: dt.date,
    force: bool = False,
    only_source: str | None = None,
) -> list[str]:
    """The plan of the next nightly, as lines for the terminal."""
    lines, loaded, known = _warehouse_lines(url)
    plans = []
    years: set[int] = set()
    for source in council.settings.sources:
        if only_source and source.id != only_source:
            continue
        plan = SourcePlan(source.id, query=source.format == "sql")
        if not plan.query:
            for path in source_files(council, source):
                digest = file_hash(path)
                if not force and not only_source and (source.id, digest) in loaded:
                    plan.unchanged.append(str(path))
                    continue
                before = known.get((source.id, str(path)), set())
                kind = plan.again if digest in before else plan.changed if before else plan.new
                kind.append(str(path))
                years |= _years_in(council, source, path)
        plans.append(plan)
    lines.append("Would read:")
    lines += [plan.line() for plan in plans]
    reading = any(p.new or p.changed or p.again or p.query for p in plans)
    lines.append(_republish_line(council, as_of, years, reading))
    lines.append("Nothing was written (dry run).")
    return lines


Known = dict[tuple[str, str], set[str]]  # (source, file) -> content hashes loaded


def _warehouse_lines(url: str) -> tuple[list[str], set[tuple[str, str]], Known]:
    """What the warehouse says: its schema, the files a run may skip and the files known."""
    database = sa.make_url(url).database
    if sa.make_url(url).get_backend_name() == "sqlite" and database and not Path(database).exists():
        return [f"Warehouse {shown(url)}: none yet (the run would create it)"], set(), {}
    engine = engine_for(url, create=False)
    try:
        status = schema_status(engine)
        if status.current is None:
            return (
                [f"Warehouse {shown(url)}: empty (the run would create the schema)"],
                set(),
                {},
            )
        upgrade = (
            f"; the run would first upgrade it to {status.head} ({', '.join(status.pending)})"
            if status.pending
            else ""
        )
        lines = [f"Warehouse {shown(url)}: schema revision {status.current}{upgrade}"]
        with engine.connect() as connection:
            loaded = store.loaded_hashes(connection)
            files = table_of(LoadedFile)
            known: Known = {}
            query = sa.select(files.c.source_id, files.c.file, files.c.content_hash)
            for row in connection.execute(query):
                known.setdefault((row.source_id, row.file), set()).add(row.content_hash)
    finally:
        engine.dispose()
    return lines, loaded, known


def _years_in(council: Council, source: Source, path: Path) -> set[int]:
    """The financial years of the figures a file holds (nothing for files it cannot read)."""
    extract = read_extract(council, source, path)
    if extract.frame is None or "period" not in extract.frame.columns:
        return set()
    years = set()
    for label in extract.frame["period"].drop_nulls().unique().to_list():
        match = _YEAR.match(str(label))
        if match:
            years.add(int(match.group(1)))
    return years


def _republish_line(council: Council, as_of: dt.date, years: set[int], reading: bool) -> str:
    if not reading:
        return "Would republish: nothing, unless the configuration changed since the last run"
    wanted: set[tuple[int, str]] = set()
    latest = latest_quarter(as_of, council.settings.year_start_month)
    if latest is not None:
        wanted |= latest_periods(*latest)
    for fy in years:
        wanted |= {(year, suffix) for year in (fy, fy + 1) for suffix in PERIODS_BY_SUFFIX}
    labels = [period_label(fy, suffix) for fy, suffix in sorted(wanted)]
    return (
        f"Would republish (if the figures changed): {', '.join(labels) or 'nothing'}"
        " - the latest periods, and every period of the years the new or changed files"
        " hold figures for (and the year after)"
    )
