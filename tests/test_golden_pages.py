"""Golden pages: a board report, the index and the data-quality page, exactly as published.

A small hand-made council (four indicators of different units and polarities, one quarterly
board, a milestone, two risks and three rows a department got wrong) is loaded and published
through the same functions the nightly run uses, at a fixed as-of date. Each page is compared
with its reviewed copy under tests/__snapshots__/test_golden_pages/, so any change to what a
committee reads shows up as a diff.

When a change to a page is intended, regenerate the copies and review them like code:

    .venv/bin/pytest tests/test_golden_pages.py --snapshot-update
    git diff tests/__snapshots__/

A changed snapshot is committed only when every changed line is one the change meant to make.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from boardpack import runs

AS_OF = dt.date(2020, 9, 30)  # FY 2020/21 Q2 has just ended
BOARD_PAGE = Path("2020-21") / "Q2" / "people-ppb.html"

COUNCIL_YAML = """\
name: Fixture Borough Council
year_start_month: 4
documents: true
tolerance: {type: relative, value: 0.05}
priorities:
  - id: independence
    name: Independent lives
boards:
  - id: people-ppb
    name: People Policy and Performance Board
    cadence: quarterly
    services: [Adult Care, Housing]
sources:
  - id: people-returns
    department: People Directorate
    kind: observations
    format: csv
    path: extracts/returns.csv
  - id: milestones
    department: Corporate Performance
    kind: milestones
    format: csv
    path: extracts/milestones.csv
  - id: risks
    department: Corporate Performance
    kind: risks
    format: csv
    path: extracts/risks.csv
