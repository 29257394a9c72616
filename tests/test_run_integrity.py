"""Run-level integrity (issue 21): nothing a run loads may break a unique key of the
warehouse, be won by the order files are read in, or be cut short by a column's length."""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pandera.polars as pa
import polars as pl
import pytest
import sqlalchemy as sa

from boardpack import runs
from boardpack.config import load_council
from schemas.rules import Rule, RuleFailed, schema_for, split_by_rules
from tests.test_extracts import write_council_files

AS_OF = dt.date(2020, 3, 31)
SOURCES = """\
  - {id: fin, department: Finance, kind: observations, format: csv, path: 'in/*.csv'}
  - {id: plans, department: Finance, kind: milestones, format: csv, path: 'ms/*.csv'}
  - {id: plans2, department: Planning, kind: milestones, format: csv, path: 'ms2/*.csv'}
  - {id: risks, department: Finance, kind: risks, format: csv, path: 'rk/*.csv'}
  - {id: tg, department: Finance, kind: targets, format: csv, path: 'tg/*.csv'}
  - {id: tg2, department: Planning, kind: targets, format: csv, path: 'tg2/*.csv'}
"""
# The tests' council: only the observations source must have a file on every run.
REGISTER_SOURCES = SOURCES.replace("csv'}", "csv', expect_files: false}").replace(
    "'in/*.csv', expect_files: false}", "'in/*.csv'}"
)
MILESTONES = "ref,service,description,due_date,status,commentary,period\n"
RISKS = "ref,service,description,rating,mitigation,progress,period\n"
TARGETS = "indicator_code,financial_year,period,target\n"


def council_folder(root: Path, sources: str = REGISTER_SOURCES) -> Path:
    folder = write_council_files(root / "council", sources)
    for sub in ("in", "ms", "ms2", "rk", "tg", "tg2"):
        (folder / sub).mkdir(exist_ok=True)
    (folder / "in" / "fin.csv").write_text(
        "indicator_code,period,value,numerator,denominator,commentary\nCNT,2019-04,5,,,\n",
        encoding="utf-8",
    )
    return folder


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def rejections(outcome: runs.RunOutcome) -> list[tuple[str, str, int | None, str, str]]:
    return sorted(
        (
            r["source_id"],
            Path(r["file"]).name,
            r["row_number"],
            r["column"],
            r["reason_code"],
        )
        for r in outcome.rejections
    )


def table(url: str, name: str) -> pl.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return pl.DataFrame(
                [dict(r._mapping) for r in connection.execute(sa.text(f"SELECT * FROM {name}"))]
            )
    finally:
        engine.dispose()


def test_a_ref_repeated_in_one_quarter_of_one_file_rejects_every_copy(
    tmp_path: Path, warehouse_url: str
) -> None:
    folder = council_folder(tmp_path)
    write(
        folder / "ms",
        "m.csv",
        MILESTONES
        + "M1,Finance,New ledger,2020-03-31,on_track,,2019/20 Q3\n"
        + "M2,Finance,Audit,2020-03-31,on_track,,2019/20 Q3\n"
        + "M1,Finance,New ledger (again),2020-03-31,at_risk,,2019/20 Q3\n"
        + "M1,Finance,New ledger,2020-03-31,on_track,,2019/20 Q4\n",
    )
    write(
        folder / "rk",
        "r.csv",
        RISKS + "R1,Finance,Fraud,high,,,2019/20 Q3\nR1,Finance,Fraud,low,,,2019/20 Q3\n",
    )
    outcome = runs.nightly(folder, warehouse_url, tmp_path / "out", AS_OF)
    assert outcome.exit_code == 1
    assert rejections(outcome) == [
        ("plans", "m.csv", 2, "ref", "duplicate_in_extract"),
        ("plans", "m.csv", 4, "ref", "duplicate_in_extract"),
        ("risks", "r.csv", 2, "ref", "duplicate_in_extract"),
        ("risks", "r.csv", 3, "ref", "duplicate_in_extract"),
    ]
    message = next(r["message"] for r in outcome.rejections if r["source_id"] == "plans")
    assert message == (
        "milestone 'M1' appears more than once for 2019/20 Q3 in this file (rows 2, 4); send one"
    )
    stored = table(warehouse_url, "milestones").sort("ref", "quarter")
    assert stored.select("ref", "quarter").rows() == [("M1", 4), ("M2", 3)]
    assert table(warehouse_url, "risks").is_empty()


