"""The warehouse on SQLite and on a real PostgreSQL 15 (the same tests on both)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from boardpack import runs, steps
from boardpack.config import load_council
from outputs import publish as publishing
from schemas import ingest
from tests.conftest import DEMO, DEMO_AS_OF
from warehouse import load, store
from warehouse.bulk import in_columns, insert_frame
from warehouse.exports import export_csv
from warehouse.models import Base, Observation
from warehouse.schema import connect, schema_status


def nightly(
    url: str, council_dir: Path = DEMO, as_of: dt.date = DEMO_AS_OF, force: bool = False
) -> sa.Engine:
    """The nightly run (boardpack.runs) up to the reports, which these tests do not need."""
    no_reports = dataclasses.replace(steps.DIRECT, publish_after_load=lambda *_, **__: [])
    out = tempfile.mkdtemp(prefix="boardpack-test-out-")
    runs.nightly(council_dir, url, out, as_of, force, steps=no_reports)
    shutil.rmtree(out)
    return connect(url)


_BUILT: dict[str, str] = {}  # backend -> a demo warehouse built once this session


def demo_warehouse(url: str) -> sa.Engine:
    """The demo council loaded at its as-of date into the new warehouse ``url``: the same as
    ``nightly(url)`` on an empty warehouse, copied from one built once per session (a SQLite
    file copy; a PostgreSQL template database)."""
    target = sa.make_url(url)
    backend = target.get_backend_name()
    if backend not in _BUILT:
        _BUILT[backend] = _build_once(target)
    if backend == "sqlite":
        shutil.copyfile(_BUILT[backend], str(target.database))
    else:
        server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}"'))
            connection.execute(
                sa.text(f'CREATE DATABASE "{target.database}" TEMPLATE "{_BUILT[backend]}"')
            )
        server.dispose()
    return connect(url)


def _build_once(target: sa.URL) -> str:
    if target.get_backend_name() == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="boardpack-demo-")) / "demo.sqlite"
        nightly(f"sqlite:///{path}").dispose()
        return str(path)
    name = "demo_template"
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    server.dispose()
    nightly(target.set(database=name).render_as_string(hide_password=False)).dispose()
    return name


def test_migrations_create_every_table_on_an_empty_database(warehouse_url: str) -> None:
    engine = connect(warehouse_url)
    tables = set(sa.inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    status = schema_status(engine)
    assert status.current == status.head
    assert status.up_to_date
    connect(warehouse_url)  # a second start finds the schema current and changes nothing


def test_demo_loads_and_reruns_change_nothing(warehouse_url: str) -> None:
    engine = nightly(warehouse_url)
    first = export_csv(engine, "measures")
    assert first.count("\n") == 2351  # header + 2,350 measures
    with engine.connect() as connection:
        versions = connection.execute(sa.select(sa.func.count()).select_from(Observation)).scalar()
    nightly(warehouse_url)  # unchanged files are skipped
    nightly(warehouse_url, force=True)  # re-read, but identical figures add no versions
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(Observation)).scalar()
            == versions
        )
    assert export_csv(engine, "measures") == first


def test_demo_measures_are_identical_in_sqlite_and_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    sqlite = nightly(f"sqlite:///{tmp_path / 'w.sqlite'}")
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS same_demo"))
        connection.execute(sa.text("CREATE DATABASE same_demo"))
    postgres = nightly(postgres_url.rsplit("/", 1)[0] + "/same_demo")
    for table in ("measures", "summary", "rejections"):
        assert export_csv(sqlite, table) == export_csv(postgres, table), table


def _planner_scans(connection: sa.Connection) -> str | None:
    """PostgreSQL's enable_seqscan as the connection's transaction has it (None on SQLite)."""
    if connection.dialect.name != "postgresql":
        return None
    return str(connection.exec_driver_sql("SELECT current_setting('enable_seqscan')").scalar())


def _planner_at_each_read(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """enable_seqscan at each read of current figures from now on (None on SQLite)."""
    during = []
    reading = store.current_observations

    def spied(connection: sa.Connection, *args: object, **kwargs: object) -> pl.DataFrame:
        during.append(_planner_scans(connection))
        return reading(connection, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "current_observations", spied)
    return during


def test_a_load_reads_a_files_current_figures_through_the_index_and_puts_the_planner_back(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the current versions of a file's figures are read with sequential scans
    off (its planner cannot tell that a first load's files have few figures yet), and only
    they: the rest of the load's transaction plans as before."""
    engine = connect(warehouse_url)
    run_id = store.begin_run(engine, "nightly", "test", DEMO_AS_OF)
    figures = pl.DataFrame(
        {field: [None] for field in store.OBSERVATION_FIELDS},
        schema={field: pl.String for field in store.OBSERVATION_FIELDS},
    ).with_columns(
        indicator_code=pl.lit("CS01"),
        fy=pl.lit(2025, pl.Int32),
        fm=pl.lit(1, pl.Int32),
        period=pl.lit("2025-04"),
        value=pl.lit(3.5),
        numerator=pl.lit(None, pl.Float64),
        denominator=pl.lit(None, pl.Float64),
        forecast=pl.lit(None, pl.Float64),
        source_id=pl.lit("kpis"),
        file=pl.lit("kpis.csv"),
        content_hash=pl.lit("0" * 64),
        row_number=pl.lit(2, pl.Int64),
    )
    during = _planner_at_each_read(monkeypatch)
    with engine.begin() as connection:
        before = _planner_scans(connection)
        store.load_observations(connection, run_id, [figures])
        after = _planner_scans(connection)
    engine.dispose()
    if before is None:  # SQLite walks the index as it is
        assert (set(during), after) == ({None}, None)
    else:
        assert (before, set(during), after) == ("on", {"off"}, "on")


