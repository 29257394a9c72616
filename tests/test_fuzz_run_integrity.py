"""Property-based checks of run-level integrity (issue 21): whatever refs, targets and
files arrive, every row is accepted or rejected exactly once, no accepted key repeats (so
the load never meets a unique key twice), and a check that raises accepts nothing."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from functools import cache

import pandera.polars as pa
import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.columns import CANONICAL
from schemas.ingest import _ACROSS_FILES, lineage
from schemas.registers import split_register, split_targets
from schemas.rules import Rule, RuleFailed, schema_for, split_by_rules
from warehouse import store
from warehouse.models import Milestone, Risk
from warehouse.schema import connect

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
refs = st.sampled_from(["M1", "M2", "m1", "M1 ", "R-9", ""])
quarters = st.sampled_from(["2019/20 Q1", "Q1 2019/20", "2019/20 Q2", "2020/21 Q1", "Q5"])
statuses = st.sampled_from(["on_track", "complete", "late"])
# (source, file) each row goes to: two files of one source, and a second source.
places = st.sampled_from([("plans", "a.csv"), ("plans", "b.csv"), ("other", "c.csv")])
register_rows = st.lists(st.tuples(places, refs, quarters, statuses), max_size=20)
target_rows = st.lists(
    st.tuples(
        st.sampled_from([("tg", "a.csv"), ("tg", "b.csv"), ("tg2", "c.csv")]),
        st.sampled_from(["CNT", "DAY", "NOPE"]),
        st.sampled_from(["2019/20", "2020/21", "20/21"]),
        st.sampled_from(["", "Q1", "q1", "Q9"]),
        st.sampled_from(["100", "12.5", "x"]),
    ),
    max_size=20,
)


@cache
def warehouse() -> sa.Engine:
    """One warehouse for every example; each example's load is rolled back."""
    engine = connect(f"sqlite:///{tempfile.mkdtemp(prefix='fuzz-run-')}/w.sqlite")
    store.begin_run(engine, "nightly", "Fuzz", dt.date(2021, 3, 31))
    return engine


def per_file(rows: list[tuple[tuple[str, str], ...]]) -> dict[tuple[str, str], list[int]]:
    """The input rows' positions by (source, file), in reading order."""
    files: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(rows):
        files.setdefault(row[0], []).append(index)
    return files


def assert_each_row_once(
    rows: list[tuple[tuple[str, str], ...]], accepted: list[pl.DataFrame], rejected: pl.DataFrame
) -> None:
    outcomes = Counter(
        (r["source_id"], r["file"], r["row_number"])
        for frame in [*accepted, rejected]
        for r in frame.select("source_id", "file", "row_number").iter_rows(named=True)
    )
    expected = Counter(
        (source, file, number)
        for (source, file), positions in per_file(rows).items()
        for number in range(2, len(positions) + 2)
    )
    assert outcomes == expected


@FAST
@given(register_rows, st.sampled_from(["milestones", "risks"]))
def test_registers_accept_each_ref_once_per_quarter_and_source_and_always_load(
    rows: list[tuple[tuple[str, str], str, str, str]], kind: str
) -> None:
    accepted, rejections = [], []
    for (source, file), positions in per_file(rows).items():
        body = [rows[i] for i in positions]
        frame = pl.DataFrame(
            {
                "row_number": list(range(2, len(body) + 2)),
                "ref": [r[1] or None for r in body],
                "service": ["Finance"] * len(body),
                "description": ["d"] * len(body),
                "due_date": [None] * len(body),
                "status": [r[3] for r in body],
                "rating": ["high" if r[3] == "complete" else "bad" for r in body],
                "mitigation": [None] * len(body),
                "progress": [None] * len(body),
                "commentary": [None] * len(body),
                "period": [r[2] for r in body],
            },
            schema_overrides={c: pl.String for c in ("due_date", "ref")}
            | {c: pl.String for c in ("mitigation", "progress", "commentary")},
        )
        # The optional columns a reader gives every register (empty when the file has none).
        frame = frame.with_columns(
            pl.lit(None, dtype=pl.String).alias(c)
            for c in CANONICAL[kind]
            if c not in frame.columns
        )
        good, bad = split_register(frame, kind)
        accepted.append(good.with_columns(lineage(source, file)))
        rejections.append(bad.with_columns(lineage(source, file)))
    kept, clashed = _ACROSS_FILES[kind]([a for a in accepted if not a.is_empty()])
    rejected = pl.concat(
        [
            *(r.select("source_id", "file", "row_number") for r in rejections),
            clashed.select("source_id", "file", "row_number"),
        ]
    )
    assert_each_row_once(rows, kept, rejected)
    loaded = pl.concat(kept) if kept else pl.DataFrame()
    if not loaded.is_empty():
        assert not loaded.select("source_id", "ref", "fy", "quarter").is_duplicated().any()
        with warehouse().connect() as connection, connection.begin() as transaction:
            store.replace_register(
                connection, Milestone if kind == "milestones" else Risk, 1, loaded
            )
            transaction.rollback()