def test_a_ref_in_two_files_of_one_source_is_rejected_and_two_sources_may_share_a_ref(
    tmp_path: Path, warehouse_url: str
) -> None:
    folder = council_folder(tmp_path)
    row = "M1,Finance,New ledger,2020-03-31,on_track,,2019/20 Q3\n"
    write(folder / "ms", "a.csv", MILESTONES + row + "M2,Finance,Audit,,complete,,2019/20 Q3\n")
    write(folder / "ms", "b.csv", MILESTONES + row)
    write(folder / "ms2", "c.csv", MILESTONES + "M2,Planning,Local plan,,on_track,,2019/20 Q3\n")
    outcome = runs.nightly(folder, warehouse_url, tmp_path / "out", AS_OF)
    assert rejections(outcome) == [
        ("plans", "a.csv", 2, "ref", "duplicate_across_sources"),
        ("plans", "b.csv", 2, "ref", "duplicate_across_sources"),
    ]
    message = outcome.rejections[0]["message"]
    assert message.startswith(
        "milestone 'M1' for 2019/20 Q3 arrives in more than one file of source plans"
    )
    stored = table(warehouse_url, "milestones").sort("source_id")
    assert stored.select("source_id", "ref", "service").rows() == [
        ("plans", "M2", "Finance"),
        ("plans2", "M2", "Planning"),
    ]


def test_one_target_from_two_files_or_two_sources_is_rejected_in_every_copy(
    tmp_path: Path, warehouse_url: str
) -> None:
    folder = council_folder(tmp_path)
    write(folder / "tg", "a.csv", TARGETS + "CNT,2019/20,,100\nDAY,2019/20,,10\n")
    write(folder / "tg2", "b.csv", TARGETS + "CNT,2019/20,,400\n")
    write(folder / "tg", "c.csv", TARGETS + "DAY,2019/20,,12\nPCT,2019/20,Q1,90\n")
    outcome = runs.nightly(folder, warehouse_url, tmp_path / "out", AS_OF)
    assert outcome.exit_code == 1
    assert rejections(outcome) == [
        ("tg", "a.csv", 2, "period", "duplicate_across_sources"),
        ("tg", "a.csv", 3, "period", "duplicate_across_sources"),
        ("tg", "c.csv", 2, "period", "duplicate_across_sources"),
        ("tg2", "b.csv", 2, "period", "duplicate_across_sources"),
    ]
    messages = {r["message"] for r in outcome.rejections}
    assert any(
        m.startswith("the target for CNT 2019/20 arrives in more than one file in this run")
        for m in messages
    )
    stored = table(warehouse_url, "targets").filter(pl.col("source_id") != "")
    assert stored.select("code", "period", "target").rows() == [("PCT", "Q1", 90.0)]


def test_a_later_target_from_another_source_supersedes_the_earlier(
    tmp_path: Path, warehouse_url: str
) -> None:
    folder = council_folder(tmp_path)
    write(folder / "tg2", "b.csv", TARGETS + "CNT,2019/20,,400\n")
    runs.nightly(folder, warehouse_url, tmp_path / "out", AS_OF)
    write(folder / "tg", "a.csv", TARGETS + "CNT,2019/20,,100\n")
    outcome = runs.nightly(folder, warehouse_url, tmp_path / "out", AS_OF)
    assert outcome.exit_code == 0
    stored = table(warehouse_url, "targets").filter(pl.col("source_id") != "")
    assert stored.select("source_id", "target").rows() == [("tg", 100.0)]