def test_a_restated_figure_supersedes_the_old_one_which_is_kept(
    warehouse_url: str, demo_copy: Path
) -> None:
    engine = nightly(warehouse_url, demo_copy)
    before = pl.read_csv(export_csv(engine, "measures").encode())
    path = demo_copy / "extracts" / "children" / "cyp_returns_2025-26.csv"
    text = path.read_text(encoding="utf-8-sig")
    old_line = next(line for line in text.splitlines() if line.startswith("CYP SC 03,2025-04,"))
    path.write_text(
        text.replace(old_line, "CYP SC 03,2025-04,999,,,Restated after audit"), encoding="utf-8-sig"
    )
    nightly(warehouse_url, demo_copy)
    with engine.connect() as connection:
        versions = store.read_table(connection, Observation).filter(
            (pl.col("indicator_code") == "CYP SC 03") & (pl.col("fy") == 2025) & (pl.col("fm") == 1)
        )
    assert versions.sort("run_id").select("value", "is_current", "superseded_by_run").rows() == [
        (float(old_line.split(",")[2]), False, 2),
        (999.0, True, None),
    ]
    after = pl.read_csv(export_csv(engine, "measures").encode())
    changed = before.join(after, on=["indicator_code", "period"]).filter(
        pl.col("ytd_value") != pl.col("ytd_value_right")
    )
    assert set(changed["indicator_code"]) == {"CYP SC 03"}


def test_export_rejections_lists_the_current_rejections_in_spec_columns(warehouse_url: str) -> None:
    engine = demo_warehouse(warehouse_url)
    frame = pl.read_csv(export_csv(engine, "rejections").encode(), infer_schema=False)
    assert frame.columns == ["source_id", "file", "row_number", "column", "reason_code", "message"]
    assert sorted(frame["reason_code"]) == sorted(
        [
            "unknown_code",
            "duplicate_in_extract",
            "duplicate_in_extract",
            "not_a_number",
            "not_a_number",
            "future_period",
            "ratio_inconsistent",
            "missing_value",
            "percent_out_of_range",
        ]
    )
    nightly(warehouse_url)  # a run that skips the unchanged files keeps their rejections current
    assert pl.read_csv(export_csv(engine, "rejections").encode(), infer_schema=False).height == 9