"""

INDICATORS_CSV = (
    "code,title,service,unit,polarity,aggregation,frequency,decimals,scale,tolerance,"
    "tolerance_type,key,priority\n"
    "AC 01,Care reviews completed on time,Adult Care,percent,higher,ratio,monthly,1,,,,true,"
    "independence\n"
    "AC 02,Average days to start a care package,Adult Care,days,lower,mean,monthly,1,,,,false,\n"
    "HS 01,Households in temporary accommodation,Housing,count,target,last,quarterly,0,,5,"
    "absolute,true,independence\n"
    "HS 02,Spend on bed and breakfast placements,Housing,gbp,none,sum,quarterly,0,,,,false,\n"
)

TARGETS_CSV = """\
code,financial_year,period,target
AC 01,2019/20,,90
AC 01,2020/21,,95
AC 02,2019/20,,21
AC 02,2020/21,,18
HS 01,2019/20,,60
HS 01,2020/21,,55
"""

# Months of FY 2019/20 (April 2019 to March 2020) and of 2020/21 to September.
MONTHS = [f"2019-{m:02d}" for m in range(4, 13)] + [f"2020-{m:02d}" for m in range(1, 10)]
# AC 01 reviews due each month, and how many were on time.
REVIEWS_DUE = [40, 42, 38, 45, 41, 39, 44, 40, 37, 43, 42, 46, 40, 41, 39, 44, 42, 45]
REVIEWS_ON_TIME = [35, 37, 34, 40, 36, 35, 40, 37, 33, 39, 38, 42, 37, 38, 36, 41, 39, 42]
DAYS_TO_START = [22.5, 21.0, 23.4, 20.1, 19.8, 22.0, 21.6, 20.4, 19.9, 21.2, 20.0, 19.5]
DAYS_TO_START += [18.2, 19.1, 21.7, 17.9, 18.8, 19.4]
QUARTERS = ["2019/20 Q1", "2019/20 Q2", "2019/20 Q3", "2019/20 Q4", "2020/21 Q1", "2020/21 Q2"]
HOUSEHOLDS = [64, 61, 58, 57, 59, 53]
BED_AND_BREAKFAST_SPEND = [41250, 38900, 45100, 39800, 35600, 30150]

# Mistakes: an unknown code, a figure that is not a number, a future quarter.
MISTAKES = """\
AC 99,2020-08,12,,,
AC 02,2020-07,n/a,,,Figure to follow
HS 01,2020/21 Q3,50,,,
"""

MILESTONES = [
    ["ref", "service", "description", "due_date", "status", "commentary", "period", "priority"],
    [
        "PD M01",
        "Adult Care",
        "Open the new reablement centre",
        "2020-12-31",
        "at_risk",
        "Contractor delay of six weeks",
        "2020/21 Q2",
        "independence",
    ],
]

# Only high risks are shown on a board report.
RISKS = [
    ["ref", "service", "description", "rating", "mitigation", "progress", "period"],
    [
        "PD R01",
        "Housing",
        "Temporary accommodation costs exceed budget",
        "high",
        "Leasing scheme with local landlords",
        "Twelve homes leased",
        "2020/21 Q2",
    ],
    [
        "PD R02",
        "Adult Care",
        "Care provider market fails",
        "medium",
        "Market position statement",
        "Fees reviewed",
        "2020/21 Q2",
    ],
]


def csv_text(rows: list[list[str]]) -> str:
    return "".join(",".join(row) + "\n" for row in rows)


def returns_csv() -> str:
    lines = ["indicator_code,period,value,numerator,denominator,commentary"]
    for month, due, on_time in zip(MONTHS, REVIEWS_DUE, REVIEWS_ON_TIME, strict=True):
        lines.append(f"AC 01,{month},,{on_time},{due},")
    for month, days in zip(MONTHS, DAYS_TO_START, strict=True):
        note = "Backlog cleared <b>early</b> & staff returned" if month == "2020-09" else ""
        lines.append(f"AC 02,{month},{days},,,{note}")
    for quarter, households, spend in zip(
        QUARTERS, HOUSEHOLDS, BED_AND_BREAKFAST_SPEND, strict=True
    ):
        lines.append(f"HS 01,{quarter},{households},,,")
        lines.append(f"HS 02,{quarter},{spend},,,")
    return "\n".join(lines) + "\n" + MISTAKES


def write_fixture_council(folder: Path) -> Path:
    extracts = folder / "extracts"
    extracts.mkdir(parents=True)
    files = {
        folder / "council.yaml": COUNCIL_YAML,
        folder / "indicators.csv": INDICATORS_CSV,
        folder / "targets.csv": TARGETS_CSV,
        extracts / "returns.csv": returns_csv(),
        extracts / "milestones.csv": csv_text(MILESTONES),
        extracts / "risks.csv": csv_text(RISKS),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return folder


def nightly_publish(council_dir: Path, warehouse: Path, out: Path) -> None:
    """The nightly run (the first into an empty warehouse publishes every report)."""
    runs.nightly(council_dir, f"sqlite:///{warehouse}", out, AS_OF)


class HTMLSnapshot(SingleFileSnapshotExtension):
    """One reviewable .html file per snapshot."""

    file_extension = "html"
    _write_mode = WriteMode.TEXT


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("golden")
    out = root / "out"
    nightly_publish(write_fixture_council(root / "council"), root / "warehouse.sqlite", out)
    return out


@pytest.fixture
def html_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(HTMLSnapshot)


def test_board_report_page(site: Path, html_snapshot: SnapshotAssertion) -> None:
    assert (site / BOARD_PAGE).read_text(encoding="utf-8") == html_snapshot


def test_chart_page(site: Path, html_snapshot: SnapshotAssertion) -> None:
    charts = BOARD_PAGE.with_name("people-ppb-charts.html")
    assert (site / charts).read_text(encoding="utf-8") == html_snapshot


def test_exceptions_page(site: Path, html_snapshot: SnapshotAssertion) -> None:
    exceptions = BOARD_PAGE.with_name("people-ppb-exceptions.html")
    assert (site / exceptions).read_text(encoding="utf-8") == html_snapshot


def test_priority_page(site: Path, html_snapshot: SnapshotAssertion) -> None:
    priority = BOARD_PAGE.with_name("priority-independence.html")
    assert (site / priority).read_text(encoding="utf-8") == html_snapshot


def test_index_page(site: Path, html_snapshot: SnapshotAssertion) -> None:
    assert (site / "index.html").read_text(encoding="utf-8") == html_snapshot


def test_data_quality_page(site: Path, html_snapshot: SnapshotAssertion) -> None:
    assert (site / "data-quality.html").read_text(encoding="utf-8") == html_snapshot


def test_the_pages_do_not_depend_on_where_or_when_they_were_built(
    site: Path, tmp_path: Path
) -> None:
    """The snapshots hold for anyone: a second build elsewhere gives the same bytes."""
    again = tmp_path / "out"
    nightly_publish(write_fixture_council(tmp_path / "council"), tmp_path / "w.sqlite", again)
    copies = (
        BOARD_PAGE.with_suffix(".pdf"),
        BOARD_PAGE.with_suffix(".docx"),
        BOARD_PAGE.with_name("people-ppb-charts.html"),
        BOARD_PAGE.with_name("people-ppb-exceptions.html"),
    )
    for page in (BOARD_PAGE, Path("index.html"), Path("data-quality.html"), *copies):
        assert (again / page).read_bytes() == (site / page).read_bytes()


# The same council in its own words: two statuses, unit words, and a yes/no measure.
WORDED_INDICATORS_CSV = """\
code,title,service,unit,polarity,aggregation,frequency,decimals,unit_label
AC 01,Care reviews completed on time,Adult Care,percent,higher,ratio,monthly,1,
AC 02,Average wait to start a care package,Adult Care,days,lower,mean,monthly,1,working days
HS 01,Households in temporary accommodation,Housing,count,target,last,quarterly,0,households
HS 02,Spend on bed and breakfast placements,Housing,gbp,none,sum,quarterly,0,
HS 03,Homelessness strategy published,Housing,yesno,higher,last,quarterly,0,
"""


def write_worded_council(folder: Path) -> Path:
    write_fixture_council(folder)
    yaml = COUNCIL_YAML.replace(
        "tolerance: {type: relative, value: 0.05}\n",
        "tolerance: {type: relative, value: 0}\nstatus_labels: {green: Met, red: Not met}\n",
    )
    (folder / "council.yaml").write_text(yaml, encoding="utf-8")
    (folder / "indicators.csv").write_text(WORDED_INDICATORS_CSV, encoding="utf-8")
    targets = TARGETS_CSV + "HS 03,2019/20,,yes\nHS 03,2020/21,,yes\n"
    (folder / "targets.csv").write_text(targets, encoding="utf-8")
    answers = "HS 03,2019/20 Q4,Yes,,,\nHS 03,2020/21 Q1,no,,,\nHS 03,2020/21 Q2,YES,,,Agreed\n"
    returns = folder / "extracts" / "returns.csv"
    returns.write_text(returns.read_text(encoding="utf-8") + answers, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def worded_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("worded")
    out = root / "out"
    nightly_publish(write_worded_council(root / "council"), root / "warehouse.sqlite", out)
    return out


def test_board_report_page_in_the_councils_words(
    worded_site: Path, html_snapshot: SnapshotAssertion
) -> None:
    assert (worded_site / BOARD_PAGE).read_text(encoding="utf-8") == html_snapshot


# The same council rated by forecast, in Colchester's words (SPEC §3, issue 23): a service
# gives year-end forecasts, and a total with a month missing is incomplete.
FORECAST_YAML = """\
rating: forecast
status_definitions:
  green: on track to be achieved
  amber: not meeting expectations to date but with improvement likely
  red: currently not meeting expectations and unlikely to do so by the year-end