def test_text_longer_than_any_old_column_length_loads_on_every_warehouse(
    tmp_path: Path, warehouse_url: str
) -> None:
    """PostgreSQL refused a ref over 64 characters (StringDataRightTruncation) and the whole
    nightly was lost; typed text is unbounded now."""
    long_ref = "MILESTONE-" + "X" * 100
    long_service = "Finance and " + "very long service name " * 12
    folder = council_folder(tmp_path)
    write(
        folder / "ms",
        "m.csv",
        MILESTONES + f"{long_ref},{long_service},Audit,2020-03-31,on_track,,2019/20 Q3\n",
    )
    write(folder / "rk", "r.csv", RISKS + f"{long_ref},{long_service},Fraud,high,,,2019/20 Q3\n")
    write(
        folder / "in",
        "fin.csv",
        "indicator_code,period,value,numerator,denominator,commentary\n"
        f"CNT,{'  2019-04' + ' ' * 60},5,,,\n",
    )
    outcome = runs.nightly(folder, warehouse_url, tmp_path / "out", AS_OF)
    assert rejections(outcome) == []
    assert table(warehouse_url, "milestones")["ref"].to_list() == [long_ref]
    assert table(warehouse_url, "risks")["service"].to_list() == [long_service.strip()]


# Columns that keep a length: their values are made by boardpack itself or checked against
# a fixed list or a length before the load (indicator codes: 1 to 32 characters, SPEC §2).
BOUNDED_BY_VALIDATION = {
    "runs": {"kind", "status"},
    "indicators": {"code", "unit", "polarity", "aggregation", "frequency", "tolerance_type"},
    "boards": {"cadence"},
    "targets": {"code", "period"},
    "observations": {"indicator_code", "content_hash"},
    "loaded_files": {"content_hash", "reading"},
    "rejections": {"reason_code"},
    "milestones": {"status"},
    "risks": {"rating"},
    "measures": {
        "indicator_code",
        "period_type",
        "period_suffix",
        "period",
        "financial_year",
        "rag",
        "direction",
    },
    "board_summaries": {"period_suffix", "period"},
    "published_reports": {"period_suffix", "content_hash"},
    "state": {"key"},
    "benchmark_values": {"indicator_code", "content_hash"},
    "benchmark_results": {"indicator_code", "period"},
    "returns_register": {"period", "status"},  # boardpack's labels and words
    "signoffs": {"decision", "figures_digest", "period_suffix", "via"},
}


def test_every_column_a_person_types_into_is_unbounded_text() -> None:
    """A length on a column that holds a department's or a council's own text stops a
    PostgreSQL nightly when someone types a longer one: only values boardpack makes, or
    checks before the load, may have one."""
    from warehouse.models import Base

    bounded = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String) and column.type.length is not None
    }
    allowed = {(t, c) for t, columns in BOUNDED_BY_VALIDATION.items() for c in columns}
    assert bounded - allowed == set()


def test_two_files_of_one_source_with_the_same_bytes_reject_their_rows_not_the_run(
    tmp_path: Path,
) -> None:
    """loaded_files is keyed by (content, source): the same bytes under two names broke it."""
    folder = council_folder(tmp_path)
    body = "indicator_code,period,value,numerator,denominator,commentary\nCNT,2019-05,7,,,\n"
    write(folder / "in", "copy1.csv", body)
    write(folder / "in", "copy2.csv", body)
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    outcome = runs.nightly(folder, url, tmp_path / "out", AS_OF)
    assert rejections(outcome) == [
        ("fin", "copy1.csv", 2, "period", "duplicate_across_sources"),
        ("fin", "copy2.csv", 2, "period", "duplicate_across_sources"),
    ]
    assert table(url, "loaded_files").height == 2  # fin.csv, and the shared content once


