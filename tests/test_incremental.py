"""The incremental nightly (issue 27): after any sequence of runs — new months, restated
figures, changed commentary, a target or tolerance changed, an earlier year backfilled —
the warehouse's exports and every report are byte for byte those of one fresh run over the
same files and configuration.

A new month or a restatement recomputes only its indicators' measures in its year and the
next (warehouse.load.recompute_changed); a changed target or tolerance, or a year earlier
than any held, recomputes everything. Either way the result must not depend on the path.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from boardpack import runs
from warehouse.exports import export_csv
from warehouse.schema import connect

AS_OF = dt.date(2026, 2, 20)  # 2025/26 Q3 has ended; January's figures are in

COUNCIL_YAML = """\
name: Incremental Borough Council
year_start_month: 4
tolerance: {{type: relative, value: {tolerance}}}
priorities:
  - id: people
    name: Thriving people
boards:
  - id: people-ppb
    name: People Board
    cadence: quarterly
    services: [Care, Housing]
  - id: cabinet
    name: Cabinet
    cadence: half-yearly
    services: [Finance]
sources:
  - id: returns
    department: Performance
    kind: observations
    format: csv
    path: extracts/*.csv
"""
INDICATORS_CSV = (
    "code,title,service,unit,polarity,aggregation,frequency,decimals,scale,tolerance,"
    "tolerance_type,key,priority\n"
    "C 01,Reviews on time,Care,percent,higher,ratio,monthly,1,,,,true,people\n"
    "C 02,Days to start care,Care,days,lower,mean,monthly,1,,,,false,people\n"
    "H 01,Households in temporary homes,Housing,count,target,last,quarterly,0,,5,absolute,"
    "true,\n"
    "F 01,Sundry debt,Finance,gbp,lower,sum,monthly,0,,,,false,\n"
    "F 02,Audits completed,Finance,count,higher,sum,annual,0,,,,false,\n"
)
CODES = ("C 01", "C 02", "H 01", "F 01", "F 02")
FIRST_MONTH = (2023, 4)  # 2023/24 M1
LAST_MONTH = (2026, 1)  # 2025/26 M10, the last before AS_OF
LOADED_FIRST = 24  # months in the first run's file: 2023/24 and 2024/25


def months(first: tuple[int, int], count: int) -> list[tuple[int, int]]:
    year, month = first
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


ALL_MONTHS = months(FIRST_MONTH, 34)
BACKFILL_MONTHS = months((2022, 4), 12)  # 2022/23: a year before any the warehouse holds


def figure(code: str, year: int, month: int, restated: int) -> str:
    """An extract row for one indicator and month: deterministic, varied figures."""
    seed = (year * 12 + month) * 7 + CODES.index(code) * 13 + restated * 31
    note = "Checked by the service" if seed % 5 == 0 else ""
    if code == "C 01":
        due = 40 + seed % 9
        return f"C 01,{year}-{month:02d},,{due - 3 - seed % 4},{due},{note}"
    if code == "C 02":
        return f"C 02,{year}-{month:02d},{18 + (seed % 50) / 10},,,{note}"
    if code == "F 01":
        return f"F 01,{year}-{month:02d},{1000 + seed % 300},,,{note}"
    fy = year if month >= 4 else year - 1
    quarter = ((month - 4) % 12) // 3 + 1
    if code == "H 01":  # quarterly: sent in the quarter's last month
        return f"H 01,{fy}/{(fy + 1) % 100:02d} Q{quarter},{50 + seed % 12},,,{note}"
    return f"F 02,{fy}/{(fy + 1) % 100:02d},{10 + seed % 6},,,{note}"  # annual: at M12


def month_rows(year: int, month: int, restated: dict[tuple[str, int, int], int]) -> list[str]:
    rows = []
    for code in CODES:
        quarter_end = month in (6, 9, 12, 3)
        if (code == "H 01" and not quarter_end) or (code == "F 02" and month != 3):
            continue
        rows.append(figure(code, year, month, restated.get((code, year, month), 0)))
    return rows


class Council:
    """A council folder as a department and a performance officer change it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sent = LOADED_FIRST  # months sent so far
        self.backfilled = False
        self.tolerance = 0.05
        self.target_shift = 0
        self.restated: dict[tuple[str, int, int], int] = {}
        (folder / "extracts").mkdir(parents=True)
        (folder / "indicators.csv").write_text(INDICATORS_CSV, encoding="utf-8")
        self.write()

    def write(self) -> None:
        (self.folder / "council.yaml").write_text(
            COUNCIL_YAML.format(tolerance=self.tolerance), encoding="utf-8"
        )
        targets = ["code,financial_year,period,target"]
        for fy in (2022, 2023, 2024, 2025):
            label = f"{fy}/{(fy + 1) % 100:02d}"
            targets += [
                f"C 01,{label},,{90 + self.target_shift}",
                f"C 02,{label},,20",
                f"H 01,{label},,55",
                f"F 02,{label},,12",
            ]
        (self.folder / "targets.csv").write_text("\n".join(targets) + "\n", encoding="utf-8")
        header = "indicator_code,period,value,numerator,denominator,commentary"
        first = [r for y, m in ALL_MONTHS[:LOADED_FIRST] for r in month_rows(y, m, self.restated)]
        self.extract("first.csv", [header, *first])
        for year, month in ALL_MONTHS[LOADED_FIRST : self.sent]:
            self.extract(
                f"{year}-{month:02d}.csv", [header, *month_rows(year, month, self.restated)]
            )
        if self.backfilled:
            old = [r for y, m in BACKFILL_MONTHS for r in month_rows(y, m, self.restated)]
            self.extract("backfill-2022-23.csv", [header, *old])

    def extract(self, name: str, lines: list[str]) -> None:
        """Write a file only when its content changes (a department resending it)."""
        path = self.folder / "extracts" / name
        text = "\n".join(lines) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")

    # What can happen between two nightly runs.
    def new_month(self, _: int) -> None:
        self.sent = min(self.sent + 1, len(ALL_MONTHS))

    def restate(self, pick: int) -> None:
        year, month = ALL_MONTHS[pick % self.sent]
        code = CODES[pick % 3]  # a monthly or quarterly indicator
        if code == "H 01" and month not in (6, 9, 12, 3):
            code = "C 01"
        key = (code, year, month)
        self.restated[key] = self.restated.get(key, 0) + 1

    def change_target(self, pick: int) -> None:
        self.target_shift = pick % 4

    def change_tolerance(self, pick: int) -> None:
        self.tolerance = (0.05, 0.1, 0.02)[pick % 3]

    def backfill(self, _: int) -> None:
        self.backfilled = True


EVENTS: dict[str, Callable[[Council, int], None]] = {
    "new month": Council.new_month,
    "restatement": Council.restate,
    "target changed": Council.change_target,
    "tolerance changed": Council.change_tolerance,
    "earlier year backfilled": Council.backfill,
}


def site_files(out: Path) -> dict[str, bytes]:
    """Every report, exceptions and priority page, CSV and chart, the index and manifest.
    (The data-quality page is left out: it reports the last run's own files.)"""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.name != "data-quality.html" and not path.name.startswith(".")
    }


def exports(url: str) -> dict[str, str]:
    engine = connect(url)
    try:
        return {table: export_csv(engine, table) for table in ("measures", "summary")}
    finally:
        engine.dispose()


def assert_same_as_one_fresh_run(
    events: list[tuple[str, int]], url: str, fresh_url: str, root: Path
) -> None:
    council = Council(root / "council")
    out = root / "out"
    runs.nightly(council.folder, url, out, AS_OF)
    for name, pick in events:
        EVENTS[name](council, pick)
        council.write()
        runs.nightly(council.folder, url, out, AS_OF)
    fresh_out = root / "fresh-out"
    runs.nightly(council.folder, fresh_url, fresh_out, AS_OF)
    assert exports(url) == exports(fresh_url), events
    ours, fresh = site_files(out), site_files(fresh_out)
    assert sorted(ours) == sorted(fresh), events
    differing = [name for name in fresh if ours[name] != fresh[name]]
    assert not differing, (events, differing)


event_lists = st.lists(
    st.tuples(st.sampled_from(sorted(EVENTS)), st.integers(0, 1000)), min_size=1, max_size=4
)


# No shrinking: each example is several nightly runs, and the failing one is printed whole.
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(events=event_lists)
@example(events=[("new month", 0), ("restatement", 3), ("new month", 0)])
@example(events=[("earlier year backfilled", 0), ("restatement", 30)])
@example(events=[("tolerance changed", 1), ("new month", 0), ("target changed", 2)])
def test_any_sequence_of_runs_ends_as_one_fresh_run_does(events: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory(prefix="boardpack-incremental-") as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'warehouse.sqlite'}"
        fresh = f"sqlite:///{root / 'fresh.sqlite'}"
        assert_same_as_one_fresh_run(events, url, fresh, root)


@pytest.mark.postgres
def test_a_month_a_restatement_and_a_target_change_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    import sqlalchemy as sa

    server = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        for name in ("incremental", "incremental_fresh"):
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
    server.dispose()
    base = postgres_url.rsplit("/", 1)[0]
    events = [("new month", 0), ("restatement", 7), ("new month", 0), ("target changed", 1)]
    assert_same_as_one_fresh_run(
        events, f"{base}/incremental", f"{base}/incremental_fresh", tmp_path
    )


def test_a_new_month_recomputes_only_its_year(tmp_path: Path) -> None:
    """A new month's figures recompute its year's measures only: the earlier years' rows
    are the ones stored before (and the run says it was incremental)."""
    from warehouse import load

    council = Council(tmp_path / "council")
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    first = runs.nightly(council.folder, url, tmp_path / "out", AS_OF)
    assert first.exit_code == 0, first
    council.new_month(0)
    council.write()
    calls: list[list[int]] = []
    original = load.store.delete_measures

    def watched(connection: object, codes: list[str], years: list[int]) -> int:
        calls.append(list(years))
        return original(connection, codes, years)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load.store, "delete_measures", watched)
        second = runs.nightly(council.folder, url, tmp_path / "out", AS_OF)
    assert second.exit_code == 0, second
    assert calls == [[2025, 2026]]  # April 2025's year, and the next one's comparisons
    # The measures stored are counted as they are stored, not by reading the table.
    third = runs.nightly(council.folder, url, tmp_path / "out", AS_OF)  # nothing new
    engine = connect(url)
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM measures")).scalar_one()
    engine.dispose()
    assert first.measures == second.measures == third.measures == count > 0


def test_quarters_ending_extend_the_measures_as_a_fresh_run_computes_them(tmp_path: Path) -> None:
    """Nightly runs across quarter ends, with and without new figures: each new quarter's
    periods are added to the stored measures (no full recompute after the first run), and
    the warehouse and the latest reports end as one fresh run leaves them."""
    from warehouse import load

    council = Council(tmp_path / "council")
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    out = tmp_path / "out"
    runs.nightly(council.folder, url, out, dt.date(2025, 5, 10))  # 2024/25 Q4 the latest
    full_recomputes: list[dt.date] = []
    original = load.recompute

    def watched(connection: Any, council: Any, as_of: dt.date, targets: Any = None) -> int:
        full_recomputes.append(as_of)
        return original(connection, council, as_of, targets)

    steps = [(3, dt.date(2025, 7, 15)), (3, dt.date(2025, 10, 20)), (0, dt.date(2026, 1, 5))]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load, "recompute", watched)
        for new_months, as_of in steps:
            for _ in range(new_months):
                council.new_month(0)
            council.write()
            outcome = runs.nightly(council.folder, url, out, as_of)
            assert outcome.exit_code == 0, outcome
    assert full_recomputes == []
    last = steps[-1][1]
    fresh_out = tmp_path / "fresh-out"
    runs.nightly(council.folder, f"sqlite:///{tmp_path / 'fresh.sqlite'}", fresh_out, last)
    assert exports(url) == exports(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    # The latest quarter's and half's reports, as the fresh run wrote them.
    latest = [p for p in site_files(fresh_out) if p.startswith(("2025-26/Q3/", "2025-26/H1/"))]
    assert any(p.endswith("people-ppb.html") for p in latest)
    ours, fresh = site_files(out), site_files(fresh_out)
    assert [p for p in latest if ours.get(p) != fresh[p]] == []


def test_the_quarters_ended_since_the_stored_measures() -> None:
    from warehouse.load import quarters_ended_since

    assert quarters_ended_since((2025, 3), (2025, 3)) == []
    # Across a year end: 2025/26 Q4, then 2026/27 Q1.
    assert quarters_ended_since((2025, 3), (2026, 1)) == [(2025, 4), (2026, 1)]
    # An earlier as-of date shrinks the periods, and no stored quarter is not known:
    # both compute every measure again.
    assert quarters_ended_since((2025, 3), (2025, 2)) is None
    assert quarters_ended_since(None, (2025, 2)) is None