"""
HOMES_LET = {"2020-04": 20, "2020-05": 22, "2020-06": 21, "2020-07": 19, "2020-09": 23}


def write_forecast_council(folder: Path) -> Path:
    write_fixture_council(folder)
    yaml = folder / "council.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + FORECAST_YAML, encoding="utf-8")
    indicators = (
        INDICATORS_CSV
        + "HS 04,Homes let to households in need,Housing,count,higher,sum,monthly,0,,,,false\n"
    )
    (folder / "indicators.csv").write_text(indicators, encoding="utf-8")
    targets = TARGETS_CSV + "HS 04,2020/21,,300\n"
    (folder / "targets.csv").write_text(targets, encoding="utf-8")
    returns = folder / "extracts" / "returns.csv"
    lines = returns.read_text(encoding="utf-8").splitlines()
    # AC 02's year-end forecast, given with its June and September figures; HS 04 has
    # no figure for August.
    forecasts = {"AC 02,2020-06,": "17.5", "AC 02,2020-09,": "18.0"}
    rows = [lines[0] + ",forecast"]
    for line in lines[1:]:
        rows.append(line + "," + next((f for k, f in forecasts.items() if line.startswith(k)), ""))
    rows += [f"HS 04,{month},{homes},,,," for month, homes in HOMES_LET.items()]
    returns.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_board_report_page_rated_by_forecast(
    tmp_path: Path, html_snapshot: SnapshotAssertion
) -> None:
    out = tmp_path / "out"
    nightly_publish(write_forecast_council(tmp_path / "council"), tmp_path / "w.sqlite", out)
    assert (out / BOARD_PAGE).read_text(encoding="utf-8") == html_snapshot
    # The Word copy shows the same: the forecast column, the incomplete total uncoloured.
    from docx import Document

    table = Document(str(out / BOARD_PAGE.with_suffix(".docx"))).tables[1]
    header = [cell.text for cell in table.rows[0].cells]
    assert header[5:7] == ["Year-end forecast", "Status"]
    incomplete = next(row for row in table.rows if row.cells[0].text == "HS 04")
    assert incomplete.cells[6].text == "… Incomplete: 5 of 6 months"
    assert "w:shd" not in incomplete.cells[6]._tc.xml


def test_manifest_lists_the_pdf_and_word_copies_with_their_hashes(site: Path) -> None:
    import hashlib
    import json

    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = [e for e in manifest["reports"] if e["path"] == BOARD_PAGE.as_posix()]
    for kind in ("pdf", "docx"):
        listed = entry[kind]
        assert listed["path"] == BOARD_PAGE.with_suffix(f".{kind}").as_posix()
        assert listed["sha256"] == hashlib.sha256((site / listed["path"]).read_bytes()).hexdigest()


def test_pdf_is_a_tagged_titled_copy_of_the_page(site: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(site / BOARD_PAGE.with_suffix(".pdf"))
    title = "People Policy and Performance Board — Quarter 2 2020/21: 1 July to 30 September 2020"
    assert reader.metadata is not None
    assert reader.metadata.title == title
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"
    text = " ".join(page.extract_text() for page in reader.pages)
    for words in (title, "AC 01", "On target", "Off target", "31 December 2020", "HS 01: 5."):
        assert words in text
    assert all(float(p.mediabox.width) > float(p.mediabox.height) for p in reader.pages)


def test_word_copy_has_real_tables_with_repeated_headers_and_status_in_words(
    site: Path,
) -> None:
    from docx import Document
    from docx.oxml.ns import qn

    word = Document(str(site / BOARD_PAGE.with_suffix(".docx")))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == (
        "People Policy and Performance Board — Quarter 2 2020/21: 1 July to 30 September 2020"
    )
    assert headings[1:] == [
        "Summary",
        "Performance indicators",
        "Objectives and milestones",
        "High risks",
        "Notes",
    ]
    summary, indicators, milestones, risks = word.tables
    for table in word.tables:
        header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
        assert header is not None
        assert header.get(qn("w:val")) == "true"
    assert [c.text for c in indicators.rows[0].cells][:2] == ["Code", "Measure"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in indicators.rows[1:]}
    assert set(rows) >= {"AC 01 ★", "AC 02", "HS 01 ★", "HS 02", "Adult Care", "Housing"}
    statuses = {rows[code][5] for code in ("AC 01 ★", "AC 02", "HS 01 ★", "HS 02")}
    assert statuses <= {"✔ On target", "▲ Near target", "✖ Off target", "○ Data only"}
    assert "○ Data only" in statuses
    assert rows["AC 02"][7] == "Backlog cleared <b>early</b> & staff returned"  # as text
    assert [c.text for c in milestones.rows[0].cells][3] == "Due"
    assert milestones.rows[2].cells[3].text == "31 December 2020"  # after the lead officer
    assert [r.cells[0].text for r in risks.rows[1:]] == ["Housing", "PD R01"]
    assert summary.rows[1].cells[0].text == "✔ On target"
    assert word.core_properties.created == dt.datetime(2020, 9, 30, tzinfo=dt.UTC)  # as at