@pytest.mark.parametrize("password", ["p@ssWrongXYZ", "pa:ss/Wrong@XYZ", "Wr0ng/XYZ:p@ss@"])
def test_a_password_with_unencoded_at_colon_or_slash_is_never_shown_in_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    """SQLAlchemy ended the password at its first '@': the masked URL and the driver's
    unknown-host message showed the rest, and a SQL source stored it in a rejection."""
    from boardpack import steps
    from core.database_urls import masked_url
    from core.errors import RunFailed

    fragments = {f for f in re.split(r"[@:/]", password) if len(f) >= 3}
    url = f"postgresql+psycopg://clerk:{password}@127.0.0.1:1/warehouse?connect_timeout=2"
    assert (
        masked_url(url) == "postgresql+psycopg://clerk:***@127.0.0.1:1/warehouse?connect_timeout=2"
    )

    # The warehouse: exit 3, one line, no part of the password.
    with pytest.raises(RunFailed) as failed:
        runs.nightly(council_folder(tmp_path / "a"), url, tmp_path / "out", AS_OF)
    assert "clerk:***@127.0.0.1:1/warehouse" in str(failed.value)
    assert not [f for f in fragments if f in str(failed.value)]

    # A SQL source: its failure is a rejection in the warehouse, without the password.
    monkeypatch.setattr(steps, "RETRY_DELAYS", (0, 0))
    monkeypatch.setenv("DEPT_DB_URL", url)
    source = (
        "  - {id: dept, department: Finance, kind: observations, format: sql, "
        "url: '${DEPT_DB_URL}', query: 'select * from kpis'}\n"
    )
    folder = council_folder(tmp_path / "b", source)
    warehouse = f"sqlite:///{tmp_path / 'w.sqlite'}"
    outcome = runs.nightly(folder, warehouse, tmp_path / "out", AS_OF)
    assert outcome.failed_sources.keys() == {"dept"}
    stored = table(warehouse, "rejections").write_csv() + table(warehouse, "runs").write_csv()
    everything = stored + "\n".join(outcome.lines()) + outcome.markdown()
    assert "the source could not be read" in stored
    assert not [f for f in fragments if f in everything]


# A rule whose expression raises when polars runs it ('abc' is no year): pandera records
# the error as one failure with no row index.
RAISING_RULE = Rule(
    "bad_period",
    pl.col("period").str.to_date("%Y", strict=True).is_not_null(),
    pl.lit("period"),
    pl.lit("never shown"),
    name="raising",
)


def test_a_rule_that_raises_accepts_no_row() -> None:
    """The split accepted every row when pandera recorded a raising check with no index."""
    frame = pl.DataFrame({"row_number": [2, 3], "period": ["2020", "abc"]})
    schema = schema_for([RAISING_RULE], {"row_number": pa.Column(pl.Int64)}, "t")
    with pytest.raises(RuleFailed, match=r"the check 'raising' could not be applied"):
        split_by_rules(frame, schema, [RAISING_RULE])


