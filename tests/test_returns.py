"""The returns register: each department's return per quarter, when it was due (working
days, England and Wales bank holidays excluded), when it came, on time, late or outstanding;
kept through restatements, backfills and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest

from boardpack import runs
from core.deadlines import due_date, working_days_after
from tests.test_cli import boardpack

COUNCIL_YAML = """\
name: Riverside District Council
boards:
  - id: place
    name: Place Scrutiny Panel
    cadence: quarterly
    services: [Waste, Housing]
    recipients: [place.panel@riverside.example]
  - id: people
    name: People Scrutiny Panel
    cadence: quarterly
    services: [Housing]
sources:
  - id: waste
    department: Waste Services
    kind: observations
    format: csv
    path: extracts/waste/*.csv
    due: {working_days_after: 10, from: "2025/26 Q3"}
    contact: {name: Waste data officer, email: waste.data@riverside.example}
  - id: housing
    department: Housing Services
    kind: observations
    format: csv
    path: extracts/housing/*.csv
    due: {working_days_after: 10, from: "2025/26 Q3"}
    contact: {name: Housing performance lead, email: housing.lead@riverside.example}
"""
INDICATORS = """\
code,title,service,unit,polarity,aggregation,frequency,decimals
WS 01,Household waste recycled,Waste,percent,higher,mean,quarterly,1
HS 01,Homes brought back into use,Housing,count,higher,sum,quarterly,0
"""
TARGETS = """\
code,financial_year,period,target
WS 01,2025/26,,50
HS 01,2025/26,,40
"""


def write_council(folder: Path) -> Path:
    """A small council: two departments each owing a quarterly return 10 working days
    after the quarter ends, chased from 2025/26 Q3."""
    (folder / "extracts" / "waste").mkdir(parents=True)
    (folder / "extracts" / "housing").mkdir(parents=True)
    (folder / "council.yaml").write_text(COUNCIL_YAML)
    (folder / "indicators.csv").write_text(INDICATORS)
    (folder / "targets.csv").write_text(TARGETS)
    return folder


def send(folder: Path, source: str, name: str, rows: list[tuple[str, str, float]]) -> None:
    """A department's return arrives: indicator_code, period, value rows."""
    lines = ["indicator_code,period,value"] + [f"{c},{p},{v}" for c, p, v in rows]
    (folder / "extracts" / source / name).write_text("\n".join(lines) + "\n")


def nightly(folder: Path, warehouse: str, as_of: str) -> str:
    result = boardpack(
        "run",
        "--config",
        str(folder),
        "--warehouse",
        warehouse,
        "--out",
        str(folder / "out"),
        "--as-of",
        as_of,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def register(folder: Path, warehouse: str) -> pl.DataFrame:
    result = boardpack("export", "returns", "--config", str(folder), "--warehouse", warehouse)
    assert result.returncode == 0, result.stderr
    return pl.read_csv(io.StringIO(result.stdout), infer_schema_length=0)


def status(frame: pl.DataFrame, source: str, period: str) -> dict[str, str | None]:
    rows = frame.filter((pl.col("source_id") == source) & (pl.col("period") == period))
    assert rows.height == 1, frame
    return rows.row(0, named=True)


def test_working_days_leave_out_weekends_and_english_bank_holidays() -> None:
    # 2025/26 Q4 ends on Tuesday 31 March 2026; Good Friday is 3 April and Easter Monday
    # 6 April: the tenth working day after is Thursday 16 April, not Tuesday 14 April.
    assert due_date(dt.date(2026, 3, 31), working_days=10) == dt.date(2026, 4, 16)
    # Q3: New Year's Day (Thursday 1 January 2026) is not a working day.
    assert due_date(dt.date(2025, 12, 31), working_days=10) == dt.date(2026, 1, 15)
    # Christmas 2026: Friday 25th, and Boxing Day's substitute on Monday 28 December.
    assert working_days_after(dt.date(2026, 12, 24), 1) == dt.date(2026, 12, 29)
    assert due_date(dt.date(2026, 9, 30), calendar_days=21) == dt.date(2026, 10, 21)


def test_returns_are_on_time_late_or_outstanding_across_easter_and_survive_restatement_and_backfill(
    tmp_path: Path, warehouse_url: str
) -> None:
    folder = write_council(tmp_path / "council")
    # Both Q3 returns arrive on 15 January 2026, the due date (New Year's Day excluded).
    send(folder, "waste", "q3.csv", [("WS 01", "2025/26 Q3", 48.5)])
    send(folder, "housing", "q3.csv", [("HS 01", "2025/26 Q3", 31)])
    nightly(folder, warehouse_url, "2026-01-15")
    # 15 April: neither Q4 return has come, and neither is late yet (due 16 April, after
    # Easter); counting Good Friday and Easter Monday as working days would make both late.
    nightly(folder, warehouse_url, "2026-04-15")
    seen = register(folder, warehouse_url)
    assert status(seen, "waste", "2025/26 Q3")["status"] == "on_time"
    assert status(seen, "waste", "2025/26 Q3")["due_date"] == "2026-01-15"
    assert status(seen, "waste", "2025/26 Q4")["status"] == "not_due"
    assert status(seen, "waste", "2025/26 Q4")["due_date"] == "2026-04-16"
    # Housing's return arrives on the due date; Waste's does not.
    send(folder, "housing", "q4.csv", [("HS 01", "2025/26 Q4", 12)])
    nightly(folder, warehouse_url, "2026-04-16")
    seen = register(folder, warehouse_url)
    assert status(seen, "housing", "2025/26 Q4")["status"] == "on_time"
    assert status(seen, "waste", "2025/26 Q4")["status"] == "not_due"  # due today
    # (the nightly as the Prefect flow runs it: its summary artifact lists the return)
    outcome = runs.nightly(folder, warehouse_url, folder / "out", dt.date(2026, 4, 17))
    assert "1 return(s) late or outstanding" in "\n".join(outcome.lines())
    assert (
        "## Late and outstanding returns\n\n"
        "| source | department | period | due | status | received | contact |\n"
        "|---|---|---|---|---|---|---|\n"
        "| waste | Waste Services | 2025/26 Q4 | 2026-04-16 | outstanding |  | "
        "Waste data officer |\n"
    ) in outcome.markdown()
    assert outcome.digest is not None
    assert "## Late and outstanding returns" in outcome.digest.markdown()
    seen = register(folder, warehouse_url)
    waste_q4 = status(seen, "waste", "2025/26 Q4")
    assert waste_q4["status"] == "outstanding"
    assert waste_q4["first_received"] is None
    assert waste_q4["contact_email"] == "waste.data@riverside.example"
    page = (folder / "out" / "returns.html").read_text()
    assert "Late: outstanding" in page
    assert "Waste data officer" in page
    assert 'href="returns.html"' in (folder / "out" / "index.html").read_text()
    # It arrives on 20 April: late. A restatement on 1 May keeps the first receipt.
    send(folder, "waste", "q4.csv", [("WS 01", "2025/26 Q4", 51.0)])
    nightly(folder, warehouse_url, "2026-04-20")
    send(folder, "waste", "q4-restated.csv", [("WS 01", "2025/26 Q4", 52.5)])
    (folder / "extracts" / "waste" / "q4.csv").unlink()
    nightly(folder, warehouse_url, "2026-05-01")
    seen = register(folder, warehouse_url)
    waste_q4 = status(seen, "waste", "2025/26 Q4")
    assert waste_q4["status"] == "late"
    assert waste_q4["first_received"] == "2026-04-20"
    assert str(waste_q4["first_file"]).endswith("q4.csv")
    assert waste_q4["latest_received"] == "2026-05-01"
    assert str(waste_q4["latest_file"]).endswith("q4-restated.csv")
    assert waste_q4["rows_loaded"] == "2"  # the figure and its restatement
    # A backfill recomputes and republishes; the register is as it was.
    result = boardpack(
        "backfill",
        "--config",
        str(folder),
        "--warehouse",
        warehouse_url,
        "--out",
        str(folder / "out"),
        "--from",
        "2025/26 Q3",
        "--to",
        "2025/26 Q4",
        "--as-of",
        "2026-05-01",
    )
    assert result.returncode == 0, result.stderr
    assert register(folder, warehouse_url).equals(seen)


def test_a_due_date_without_a_rule_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    folder = write_council(tmp_path / "council")
    text = (folder / "council.yaml").read_text()
    (folder / "council.yaml").write_text(
        text.replace('due: {working_days_after: 10, from: "2025/26 Q3"}', "due: {}", 1)
    )
    bad = boardpack("run", "--config", str(folder), "--out", str(tmp_path / "o"))
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
    assert "give one of 'working_days_after' or 'days_after'" in bad.stderr
    assert "council.yaml" in bad.stderr


def test_the_register_starts_at_the_first_return_due_after_the_source_was_first_loaded(
    tmp_path: Path,
) -> None:
    """Without ``from``, quarters already overdue when boardpack first loaded a department
    are history, not returns to chase."""
    folder = write_council(tmp_path / "council")
    text = (folder / "council.yaml").read_text().replace(', from: "2025/26 Q3"', "")
    (folder / "council.yaml").write_text(text)
    send(folder, "waste", "history.csv", [("WS 01", "2025/26 Q1", 40), ("WS 01", "2025/26 Q2", 45)])
    warehouse = f"sqlite:///{tmp_path / 'w.sqlite'}"
    nightly(folder, warehouse, "2025-10-03")  # Q2 (due 14 October) not yet due
    seen = register(folder, warehouse)
    assert seen.filter(pl.col("source_id") == "waste")["period"].to_list() == ["2025/26 Q2"]
    assert status(seen, "waste", "2025/26 Q2")["status"] == "on_time"


@pytest.mark.parametrize("text", ["2025/26 Q5", "Q3", "2025-13"])
def test_a_from_that_is_not_a_quarter_is_refused(tmp_path: Path, text: str) -> None:
    folder = write_council(tmp_path / "council")
    body = (folder / "council.yaml").read_text().replace("2025/26 Q3", text, 1)
    (folder / "council.yaml").write_text(body)
    bad = boardpack("run", "--config", str(folder), "--out", str(tmp_path / "o"))
    assert bad.returncode == 2
    assert f"from: '{text}' is not a quarter such as 2026/27 Q1" in bad.stderr
