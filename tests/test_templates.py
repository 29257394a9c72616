"""Return templates (``boardpack template``): the workbook a department fills, read back
by ``boardpack validate`` and the nightly run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl

from boardpack import runs
from tests.test_cli import boardpack
from warehouse.exports import export_csv
from warehouse.schema import connect

INDICATORS = (
    "code,title,service,unit,polarity,aggregation,frequency,decimals,unit_label\n"
    "CP 01,Plans reviewed on time,Care,percent,higher,ratio,monthly,1,\n"
    "CP 02,Average wait for assessment,Care,days,lower,mean,quarterly,1,weeks\n"
    "CP 03,Safeguarding audit done,Care,yesno,higher,last,quarterly,0,\n"
    "CP 04,Annual survey score,Care,score,higher,last,annual,0,\n"
    "LB 01,Library visits,Libraries,count,higher,sum,quarterly,0,\n"
)
COUNCIL = """\
name: Testshire Council
boards:
  - {id: care, name: Care Board, cadence: quarterly, services: [Care, Libraries]}
sources:
  - id: care
    department: Adult Care
    kind: observations
    format: excel
    path: returns/*.xlsx
    expect_files: false  # the register tests send no figures return
    sheet: Care return
    columns: {indicator_code: Code, period: Period, value: Figure, commentary: Notes}
    services: [Care]
  - id: history
    department: Adult Care
    kind: observations
    format: csv
    path: history/*.csv
"""


def council(folder: Path) -> Path:
    (folder / "returns").mkdir(parents=True)
    (folder / "history").mkdir()
    (folder / "indicators.csv").write_text(INDICATORS)
    (folder / "targets.csv").write_text(
        "code,financial_year,period,target\nCP 02,2026/27,,12\nCP 02,2026/27,Q3,11.5\n"
        "CP 03,2026/27,,yes\n"
    )
    (folder / "council.yaml").write_text(COUNCIL)
    (folder / "history" / "last-year.csv").write_text(
        "indicator_code,period,value,numerator,denominator\n"
        "CP 02,2025/26 Q3,13.25,,\nCP 01,2025-11,,45,50\n"
    )
    return folder


def table(path: Path) -> tuple[openpyxl.worksheet.worksheet.Worksheet, list[str]]:
    sheet = openpyxl.load_workbook(path)["Care return"]
    return sheet, [c.value for c in sheet[1]]


def test_a_template_lists_what_the_source_owes_locked_and_validated(tmp_path: Path) -> None:
    folder = council(tmp_path / "c")
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    runs.nightly(folder, url, tmp_path / "out", dt.date(2025, 12, 31))
    path = tmp_path / "care.xlsx"
    done = boardpack(
        "template",
        "--config",
        str(folder),
        "--source",
        "care",
        "--period",
        "2026/27 Q3",
        "--out",
        str(path),
        "--warehouse",
        url,
    )
    assert done.returncode == 0, done.stderr
    sheet, header = table(path)
    assert header[:10] == [
        "Code",
        "Period",
        "Figure",
        "numerator",
        "denominator",
        "Notes",
        "forecast",  # the year-end forecast: optional (SPEC §3)
        "Indicator",
        "Unit",
        "Same period last year",
    ]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    # Care's indicators only (not Libraries'); monthly ones a row a month; no annual row in Q3.
    assert [(r[0], r[1]) for r in rows] == [
        ("CP 01", "2026-10"),
        ("CP 01", "2026-11"),
        ("CP 01", "2026-12"),
        ("CP 02", "2026/27 Q3"),
        ("CP 03", "2026/27 Q3"),
    ]
    by_code = {(r[0], r[1]): r for r in rows}
    assert by_code[("CP 02", "2026/27 Q3")][8:11] == ["days (weeks)", "13.3 weeks", "11.5 weeks"]
    assert by_code[("CP 01", "2026-11")][9] == "90.0%"  # 45 / 50 last November
    assert by_code[("CP 03", "2026/27 Q3")][10] == "Yes"
    assert not sheet["G2"].protection.locked  # the forecast is filled in
    assert sheet.protection.sheet
    assert sheet["A2"].protection.locked
    assert not sheet["C2"].protection.locked
    assert not sheet["D2"].protection.locked  # a ratio's numerator is filled in
    assert sheet["D5"].protection.locked  # CP 02 is not a ratio
    lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert [(str(v.sqref), v.formula1) for v in lists] == [("C6", '"yes,no"'), ("G6", '"yes,no"')]
    for cell in ("C2", "G2"):  # a forecast is checked as the figure is
        percent = [v for v in sheet.data_validations.dataValidation if str(v.sqref) == cell]
        assert (percent[0].formula1, percent[0].formula2) == ("0", "100")


def fill(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Care return"]
    figures = {
        ("CP 01", "2026-10"): (None, 40, 50),
        ("CP 01", "2026-11"): (None, 44, 50),
        ("CP 01", "2026-12"): (None, 47, 50),
        ("CP 02", "2026/27 Q3"): (11.25, None, None),
        ("CP 03", "2026/27 Q3"): ("Yes", None, None),
    }
    for row in sheet.iter_rows(min_row=2):
        value, numerator, denominator = figures[(row[0].value, row[1].value)]
        row[2].value, row[3].value, row[4].value = value, numerator, denominator
    sheet["F5"] = "Two assessors joined in October"
    sheet["G5"] = 12.5  # CP 02's year-end forecast
    workbook.save(path)


def test_a_filled_template_validates_clean_and_loads(tmp_path: Path) -> None:
    folder = council(tmp_path / "c")
    path = folder / "returns" / "care-q3.xlsx"
    done = boardpack(
        "template",
        "--config",
        str(folder),
        "--source",
        "care",
        "--period",
        "2026/27 Q3",
        "--out",
        str(path),
    )
    assert done.returncode == 0, done.stderr
    fill(path)
    checked = boardpack(
        "validate",
        "--config",
        str(folder),
        "--source",
        "care",
        str(path),
        "--as-of",
        "2026-12-31",
    )
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("0 problems")
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    outcome = runs.nightly(folder, url, tmp_path / "out", dt.date(2026, 12, 31))
    assert outcome.exit_code == 0
    assert {f.source_id: f.rows_loaded for f in outcome.files}["care"] == 5
    measures = pl.read_csv(export_csv(connect(url), "measures").encode(), infer_schema=False)
    q3 = measures.filter(pl.col("period") == "2026/27 Q3")
    assert dict(q3.select("indicator_code", "rag").rows())["CP 03"] == "green"
    assert dict(q3.select("indicator_code", "period_value").rows())["CP 01"] == "87.33333333333333"
    assert dict(q3.select("indicator_code", "forecast_value").rows())["CP 02"] == "12.5"


def test_all_writes_one_workbook_per_excel_source_and_needs_no_warehouse(tmp_path: Path) -> None:
    folder = council(tmp_path / "c")
    done = boardpack(
        "template",
        "--config",
        str(folder),
        "--all",
        "--period",
        "2026/27 Q4",
        "--out",
        str(tmp_path / "t"),
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["care-2026-27-Q4.xlsx"]
    sheet, _ = table(tmp_path / "t" / "care-2026-27-Q4.xlsx")
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert ("CP 04", "2026/27") in [(r[0], r[1]) for r in rows]  # annual: at the year's end
    assert {r[9] for r in rows} == {None}  # no warehouse: last year is blank


def test_a_source_with_nothing_to_list_is_told_how_to_name_its_indicators(tmp_path: Path) -> None:
    folder = council(tmp_path / "c")
    text = (folder / "council.yaml").read_text().replace("    services: [Care]\n", "")
    (folder / "council.yaml").write_text(text)
    done = boardpack(
        "template", "--config", str(folder), "--source", "care", "--period", "2026/27 Q3"
    )
    assert done.returncode == 2
    assert "under the source's 'indicators' (codes) or 'services'" in done.stderr


REGISTERS = """\
  - id: milestones
    department: Corporate Performance
    kind: milestones
    format: excel
    path: registers/milestones-*.xlsx
    expect_files: false  # a register not sent this quarter is not a failure here
    columns: {ref: Ref, status: Progress, revised_date: Revised date}
    services: [Care]
  - id: risks
    department: Corporate Performance
    kind: risks
    format: excel
    path: registers/risks-*.xlsx
    expect_files: false  # a register not sent this quarter is not a failure here
    services: [Care]
  - id: narrative
    department: Corporate Performance
    kind: narrative
    format: excel
    path: registers/narrative-*.xlsx
    expect_files: false  # a register not sent this quarter is not a failure here
    services: [Care, Libraries]
"""


def register_council(folder: Path) -> Path:
    council(folder)
    (folder / "registers").mkdir()
    yaml = (folder / "council.yaml").read_text() + REGISTERS
    (folder / "council.yaml").write_text(yaml)
    (folder / "history" / "this-year.csv").write_text(  # figures, so that pages are written
        "indicator_code,period,value,numerator,denominator\nLB 01,2026/27 Q2,1200,,\n"
    )
    return folder


def write_register_return(folder: Path, kind: str, period: str, url: str | None) -> Path:
    path = folder / "registers" / f"{kind}-{period.replace('/', '-').replace(' ', '-')}.xlsx"
    args = ["template", "--config", str(folder), "--source", kind, "--period", period]
    done = boardpack(*args, "--out", str(path), *(["--warehouse", url] if url else []))
    assert done.returncode == 0, done.stderr
    return path


def sheet_rows(path: Path) -> tuple[openpyxl.Workbook, Any, list[str]]:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Return"]
    return workbook, sheet, [c.value for c in sheet[1]]


def test_register_templates_round_trip_and_carry_forward(tmp_path: Path) -> None:
    folder = register_council(tmp_path / "c")
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    # A first quarter: nothing to carry, so the department writes its entries.
    path = write_register_return(folder, "milestones", "2026/27 Q2", None)
    workbook, sheet, headers = sheet_rows(path)
    assert headers[:5] == ["Ref", "service", "description", "due_date", "Progress"]
    assert "Revised date" in headers
    row = dict.fromkeys(headers)
    row |= {"Ref": "M1", "service": "Care", "description": "Open the hub", "owner": "Head"}
    row |= {"due_date": "01/04/2026", "Progress": "off_track", "Revised date": "31/12/26"}
    row |= {"period": "2026/27 Q2"}
    for index, header in enumerate(headers, start=1):
        if row[header] is not None:
            sheet.cell(row=2, column=index, value=row[header])
    workbook.save(path)
    path = write_register_return(folder, "risks", "2026/27 Q2", None)
    workbook, sheet, headers = sheet_rows(path)
    row = {"ref": "R1", "service": "Care", "description": "Provider fails", "likelihood": "4"}
    row |= {"impact": "4", "mitigation": "Market plan", "progress": "Fees reviewed"}
    row |= {"period": "2026/27 Q2"}
    for index, header in enumerate(headers, start=1):
        if header in row:
            sheet.cell(row=2, column=index, value=row[header])
    workbook.save(path)
    path = write_register_return(folder, "narrative", "2026/27 H1", None)
    workbook, sheet, headers = sheet_rows(path)
    listed = [(r[0].value, r[2].value, r[1].value) for r in sheet.iter_rows(min_row=2)]
    assert listed[0] == ("Care", "Key developments", "2026/27 Q2")  # H1 ends in Q2
    assert len(listed) == 6
    sheet.cell(row=2, column=headers.index("text") + 1, value="The hub opened in <May>.")
    workbook.save(path)
    for source in ("milestones", "risks", "narrative"):
        (returned,) = (folder / "registers").glob(f"{source}-*.xlsx")
        checked = boardpack("validate", "--config", str(folder), "--source", source, str(returned))
        assert checked.returncode == 0, checked.stdout
        assert checked.stdout.startswith("0 problems")
    outcome = runs.nightly(folder, url, tmp_path / "out", dt.date(2026, 9, 30))
    loaded = {f.source_id: f.rows_loaded for f in outcome.files}
    # Blank template rows and headings left unwritten are not data.
    assert (loaded["milestones"], loaded["risks"], loaded["narrative"]) == (1, 1, 1)
    page = (tmp_path / "out" / "2026-27" / "Q2" / "care.html").read_text(encoding="utf-8")
    assert "The hub opened in &lt;May&gt;." in page
    assert "⚠ Overdue (off track)" not in page  # revised to 31 December 2026
    assert "31 December 2026 (revised from 1 April 2026)" in page
    # The next quarter's return carries the milestone and risk forward, facts locked.
    path = write_register_return(folder, "milestones", "2026/27 Q3", url)
    workbook, sheet, headers = sheet_rows(path)
    cells = {h: c for h, c in zip(headers, next(sheet.iter_rows(min_row=2)), strict=True)}
    assert cells["Ref"].value == "M1"
    assert cells["period"].value == "2026/27 Q3"
    assert cells["owner"].value == "Head"
    assert cells["Ref"].protection.locked
    assert not cells["Progress"].protection.locked
    cells["Progress"].value = "complete"
    workbook.save(path)
    path = write_register_return(folder, "risks", "2026/27 Q3", url)
    workbook, sheet, headers = sheet_rows(path)
    cells = {h: c for h, c in zip(headers, next(sheet.iter_rows(min_row=2)), strict=True)}
    assert (cells["ref"].value, cells["description"].value) == ("R1", "Provider fails")
    cells["likelihood"].value = "3"
    cells["impact"].value = "5"
    workbook.save(path)
    outcome = runs.nightly(folder, url, tmp_path / "out", dt.date(2026, 12, 31))
    assert outcome.exit_code == 0, (outcome.rejections, outcome.failed_sources)
    q3 = (tmp_path / "out" / "2026-27" / "Q3" / "care.html").read_text(encoding="utf-8")
    assert "✔ Complete" in q3
    assert "15 (likelihood 3 × impact 5)" in q3
    assert "↓ Score down" in q3