def test_a_file_whose_checks_raise_is_rejected_whole_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schemas import registers
    from schemas.ingest import check_extract
    from sources.extracts import read_extract

    folder = council_folder(tmp_path)
    write(folder / "ms", "m.csv", MILESTONES + "M1,Finance,Audit,,on_track,,2019/20 Q3\n")
    rules = [*registers._REGISTER_RULES["milestones"], RAISING_RULE]
    schema = schema_for(rules, {"row_number": pa.Column(pl.Int64)}, "milestones")
    monkeypatch.setitem(registers._REGISTER_RULES, "milestones", rules)
    monkeypatch.setitem(registers._REGISTER_SCHEMAS, "milestones", schema)
    council = load_council(folder)
    source = council.source("plans")
    accepted, rejected, read = check_extract(
        council, read_extract(council, source, folder / "ms" / "m.csv"), AS_OF
    )
    assert accepted.is_empty()
    assert read == 1
    row = rejected.row(0, named=True)
    assert (rejected.height, row["row_number"], row["reason_code"]) == (1, None, "unreadable_file")
    assert row["message"].startswith("the check 'raising' could not be applied (")
    assert row["message"].endswith(
        "no row of the file was loaded: please report this to the boardpack team"
    )


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        (
            "name: C\nsources: []\nboards:\n  - {id: b, name: B, services: [Finance], "
            "cadence: quarterly}\nsources: []\n",
            "the key 'sources' is given twice in one mapping (lines 2 and 5)",
        ),
        (
            "name: C\nboards:\n  - id: b\n    name: B\n    services: [Finance]\n"
            "    cadence: quarterly\n    name: Other\n",
            "the key 'name' is given twice in one mapping (lines 4 and 7)",
        ),
        (
            "name: C\ntolerance: {type: relative, value: 0.05, value: 0.1}\nboards:\n"
            "  - {id: b, name: B, services: [Finance], cadence: quarterly}\n",
            "the key 'value' is given twice in one mapping (lines 2 and 2)",
        ),
    ],
)
def test_a_key_given_twice_in_council_yaml_is_a_configuration_error(
    tmp_path: Path, yaml_text: str, problem: str
) -> None:
    from tests.test_cli import boardpack

    folder = council_folder(tmp_path)
    write(folder, "council.yaml", yaml_text)
    result = boardpack("run", "--config", str(folder), "--warehouse", "sqlite://")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"council.yaml: {problem}" in result.stderr


def test_yaml_merge_keys_may_still_override_what_they_bring(tmp_path: Path) -> None:
    folder = council_folder(tmp_path)
    write(
        folder,
        "council.yaml",
        "name: C\nboards:\n  - &b {id: b, name: B, services: [Finance], cadence: quarterly}\n"
        "  - <<: *b\n    id: b2\n",
    )
    assert [b.id for b in load_council(folder).settings.boards] == ["b", "b2"]


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        ("tolerance", "-0.05", "empty or a number of at least 0"),
        ("scale", "0", "empty or a positive number"),
        ("scale", "-100", "empty or a positive number"),
        ("scale", "1e400", "empty or a positive number"),
    ],
)
def test_indicators_refuse_a_negative_tolerance_and_a_scale_that_is_not_positive(
    tmp_path: Path, column: str, cell: str, expected: str
) -> None:
    from core.errors import ConfigError

    folder = council_folder(tmp_path)
    frame = pl.read_csv(folder / "indicators.csv", infer_schema=False)
    frame = frame.with_columns(
        pl.when(pl.col("code") == "DAY").then(pl.lit(cell)).otherwise(pl.col(column)).alias(column)
    )
    frame.write_csv(folder / "indicators.csv")
    with pytest.raises(ConfigError) as caught:
        load_council(folder)
    assert str(caught.value) == (
        f"{folder / 'indicators.csv'}, row 4, column '{column}': '{cell}' is not valid; "
        f"expected {expected}"
    )


def test_a_board_listing_a_service_twice_is_a_configuration_error(tmp_path: Path) -> None:
    from core.errors import ConfigError

    folder = council_folder(tmp_path)
    text = (folder / "council.yaml").read_text(encoding="utf-8")
    write(
        folder, "council.yaml", text.replace("services: [Finance]", "services: [Finance, Finance]")
    )
    with pytest.raises(ConfigError, match="board 'b': service 'Finance' is listed twice"):
        load_council(folder)


