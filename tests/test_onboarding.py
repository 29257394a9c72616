"""The council's own words and real-world formats (issue 17): unit labels, yes/no
measures, status labels, formatted numbers and aliases, through the nightly run."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from boardpack import runs
from boardpack.config import load_council
from core.errors import ConfigError
from warehouse.exports import export_csv
from warehouse.schema import connect

AS_OF = dt.date(2026, 9, 30)
INDICATORS = (
    "code,title,service,unit,polarity,aggregation,frequency,decimals,unit_label,aliases\n"
    "WT 01,Average wait for an assessment,Care,days,lower,mean,quarterly,1,weeks,"
    "Wait for assessment|Assessment wait (weeks)\n"
    "WS 01,Household waste collected,Care,count,none,sum,quarterly,0,tonnes,\n"
    "SG 01,Safeguarding audit completed,Care,yesno,higher,last,quarterly,0,,\n"
    "SG 02,Annual governance statement signed,Care,yesno,higher,last,quarterly,0,,\n"
    "BU 01,Spend on agency staff,Care,gbp,lower,sum,quarterly,2,,\n"
    "PC 01,Calls answered in 30 seconds,Care,percent,higher,mean,quarterly,1,,\n"
)
TARGETS = (
    "code,financial_year,period,target\n"
    "WT 01,2026/27,,12.5\n"
    "SG 01,2026/27,,Yes\n"
    "SG 02,2026/27,,yes\n"
    "BU 01,2026/27,,5000\n"
    "PC 01,2026/27,,60\n"
)


def council(folder: Path, *, labels: str = "", numbers: str = "plain", tolerance: str = "") -> Path:
    (folder / "extracts").mkdir(parents=True)
    (folder / "indicators.csv").write_text(INDICATORS, encoding="utf-8")
    (folder / "targets.csv").write_text(TARGETS, encoding="utf-8")
    (folder / "council.yaml").write_text(
        "name: Testshire Council\n"
        + tolerance
        + labels
        + "boards:\n  - {id: care, name: Care Board, cadence: quarterly, services: [Care]}\n"
        "sources:\n  - {id: care, department: Care, kind: observations, format: csv,"
        f" path: 'extracts/*.csv', numbers: {numbers}}}\n",
        encoding="utf-8",
    )
    return folder


def run(folder: Path, tmp_path: Path, rows: str) -> tuple[int, Path, str]:
    (folder / "extracts" / "q1.csv").write_text(
        "indicator_code,period,value,commentary\n" + rows, encoding="utf-8"
    )
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    out = tmp_path / "out"
    outcome = runs.nightly(folder, url, out, AS_OF)
    return outcome.exit_code, out, url


def page_text(out: Path) -> str:
    html = (out / "2026-27" / "Q1" / "care.html").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def measures(url: str) -> dict[str, tuple[str, str]]:
    frame = pl.read_csv(export_csv(connect(url), "measures").encode(), infer_schema=False)
    q1 = frame.filter(pl.col("period") == "2026/27 Q1")
    return {r[0]: (r[1], r[2]) for r in q1.select("indicator_code", "ytd_value", "rag").rows()}


def rejections(url: str) -> list[tuple[str, str, str]]:
    frame = pl.read_csv(export_csv(connect(url), "rejections").encode(), infer_schema=False)
    return frame.select("row_number", "reason_code", "message").rows()


ROWS = (
    "WT 01,2026/27 Q1,12.5,\n"
    "WS 01,2026/27 Q1,1204,\n"
    "SG 01,2026/27 Q1,YES,\n"
    "SG 02,2026/27 Q1,no,\n"
    "BU 01,2026/27 Q1,4800,\n"
    "PC 01,2026/27 Q1,61.5,\n"
)


def test_unit_labels_and_yes_no_answers_read_in_the_councils_words(tmp_path: Path) -> None:
    code, out, url = run(council(tmp_path / "c"), tmp_path, ROWS)
    assert code == 0
    text = page_text(out)
    assert "12.5 weeks" in text
    assert "1,204 tonnes" in text
    ours = measures(url)
    assert ours["SG 01"] == ("1.0", "green")  # yes against a target of yes
    assert ours["SG 02"] == ("0.0", "red")  # no against yes: red, never amber
    assert re.search(r"SG 01 Safeguarding audit completed – Yes Yes ✔ On target", text)
    assert re.search(r"SG 02 Annual governance statement signed – Yes No ✖ Off target", text)
    assert "Yes/no measures ✔ On target when the answer is the one targeted, else ✖ Off" in text


def test_a_yes_no_measure_takes_only_yes_or_no(tmp_path: Path) -> None:
    code, _, url = run(
        council(tmp_path / "c"), tmp_path, "SG 01,2026/27 Q1,1,\nSG 02,2026/27 Q1,maybe,\n"
    )
    assert code == 1
    assert rejections(url) == [
        ("2", "not_a_number", "'1' is not yes or no: SG 01 is a yes/no measure"),
        ("3", "not_a_number", "'maybe' is not yes or no: SG 02 is a yes/no measure"),
    ]


def test_a_yes_no_indicator_must_take_its_latest_answer(tmp_path: Path) -> None:
    folder = council(tmp_path / "c")
    text = (
        (folder / "indicators.csv").read_text().replace("yesno,higher,last", "yesno,higher,sum", 1)
    )
    (folder / "indicators.csv").write_text(text)
    with pytest.raises(ConfigError, match="'SG 01' has unit yesno, which needs aggregation last"):
        load_council(folder)


TWO_STATES = "tolerance: {type: relative, value: 0}\n"
MET = "status_labels: {green: Met, red: Not met}\n"


def test_status_labels_give_two_statuses_and_no_amber(tmp_path: Path) -> None:
    folder = council(tmp_path / "c", labels=MET, tolerance=TWO_STATES)
    code, out, _ = run(folder, tmp_path, ROWS)
    assert code == 0
    text = page_text(out)
    assert "two statuses, ✔ Met and ✖ Not met; there is no amber" in text
    assert "amber" not in text.replace("there is no amber", "").lower()
    assert "Near target" not in text
    assert "On target" not in text
    assert re.search(r"WT 01 Average wait for an assessment – 12.5 weeks 12.5 weeks ✔ Met", text)
    assert re.search(r"SG 02 .* ✖ Not met", text)
    assert "Measures: 3 (60%) Met, 2 (40%) Not met; 1 reported for information only." in text


def test_status_labels_with_a_tolerance_keep_amber_in_boardpacks_words(tmp_path: Path) -> None:
    code, out, _ = run(council(tmp_path / "c", labels=MET), tmp_path, ROWS)
    assert code == 0
    text = page_text(out)
    assert "▲ Near target" in text  # defined in the notes: amber is still possible
    assert "there is no amber" not in text
    assert "✔ Met" in text


FORMATTED = 'WS 01,2026/27 Q1,"1,204",\nBU 01,2026/27 Q1,"£4,800.50",\nPC 01,2026/27 Q1,61.5%,\n'


def test_formatted_numbers_are_the_numbers_they_show(tmp_path: Path) -> None:
    code, out, url = run(council(tmp_path / "c", numbers="formatted"), tmp_path, FORMATTED)
    assert code == 0
    ours = measures(url)
    assert ours["WS 01"][0] == "1204.0"
    assert ours["BU 01"][0] == "4800.5"
    assert ours["PC 01"][0] == "61.5"
    assert "£4,800.50" in page_text(out)


def test_formatted_numbers_are_refused_by_a_plain_source(tmp_path: Path) -> None:
    code, _, url = run(council(tmp_path / "c"), tmp_path, FORMATTED)
    assert code == 1
    assert [r[1] for r in rejections(url)] == ["not_a_number"] * 3


def test_ambiguous_formatted_numbers_are_rejected_with_a_reason(tmp_path: Path) -> None:
    rows = (
        'WS 01,2026/27 Q1,"1.204,5",\n'
        "WS 01,2026/27 Q2,12%,\n"
        "PC 01,2026/27 Q1,£61,\n"
        'BU 01,2026/27 Q1,"1,20",\n'
    )
    code, _, url = run(council(tmp_path / "c", numbers="formatted"), tmp_path, rows)
    assert code == 1
    found = rejections(url)
    assert [r[:2] for r in found] == [
        ("2", "not_a_number"),
        ("3", "not_a_number"),
        ("4", "not_a_number"),
        ("5", "not_a_number"),
    ]
    assert "'1.204,5' is not a number: write it as 1204 or 1,204.5" in found[0][2]
    assert found[1][2].startswith("'12%' has a percent sign, but WS 01 is not measured in percent")
    assert found[2][2] == (
        "'£61' has a pound sign, but PC 01 is not measured in pounds (gbp): send the plain number"
    )


def test_a_percent_sign_on_a_count_is_rejected(tmp_path: Path) -> None:
    code, _, url = run(
        council(tmp_path / "c", numbers="formatted"), tmp_path, "WS 01,2026/27 Q1,12%,\n"
    )
    assert code == 1
    assert rejections(url) == [
        (
            "2",
            "not_a_number",
            "'12%' has a percent sign, but WS 01 is not measured in percent: send the plain number",
        )
    ]


def test_an_extract_may_name_an_indicator_by_an_alias(tmp_path: Path) -> None:
    rows = "wait for  ASSESSMENT,2026/27 Q1,12.5,\nAssessment wait (weeks),2026/27 Q1,13,\n"
    code, _, url = run(council(tmp_path / "c"), tmp_path, rows)
    assert code == 1  # both name WT 01 for the same quarter: every copy is a duplicate
    assert [r[1] for r in rejections(url)] == ["duplicate_in_extract"] * 2
    code, _, url = run(
        council(tmp_path / "d"), tmp_path / "d", "Wait for assessment,2026/27 Q1,12.5,\n"
    )
    assert code == 0
    assert measures(url)["WT 01"] == ("12.5", "green")


def test_an_alias_naming_two_indicators_is_a_configuration_error(tmp_path: Path) -> None:
    folder = council(tmp_path / "c")
    text = (folder / "indicators.csv").read_text().replace("tonnes,", "tonnes,Wait for assessment")
    (folder / "indicators.csv").write_text(text)
    with pytest.raises(
        ConfigError, match="the alias 'Wait for assessment' of 'WS 01' also names 'WT 01'"
    ):
        load_council(folder)


@pytest.mark.parametrize(
    ("label", "parsed"),
    [
        ("Apr 2019 - Mar 2020", ("year", 2019, 12)),
        ("April 2019 to March 2020", ("year", 2019, 12)),
        ("Apr-19 – Jun-19", ("quarter", 2019, 3)),
        ("Jan 2020 - Mar 2020", ("quarter", 2019, 12)),
        ("May 2019 - Jul 2019", (None, None, None)),  # not a quarter of the year
        ("Jan 2019 - Dec 2019", (None, None, None)),  # a calendar year, not the FY
    ],
)
def test_a_span_of_months_is_the_quarter_or_year_it_covers(
    label: str, parsed: tuple[str | None, int | None, int | None]
) -> None:
    from core.periods import parse_period_labels

    assert parse_period_labels(pl.Series([label])).row(0) == parsed


def test_a_wide_return_with_spans_and_mapped_headers_loads(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    (folder / "extracts").mkdir(parents=True)
    (folder / "indicators.csv").write_text(
        "code,title,service,unit,polarity,aggregation,frequency,decimals\n"
        "NI 192,Household waste recycled,Waste,percent,higher,last,annual,1\n"
        "WS 02,Fly-tipping cleared in 2 days,Waste,percent,higher,last,quarterly,1\n"
    )
    (folder / "council.yaml").write_text(
        "name: Testshire Council\n"
        "boards:\n  - {id: waste, name: Waste Board, cadence: quarterly, services: [Waste]}\n"
        "sources:\n  - {id: w, department: Waste, kind: observations, format: csv,"
        " path: 'extracts/*.csv', layout: wide, columns: {indicator_code: Code},"
        " periods: {'Actual Q4 2019/20': '2019/20 Q4'}}\n"
    )
    (folder / "extracts" / "w.csv").write_text(
        "Code,Apr 2019 - Mar 2020,Actual Q4 2019/20\nNI 192,56.9,\nWS 02,,88.5\n"
    )
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    outcome = runs.nightly(folder, url, tmp_path / "out", dt.date(2020, 3, 31))
    assert outcome.exit_code == 0
    ours = pl.read_csv(export_csv(connect(url), "measures").encode(), infer_schema=False)
    year = ours.filter(pl.col("period") == "2019/20")
    assert dict(year.select("indicator_code", "ytd_value").rows()) == {
        "NI 192": "56.9",
        "WS 02": "88.5",
    }


def test_a_targets_source_may_name_indicators_by_alias_and_answer_yes_or_no(
    tmp_path: Path,
) -> None:
    folder = council(tmp_path / "c")
    (folder / "targets.csv").unlink()
    (folder / "council.yaml").write_text(
        (folder / "council.yaml").read_text()
        + "  - {id: t, department: Care, kind: targets, format: csv, path: 'targets/*.csv'}\n"
    )
    (folder / "targets").mkdir()
    (folder / "targets" / "t.csv").write_text(
        "indicator_code,financial_year,period,target\n"
        "Assessment wait (weeks),2026/27,,12\nSG 01,2026/27,,No\n"
    )
    code, _, url = run(folder, tmp_path, "WT 01,2026/27 Q1,12.5,\nSG 01,2026/27 Q1,no,\n")
    assert code == 0
    ours = measures(url)
    assert ours["WT 01"] == ("12.5", "amber")  # 12.5 weeks against 12: within 5%
    assert ours["SG 01"] == ("0.0", "green")  # no, as targeted


def test_the_councils_words_are_escaped_on_the_page(tmp_path: Path) -> None:
    labels = "status_labels: {green: '<i>Met</i>', red: 'Not met & late'}\n"
    folder = council(tmp_path / "c", labels=labels, tolerance=TWO_STATES)
    code, out, _ = run(folder, tmp_path, ROWS)
    assert code == 0
    html = (out / "2026-27" / "Q1" / "care.html").read_text(encoding="utf-8")
    assert "<i>Met" not in html
    assert "&lt;i&gt;Met&lt;/i&gt;" in html
    assert "Not met &amp; late" in html


def test_a_unit_label_is_a_few_plain_words(tmp_path: Path) -> None:
    folder = council(tmp_path / "c")
    text = (folder / "indicators.csv").read_text().replace(",weeks,", ",weeks <b>,", 1)
    (folder / "indicators.csv").write_text(text)
    with pytest.raises(ConfigError, match="column 'unit_label': 'weeks <b>' is not valid"):
        load_council(folder)