@FAST
@given(target_rows)
def test_a_target_sent_twice_is_rejected_in_every_copy_and_the_load_never_fails(
    rows: list[tuple[tuple[str, str], str, str, str, str]],
) -> None:
    accepted, rejections = [], []
    codes = pl.Series(["CNT", "DAY"])
    for (source, file), positions in per_file(rows).items():
        body = [rows[i] for i in positions]
        frame = pl.DataFrame(
            {
                "row_number": list(range(2, len(body) + 2)),
                "indicator_code": [r[1] for r in body],
                "financial_year": [r[2] for r in body],
                "period": [r[3] or None for r in body],
                "target": [r[4] for r in body],
            },
            schema_overrides={"period": pl.String},
        )
        good, bad = split_targets(frame, codes)
        accepted.append(good.with_columns(lineage(source, file)))
        rejections.append(bad.with_columns(lineage(source, file)))
    kept, clashed = _ACROSS_FILES["targets"]([a for a in accepted if not a.is_empty()])
    rejected = pl.concat(
        [
            *(r.select("source_id", "file", "row_number") for r in rejections),
            clashed.select("source_id", "file", "row_number"),
        ]
    )
    assert_each_row_once(rows, kept, rejected)
    sent = Counter(
        (r["code"], r["fy"], r["period"]) for frame in accepted for r in frame.iter_rows(named=True)
    )
    for frame in kept:  # a target any other file also sent is never kept
        for r in frame.iter_rows(named=True):
            assert sent[(r["code"], r["fy"], r["period"])] == 1
    if kept:
        with warehouse().connect() as connection, connection.begin() as transaction:
            store.load_targets(connection, pl.concat(kept))
            transaction.rollback()


@FAST
@given(st.lists(st.sampled_from(["2019", "2020", "abc", "", "19"]), min_size=1, max_size=15))
def test_a_rule_that_raises_on_some_input_never_accepts_a_row(years: list[str]) -> None:
    """A strict parse raises for a cell that is not a year: pandera records the error with
    no row index, which once let every row through."""
    rule = Rule(
        "bad_period",
        pl.col("year").str.to_date("%Y", strict=True).is_not_null(),
        pl.lit("year"),
        pl.lit("not a year"),
    )
    frame = pl.DataFrame({"row_number": list(range(2, len(years) + 2)), "year": years})
    schema = schema_for([rule], {"row_number": pa.Column(pl.Int64)}, "years")
    parses = all(len(y) == 4 and y.isdigit() for y in years)
    if parses:
        accepted, rejected = split_by_rules(frame, schema, [rule])
        assert accepted.height + rejected.height == frame.height
    else:
        with pytest.raises(RuleFailed):
            split_by_rules(frame, schema, [rule])


def test_every_unique_key_the_load_writes_to_is_guarded() -> None:
    """The tables a run inserts into whose key is not a generated id: each is listed here
    with what keeps its key unique before the load (a new one must be added, and guarded)."""
    from warehouse.models import Base

    guarded = {
        "indicators": "indicators.csv: codes checked unique",
        "boards": "council.yaml: board ids checked unique",
        "board_services": "council.yaml: a service listed once per board",
        "targets": "targets.csv repeats rejected; a source's across files rejected",
        "loaded_files": "one record per content and source",
        "milestones": "a ref once per quarter and source, in a file and across files",
        "risks": "a ref once per quarter and source, in a file and across files",
        "measures": "computed: one per indicator and period",
        "board_summaries": "computed: one per board and period",
        "state": "set_state replaces its key",
        "benchmark_results": "computed: one per indicator, group and period",
        "narrative": "a heading once per service, quarter and source, in a file and across files",
        "returns_register": "rebuilt whole each nightly: one per source and period",
    }
    natural = {
        table.name
        for table in Base.metadata.sorted_tables
        if not any(
            c.autoincrement is True or (c.name == "id" and isinstance(c.type, sa.Integer))
            for c in table.primary_key.columns
        )
    }
    assert natural == set(guarded)