class _RejectionRows(HTMLParser):
    """The rows of the data-quality page's rejections table, each with its source (the
    table's group headings)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._inside = False
        self._source = ""
        self._cell: list[str] | None = None
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = found.get("class") or ""
        if found.get("id") == "quality-rejections":
            self._inside = True
        elif self._inside and tag == "tr":
            self.rows.append([self._source])
        elif (
            self._inside and tag in ("td", "th") and ("gt_row" in classes or "gt_group" in classes)
        ):
            self._cell, self._heading = [], "gt_group_heading" in classes

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._cell is not None and tag in ("td", "th"):
            text = "".join(self._cell).strip()
            if self._heading:
                self._source = text
            else:
                self.rows[-1].append(text)
            self._cell = None
        elif tag == "table":
            self._inside = False
            self.rows = [r for r in self.rows if len(r) > 1]


def page_rejections(out: Path) -> list[tuple[str, str, str, str, str, str]]:
    parser = _RejectionRows()
    parser.feed((out / "data-quality.html").read_text(encoding="utf-8"))
    # source, file, row, indicator, column, value, reason, message: the export has all but
    # the indicator and the value
    return sorted((r[0], r[1], r[2], r[4], r[6], r[7]) for r in parser.rows)


def export_rejections(url: str, folder: Path) -> list[tuple[str, str, str, str, str, str]]:
    from tests.test_cli import boardpack

    result = boardpack("export", "rejections", "--config", str(folder), "--warehouse", url)
    frame = pl.read_csv(io.StringIO(result.stdout), infer_schema=False).fill_null("")
    return sorted(
        (r[0], Path(r[1]).name, r[2] or "whole file", r[3], r[4], r[5]) for r in frame.rows()
    )


def test_the_quality_page_shows_every_standing_rejection_as_the_export_does(
    tmp_path: Path,
) -> None:
    """After a nightly with nothing new the page said "No rows or files were rejected in
    this run" while the export still listed the standing rejections."""
    folder = council_folder(tmp_path)
    write(
        folder / "in",
        "fin.csv",
        "indicator_code,period,value,numerator,denominator,commentary\n"
        "CNT,2019-04,5,,,\nNOPE,2019-04,5,,,\nCNT,2019-05,many,,,\n",
    )
    write(folder / "ms", "m.csv", "ref,service\nM1,Finance\n")  # rejected whole
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    out = tmp_path / "out"
    first = runs.nightly(folder, url, out, AS_OF)
    assert len(first.rejections) == 3
    second = runs.nightly(folder, url, out, AS_OF)
    assert second.rejections == []  # nothing was read again ...
    shown = page_rejections(out)  # ... yet the rejections stand, on the page and in the export
    assert len(shown) == 3
    assert shown == export_rejections(url, folder)
    assert shown[0][:5] == ("fin", "fin.csv", "3", "indicator_code", "unknown_code")
    assert "No rejection stands" not in (out / "data-quality.html").read_text(encoding="utf-8")

    write(folder / "in", "fin.csv", "indicator_code,period,value,numerator,denominator\n")
    write(folder / "ms", "m.csv", MILESTONES)
    runs.nightly(folder, url, out, AS_OF)  # corrected: nothing stands any more
    assert page_rejections(out) == export_rejections(url, folder) == []
    assert "No rejection stands" in (out / "data-quality.html").read_text(encoding="utf-8")