def test_measures_computed_a_slice_of_indicators_at_a_time_are_the_same(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = demo_warehouse(warehouse_url)  # the demo's 67 indicators: one slice
    whole = {name: export_csv(engine, name) for name in ("measures", "summary")}
    monkeypatch.setattr(load, "INDICATORS_PER_SLICE", 5)
    with engine.begin() as connection:
        count = load.recompute(connection, load_council(DEMO), DEMO_AS_OF)
    assert count == 2350
    assert {name: export_csv(engine, name) for name in whole} == whole


def test_a_first_load_computes_its_measures_from_the_figures_it_stored(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A load into an empty warehouse computes its measures, and counts what each source
    sent, from the figures it keeps as it stores them, not read back: the same measures,
    summaries and counts as the warehouse's figures give, over several slices of
    indicators, with a figure of -0 (SQLite stores it as 0)."""
    council = tmp_path / "council"
    shutil.copytree(DEMO, council)
    extract = council / "extracts" / "children" / "cyp_returns_2025-26.csv"
    text = extract.read_text(encoding="utf-8-sig")
    assert "CYP SC 02,2025-06,247,,," in text
    extract.write_text(text.replace("CYP SC 02,2025-06,247,,,", "CYP SC 02,2025-06,-0,,,"))
    monkeypatch.setattr(load, "INDICATORS_PER_SLICE", 20)  # the demo's 67: four slices
    read_back = []
    reader = store.current_observations

    def current_observations(
        connection: sa.Connection, columns: Any, *args: Any, **kwargs: Any
    ) -> Any:
        read_back.append(list(columns))
        return reader(connection, columns, *args, **kwargs)

    monkeypatch.setattr(store, "current_observations", current_observations)
    empty = connect(warehouse_url)  # the warehouse made, as migrated, with no figures
    indexes = sa.inspect(empty).get_indexes("observations")
    keys = sa.inspect(empty).get_foreign_keys("observations")
    empty.dispose()
    engine = nightly(warehouse_url, council)
    assert sa.inspect(engine).get_indexes("observations") == indexes  # built again after
    assert sa.inspect(engine).get_foreign_keys("observations") == keys  # on PostgreSQL too
    assert load.MEASURE_INPUTS not in read_back
    assert not [columns for columns in read_back if "source_id" in columns]  # sources counted
    first = {name: export_csv(engine, name) for name in ("measures", "summary")}
    as_stored = "0.0" if warehouse_url.startswith("sqlite") else "-0.0"  # PostgreSQL keeps -0
    assert f"\nCYP SC 02,2025/26 Q1,quarter,2025/26,{as_stored}," in first["measures"]
    monkeypatch.setattr(store, "current_observations", reader)
    with engine.begin() as connection:
        load.recompute(connection, load_council(council), DEMO_AS_OF)
        # What each source sent, remembered from the figures stored, as counted from them.
        remembered = (store.source_months(connection), store.source_indicators(connection))
        for key in (store.SOURCE_MONTHS, store.SOURCE_INDICATORS):
            store.forget_state(connection, key)
        store.remember_what_sources_sent(connection)
        counted = (store.source_months(connection), store.source_indicators(connection))
    assert {name: export_csv(engine, name) for name in first} == first
    for kept, recounted in zip(remembered, counted, strict=True):
        assert kept.height > 0
        assert kept.sort(kept.columns).equals(recounted.sort(recounted.columns))
    engine.dispose()


def test_each_slice_of_figures_is_read_through_the_index_and_the_planner_put_back(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slice of indicators is a small share of a large warehouse's figures: on PostgreSQL
    it is read through the index, not by reading every figure once per slice."""
    engine = demo_warehouse(warehouse_url)
    monkeypatch.setattr(load, "INDICATORS_PER_SLICE", 20)  # the demo's 67: four slices
    during = _planner_at_each_read(monkeypatch)
    with engine.begin() as connection:
        before = _planner_scans(connection)
        load.recompute(connection, load_council(DEMO), DEMO_AS_OF)
        after = _planner_scans(connection)
    engine.dispose()
    expected = None if before is None else "off"
    assert (during, after) == ([expected] * 4, before)


def test_a_run_that_fails_half_way_leaves_the_previous_state(
    warehouse_url: str, monkeypatch: object, staging: Path
) -> None:
    engine = demo_warehouse(warehouse_url)
    before = export_csv(engine, "measures")
    council = load_council(DEMO)
    batch = ingest.ingest_all(council, DEMO_AS_OF + dt.timedelta(days=92), staging)

    def database_gone(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(load.store, "insert_summaries", database_gone)  # type: ignore[attr-defined]
    run_id = store.begin_run(engine, "nightly", council.settings.name, DEMO_AS_OF)
    with pytest.raises(sa.exc.OperationalError):
        load.load_and_compute(engine, run_id, council, batch, DEMO_AS_OF + dt.timedelta(days=92))
    assert export_csv(engine, "measures") == before


def test_nothing_new_skips_the_recompute_and_a_restatement_republishes_its_years(
    warehouse_url: str, demo_copy: Path, staging: Path
) -> None:
    engine = nightly(warehouse_url, demo_copy)
    council = load_council(demo_copy)

    def load_again() -> load.LoadResult:
        run_id = store.begin_run(engine, "nightly", council.settings.name, DEMO_AS_OF)
        with engine.connect() as connection:
            skip = frozenset(store.loaded_hashes(connection))
        batch = ingest.ingest_all(council, DEMO_AS_OF, staging, skip)
        return load.load_and_compute(engine, run_id, council, batch, DEMO_AS_OF)

    quiet = load_again()
    assert (quiet.recomputed, quiet.changed_years, quiet.measures) == (False, set(), 2350)
    # Only the latest quarter and half are republished (their "as at" date moves on).
    assert publishing.periods_to_publish(council, DEMO_AS_OF, quiet) == {(2026, "Q2"), (2026, "H1")}

    path = demo_copy / "extracts" / "children" / "cyp_returns_2025-26.csv"
    text = path.read_text(encoding="utf-8-sig")
    line = next(x for x in text.splitlines() if x.startswith("CYP SC 03,2025-04,"))
    path.write_text(text.replace(line, "CYP SC 03,2025-04,99,,,Restated"), encoding="utf-8-sig")
    restated = load_again()
    assert (restated.recomputed, restated.changed_years) == (True, {2025})
    periods = publishing.periods_to_publish(council, DEMO_AS_OF, restated)
    assert periods is not None
    assert {(2025, "Q1"), (2025, "H2"), (2026, "Q1"), (2026, "Q2")} <= periods
    assert not any(fy == 2024 for fy, _ in periods)


def test_a_figure_sent_before_its_period_ended_loads_once_it_is_due(
    warehouse_url: str, tmp_path: Path
) -> None:
    """The demo holds a figure for a quarter after its as-of date: rejected then, it is
    loaded by the first nightly after that quarter ends, though its file is unchanged."""
    later = DEMO_AS_OF + dt.timedelta(days=92)
    demo_warehouse(warehouse_url)
    engine = nightly(warehouse_url, as_of=later)
    fresh = nightly(f"sqlite:///{tmp_path / 'fresh.sqlite'}", as_of=later)
    assert export_csv(engine, "measures") == export_csv(fresh, "measures")


def test_a_run_that_dies_while_creating_the_warehouse_leaves_nothing_half_made(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schema is created in one transaction (SQLite's driver would commit table by table):
    a run killed part-way leaves an empty database that the next run sets up as new."""
    from alembic import command  # warehouse.schema imports it only to upgrade

    upgrade = command.upgrade

    def dies_after_creating_the_tables(*args: object, **kwargs: object) -> None:
        upgrade(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # as a kill would, before the transaction commits

    monkeypatch.setattr(command, "upgrade", dies_after_creating_the_tables)
    with pytest.raises(KeyboardInterrupt):
        connect(warehouse_url)
    assert sa.inspect(sa.create_engine(warehouse_url)).get_table_names() == []
    monkeypatch.setattr(command, "upgrade", upgrade)
    engine = nightly(warehouse_url)
    assert export_csv(engine, "measures").count("\n") == 2351


def test_a_load_leaves_no_scratch_data_behind_whether_it_lands_or_fails(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where bulk loads stage rows
    engine = nightly(warehouse_url)
    later = DEMO_AS_OF + dt.timedelta(days=92)
    council = load_council(DEMO)
    monkeypatch.setattr(load.store, "insert_summaries", _database_gone)
    run_id = store.begin_run(engine, "nightly", council.settings.name, later)
    # The run's staged rows live in its own area (removed with it), not in the scratch.
    with ingest.staging_area(tmp_path) as staged:
        batch = ingest.ingest_all(council, later, staged)
        with pytest.raises(sa.exc.OperationalError):
            load.load_and_compute(engine, run_id, council, batch, later)
    assert list(scratch.iterdir()) == []
    with engine.connect() as connection:  # the pool's connection has nothing else attached
        if connection.dialect.name == "sqlite":
            attached = connection.exec_driver_sql("PRAGMA database_list").all()
            assert [row[1] for row in attached] == ["main"]


def _database_gone(*args: object, **kwargs: object) -> None:
    raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))


def test_what_each_source_sent_is_remembered_and_counted_again_where_figures_change(
    warehouse_url: str,
) -> None:
    """A nightly with nothing new reads each source's months and indicators (the returns
    page's coverage) from the state table instead of scanning every figure; a load that
    changes figures brings them up to date in its transaction (a new month reads its own
    year's months and no indicators; a restatement counts its indicators again)."""
    engine = demo_warehouse(warehouse_url)
    council = load_council(DEMO)
    kept = {
        store.SOURCE_MONTHS: (store.source_months, ["source_id", "fy", "fm"]),
        store.SOURCE_INDICATORS: (store.source_indicators, ["source_id", "indicator_code"]),
    }

    def remembered_as_counted() -> bool:
        """Every remembered list there, and equal to a count of the current figures."""
        with engine.connect() as connection:
            for key, (listed, columns) in kept.items():
                found = store.current_observations(connection, columns, distinct=True)
                counted = found.cast(listed(connection).schema).sort(columns)
                if store.get_state(connection, key) is None:
                    return False
                if not listed(connection).sort(columns).equals(counted):
                    return False
        return True

    def els_current() -> list[bool]:
        late = load.coverage(engine, council, DEMO_AS_OF).filter(pl.col("id") == "els-quarterly")
        return list(late["current"])

    assert remembered_as_counted()
    assert els_current() == [False]  # ELS has not sent 2026/27 Q2
    with engine.connect() as connection:
        sent = store.current_observations(connection).filter(pl.col("source_id") == "els-quarterly")
    q2 = sent.head(1).with_columns(fy=pl.lit(2026), fm=pl.lit(6), period=pl.lit("2026/27 Q2"))
    run_id = store.begin_run(engine, "nightly", council.settings.name, DEMO_AS_OF)
    with engine.begin() as connection:
        store.load_observations(connection, run_id, [q2])
    assert remembered_as_counted()
    assert els_current() == [True]
    # The same figure restated by another source: ELS's Q2 is no longer its own.
    moved = q2.with_columns(source_id=pl.lit("another-source"), value=pl.col("value") + 1)
    with engine.begin() as connection:
        store.load_observations(connection, run_id, [moved])
    assert remembered_as_counted()
    assert els_current() == [False]
    # A source's first figure of an indicator (a new month, nothing restated) is added.
    third = q2.with_columns(source_id=pl.lit("third-source"), fm=pl.lit(7))
    with engine.begin() as connection:
        store.load_observations(connection, run_id, [third])
    with engine.connect() as connection:
        pairs = store.source_indicators(connection)
    assert pairs.filter(pl.col("source_id") == "third-source").height == 1
    assert remembered_as_counted()
    # An indicator restated wholly by another source leaves its first source.
    with engine.connect() as connection:
        everything = store.current_observations(connection)
    code = third["indicator_code"][0]
    taken = everything.filter(pl.col("indicator_code") == code).with_columns(
        source_id=pl.lit("fourth-source"), value=pl.col("value") + 1
    )
    with engine.begin() as connection:
        store.load_observations(connection, run_id, [taken])
    with engine.connect() as connection:
        pairs = store.source_indicators(connection)
    assert pairs.filter(pl.col("indicator_code") == code)["source_id"].to_list() == [
        "fourth-source"
    ]
    assert remembered_as_counted()
    load.load_and_compute(engine, run_id, council, ingest.Batch(), DEMO_AS_OF)
    assert remembered_as_counted()


def test_the_catalogue_is_stored_again_only_when_the_configuration_changes(
    warehouse_url: str,
) -> None:
    """A nightly with the same configuration leaves the indicators, boards and targets of
    council.yaml, indicators.csv and targets.csv as stored (nothing deleted and written
    again); a changed title is stored by the next load."""
    engine = demo_warehouse(warehouse_url)
    council = load_council(DEMO)
    statements: list[str] = []

    def seen(connection: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    run_id = store.begin_run(engine, "nightly", council.settings.name, DEMO_AS_OF)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        load.load_and_compute(engine, run_id, council, ingest.Batch(), DEMO_AS_OF)
        assert not [s for s in statements if s.startswith("DELETE FROM indicators")]
        code = council.indicators["code"][0]
        retitled = council.indicators.with_columns(
            title=pl.when(pl.col("code") == code)
            .then(pl.lit("A title changed in indicators.csv"))
            .otherwise(pl.col("title"))
        )
        changed = dataclasses.replace(council, indicators=retitled)
        load.load_and_compute(engine, run_id, changed, ingest.Batch(), DEMO_AS_OF)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert [s for s in statements if s.startswith("DELETE FROM indicators")]
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT title FROM indicators WHERE code = :code"), {"code": code}
        ).scalar()
    assert stored == "A title changed in indicators.csv"


def _measure_rows(forecasts: list[float | None]) -> pl.DataFrame:
    count = len(forecasts)
    return pl.DataFrame(
        {
            "indicator_code": [f"X{i:05d}" for i in range(count)],
            "fy": [2025] * count,
            "period_type": ["quarter"] * count,
            "period_number": [1] * count,
            "period_suffix": ["Q1"] * count,
            "end_quarter": [1] * count,
            "period": ["2025-26 Q1"] * count,
            "financial_year": ["2025-26"] * count,
            "period_value": [None if f is None else f / 3 for f in forecasts],
            "ytd_value": [float(i) for i in range(count)],
            "ytd_target": [None] * count,
            "previous_ytd_value": forecasts[::-1],
            "months_expected": [3] * count,
            "months_present": [i % 4 for i in range(count)],
            "rag": ["green"] * count,
            "direction": ["improved"] * count,
            "forecast_value": forecasts,
        },
        schema_overrides={"ytd_target": pl.Float64, "previous_ytd_value": pl.Float64},
    )


def _read_both_ways(
    connection: sa.Connection, monkeypatch: pytest.MonkeyPatch, read: Any
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """``read`` as it is (counting reads over ADBC), then with every read through the
    connection's own driver."""
    from warehouse import bulk

    over_arrow = 0
    original = bulk._read_over_arrow

    def counted(*args: Any) -> pl.DataFrame:
        nonlocal over_arrow
        over_arrow += 1
        return original(*args)

    monkeypatch.setattr(bulk, "_read_over_arrow", counted)
    fast = read(connection)
    monkeypatch.setattr(bulk, "_committed_file", lambda _: None)
    plain = read(connection)
    monkeypatch.undo()
    return fast, plain, over_arrow


def test_reads_of_a_warehouse_file_come_as_arrow_columns_typed_as_the_drivers_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big reads of a SQLite warehouse (publishing's) go over ADBC (three times as fast) and
    give the same frame as Python's driver: the demo's tables, a column whose first 5,000
    figures are empty before a fraction and extremes (ADBC's driver types a column by its
    first values), and codes that SQL text must quote or cannot hold (read as before)."""
    from warehouse.models import BoardSummary, Measure

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    engine = demo_warehouse(url)
    awkward = [None] * 5000 + [2.5, 1e308, -1e-300, -0.0, 3.0, 2.0**53]
    added = _measure_rows(awkward)
    with engine.begin() as connection:
        insert_frame(connection, store.table_of(Measure), added)
    codes = added["indicator_code"].to_list()
    reads = [
        lambda c: store.read_table(c, Measure),
        lambda c: store.read_table(c, BoardSummary),
        lambda c: store.current_observations(c),
        lambda c: store.read_table(c, Measure, among={"indicator_code": codes}),
        lambda c: store.read_table(c, Measure, among={"indicator_code": ["X05001", "it's"]}),
        lambda c: store.read_table(c, Measure, among={"indicator_code": ["X05001", "a\x00b"]}),
        lambda c: store.read_table(c, Measure, years=[1990]),  # no rows at all
    ]
    with engine.connect() as connection:
        in_columns(connection)
        for read in reads:
            fast, plain, over_arrow = _read_both_ways(connection, monkeypatch, read)
            assert over_arrow == 1
            assert not fast.is_empty() or read is reads[-1]
            assert fast.schema == plain.schema
            assert fast.equals(plain)
    with engine.connect() as connection:
        measures = store.read_table(connection, Measure, order_by=["indicator_code"])
    stored = measures.filter(pl.col("indicator_code").str.starts_with("X"))
    assert stored["forecast_value"].to_list() == awkward
    engine.dispose()


def test_a_read_after_a_write_not_yet_committed_sees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within a transaction that has written, reads go through its own connection (another
    would not see the rows yet); once committed, a new transaction reads over ADBC again."""
    from warehouse.models import Measure

    engine = demo_warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}")
    codes = {"indicator_code": ["X00000", "X00001"]}
    with engine.begin() as connection:
        in_columns(connection)
        before, _, over_arrow = _read_both_ways(
            connection, monkeypatch, lambda c: store.read_table(c, Measure, among=codes)
        )
        assert before.is_empty()
        assert over_arrow == 1
        insert_frame(connection, store.table_of(Measure), _measure_rows([1.5, None]))
        after, _, over_arrow = _read_both_ways(
            connection, monkeypatch, lambda c: store.read_table(c, Measure, among=codes)
        )
        assert after["forecast_value"].to_list() == [1.5, None]
        assert over_arrow == 0
    with engine.connect() as connection:
        committed, _, over_arrow = _read_both_ways(
            connection, monkeypatch, lambda c: store.read_table(c, Measure, among=codes)
        )
        assert over_arrow == 0  # a connection that did not ask for columns
        in_columns(connection)
        committed, _, over_arrow = _read_both_ways(
            connection, monkeypatch, lambda c: store.read_table(c, Measure, among=codes)
        )
        assert committed.equals(after)
        assert over_arrow == 1
    engine.dispose()