def test_a_configuration_change_that_changes_how_a_file_reads_reads_it_again(
    tmp_path: Path,
) -> None:
    """After adding an alias or ``numbers: formatted`` to fix rejected rows the next run
    said "unchanged, skipped" and the rows stayed rejected until --force."""
    folder = council_folder(tmp_path)
    write(
        folder / "in",
        "fin.csv",
        "indicator_code,period,value,numerator,denominator,commentary\n"
        'Library visits,2019-04,5,,,\nCNT,2019-05,"1,204",,,\n',
    )
    write(folder / "ms", "m.csv", MILESTONES + "M1,Finance,Audit,,on_track,,2019/20 Q3\n")
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    out = tmp_path / "out"
    first = runs.nightly(folder, url, out, AS_OF)
    assert [r["reason_code"] for r in first.rejections] == ["unknown_code", "not_a_number"]

    # A title is not how a file reads: nothing is read again.
    indicators = (folder / "indicators.csv").read_text(encoding="utf-8")
    write(folder, "indicators.csv", indicators.replace("Library visits", "Visits to libraries"))
    second = runs.nightly(folder, url, out, AS_OF)
    assert second.reread == {}
    assert [f.skipped for f in second.files] == [True, True]

    # An alias is: the observations source's file is read again, the register's is not.
    header, rest = indicators.split("\n", 1)
    write(
        folder,
        "indicators.csv",
        header
        + ",aliases\n"
        + "".join(
            line + (",Library visits\n" if line.startswith("CNT,") else ",\n")
            for line in rest.splitlines()
        ),
    )
    third = runs.nightly(folder, url, out, AS_OF)
    assert third.reread == {"fin": 1}
    assert "  config for source fin changed: re-reading 1 file" in third.lines()
    assert [(Path(f.file).name, f.skipped) for f in third.files] == [
        ("fin.csv", False),
        ("m.csv", True),
    ]
    assert [r["reason_code"] for r in third.rejections] == ["not_a_number"]

    # So is a source's own setting: numbers as the spreadsheet shows them.
    yaml = (folder / "council.yaml").read_text(encoding="utf-8")
    write(
        folder,
        "council.yaml",
        yaml.replace("path: 'in/*.csv'}", "path: 'in/*.csv', numbers: formatted}"),
    )
    fourth = runs.nightly(folder, url, out, AS_OF)
    assert fourth.reread == {"fin": 1}
    assert fourth.rejections == []
    assert fourth.exit_code == 0
    values = table(url, "observations").filter(pl.col("is_current").cast(pl.Boolean)).sort("fm")
    assert values.select("fm", "value").rows() == [(1, 5.0), (2, 1204.0)]
    assert export_rejections(url, folder) == []


def test_a_rows_filter_that_matches_no_row_rejects_the_file_with_its_reason(
    tmp_path: Path,
) -> None:
    """A typo in an area code set every row aside; the run exited 0, "Nothing changed"."""
    source = (
        "  - {id: fin, department: Finance, kind: observations, format: csv, "
        "path: 'in/*.csv', rows: {area: E08000O09}}\n"
    )
    folder = council_folder(tmp_path, source)
    write(
        folder / "in",
        "fin.csv",
        "area,indicator_code,period,value\nE08000009,CNT,2019-04,5\nE08000010,CNT,2019-04,6\n",
    )
    outcome = runs.nightly(folder, f"sqlite:///{tmp_path / 'w.sqlite'}", tmp_path / "out", AS_OF)
    assert outcome.exit_code == 1
    assert rejections(outcome) == [("fin", "fin.csv", None, None, "unreadable_file")]
    assert outcome.rejections[0]["message"] == (
        "no row of the file has area 'E08000O09' (the source's 'rows'): all 2 rows are "
        "another area's; check the value under 'rows'"
    )


def test_a_source_path_that_matches_no_file_is_a_failed_source(tmp_path: Path) -> None:
    folder = council_folder(tmp_path, SOURCES)
    outcome = runs.nightly(folder, f"sqlite:///{tmp_path / 'w.sqlite'}", tmp_path / "out", AS_OF)
    assert outcome.exit_code == 1
    assert sorted(outcome.failed_sources) == ["plans", "plans2", "risks", "tg", "tg2"]
    why = f"its path 'ms/*.csv' matches no file in {folder}: check the path"
    assert outcome.failed_sources["plans"].startswith(why)
    assert f"  plans: FAILED: {outcome.failed_sources['plans']}" in outcome.lines()
    page = (tmp_path / "out" / "data-quality.html").read_text(encoding="utf-8")
    assert "Sources not read in this run" in page
    assert "ms/*.csv" in page


def test_a_source_whose_files_may_not_have_arrived_yet_says_so_in_its_settings(
    tmp_path: Path,
) -> None:
    source = (
        "  - {id: fin, department: Finance, kind: observations, format: csv, path: 'in/*.csv'}\n"
        "  - {id: new, department: Finance, kind: observations, format: excel, "
        "path: 'returns/*.xlsx', expect_files: false}\n"
    )
    folder = council_folder(tmp_path, source)
    outcome = runs.nightly(folder, f"sqlite:///{tmp_path / 'w.sqlite'}", tmp_path / "out", AS_OF)
    assert outcome.failed_sources == {}
    assert outcome.exit_code == 0


@pytest.mark.parametrize(
    ("services", "problem"),
    [
        (
            "[finance]",
            "board 'b': service 'finance' matches no indicator; indicators.csv has 'Finance' "
            "(the case and spaces must match)",
        ),
        (
            "[Parks]",
            "board 'b': no indicator in indicators.csv has its services ('Parks'); services "
            "there: Finance, Libraries, Planning, Waste",
        ),
    ],
)
def test_a_board_whose_services_match_no_indicator_is_a_configuration_error(
    tmp_path: Path, services: str, problem: str
) -> None:
    from tests.test_cli import boardpack

    folder = council_folder(tmp_path)
    text = (folder / "council.yaml").read_text(encoding="utf-8")
    write(folder, "council.yaml", text.replace("services: [Finance]", f"services: {services}"))
    result = boardpack("run", "--config", str(folder), "--warehouse", "sqlite://")
    assert result.returncode == 2
    assert result.stderr.strip() == f"boardpack: {folder / 'council.yaml'}: {problem}"


def test_a_service_with_milestones_only_may_sit_beside_others(tmp_path: Path) -> None:
    folder = council_folder(tmp_path)
    text = (folder / "council.yaml").read_text(encoding="utf-8")
    write(folder, "council.yaml", text.replace("[Finance]", "[Finance, Corporate Projects]"))
    assert load_council(folder).settings.boards[0].services == ["Finance", "Corporate Projects"]


def test_a_columns_key_that_is_not_one_of_ours_is_a_configuration_error(tmp_path: Path) -> None:
    """``columns: {valeu: Figure}`` mapped nothing, silently."""
    from core.errors import ConfigError

    source = (
        "  - {id: fin, department: Finance, kind: observations, format: csv, path: 'in/*.csv', "
        "columns: {valeu: Figure, commentary: Notes}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_council(council_folder(tmp_path, source))
    assert (
        "sources.0: source 'fin': columns: 'valeu' is not a column of observations sources"
        in str(caught.value)
    )


def test_a_source_that_could_not_be_read_stops_standing_once_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failure's rejection is filed under the source's own label, which no later read
    of the source uses: it stood in the export and on the page for ever."""
    import sqlite3

    from boardpack import steps

    monkeypatch.setattr(steps, "RETRY_DELAYS", (0, 0))
    source = (
        "  - {id: dept, department: Finance, kind: observations, format: sql, "
        "url: '${DEPT_DB_URL}', query: 'select * from kpis'}\n"
    )
    folder = council_folder(tmp_path, source)
    database = tmp_path / "dept.db"
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    monkeypatch.setenv("DEPT_DB_URL", f"sqlite:///{database}")  # no kpis table yet
    failed = runs.nightly(folder, url, tmp_path / "out", AS_OF)
    assert failed.failed_sources.keys() == {"dept"}
    assert [r[4] for r in export_rejections(url, folder)] == ["unreadable_file"]

    with sqlite3.connect(database) as db:
        db.execute("create table kpis (indicator_code text, period text, value text)")
        db.execute("insert into kpis values ('CNT', '2019-06', '4')")
    read = runs.nightly(folder, url, tmp_path / "out", AS_OF)
    assert read.failed_sources == {}
    assert export_rejections(url, folder) == page_rejections(tmp_path / "out") == []
