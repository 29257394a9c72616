"""SQLAlchemy models of the warehouse. Alembic migrations (warehouse/migrations) own the schema."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def table_of(model: type[Base]) -> Table:
    """A model's table, typed as the Table it is."""
    return cast(Table, model.__table__)


class Run(Base):
    """One nightly run, backfill or validation that wrote to the warehouse."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    council: Mapped[str] = mapped_column(Text)
    as_of: Mapped[dt.date] = mapped_column(Date)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))  # running, succeeded, partial, failed
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    files_skipped: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)


class Indicator(Base):
    __tablename__ = "indicators"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(10))
    polarity: Mapped[str] = mapped_column(String(10))
    aggregation: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(10))
    decimals: Mapped[int] = mapped_column(SmallInteger)
    scale: Mapped[float] = mapped_column(Float)
    tolerance: Mapped[float] = mapped_column(Float)
    tolerance_type: Mapped[str] = mapped_column(String(10))
    key: Mapped[bool] = mapped_column(Boolean)


class Board(Base):
    __tablename__ = "boards"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    cadence: Mapped[str] = mapped_column(String(20))


class BoardService(Base):
    __tablename__ = "board_services"
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id"), primary_key=True)
    service: Mapped[str] = mapped_column(Text, primary_key=True)


class Target(Base):
    """Targets from targets.csv (source_id "") and from targets sources, which take precedence."""

    __tablename__ = "targets"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    fy: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(2), primary_key=True)  # "" = annual
    source_id: Mapped[str] = mapped_column(Text, primary_key=True, default="")
    target: Mapped[float] = mapped_column(Float)


class Observation(Base):
    """Every version of every figure: a restatement adds a row and retires the old one."""

    __tablename__ = "observations"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(32))
    fy: Mapped[int] = mapped_column(Integer)
    fm: Mapped[int] = mapped_column(SmallInteger)
    period: Mapped[str] = mapped_column(Text)  # as the department wrote it
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    commentary: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[str] = mapped_column(Text)
    file: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    row_number: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    is_current: Mapped[bool] = mapped_column(Boolean)
    superseded_by_run: Mapped[int | None] = mapped_column(Integer)
    # The year-end figure the department expects, sent with this figure (SPEC §3).
    forecast: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_observations_current", "indicator_code", "fy", "fm", "is_current"),)


class LoadedFile(Base):
    """A file whose content was loaded: the next run skips the same content."""

    __tablename__ = "loaded_files"
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[str] = mapped_column(Text, primary_key=True)
    file: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    # A digest of the configuration the file was read under (schemas.reading): a change to
    # it reads the file again. Empty for files loaded before it was recorded.
    reading: Mapped[str | None] = mapped_column(String(64))


class Rejection(Base):
    __tablename__ = "rejections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    source_id: Mapped[str] = mapped_column(Text)
    file: Mapped[str] = mapped_column(Text)
    row_number: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    indicator_code: Mapped[str | None] = mapped_column(Text)  # as the extract named it


class Milestone(Base):
    __tablename__ = "milestones"
    source_id: Mapped[str] = mapped_column(Text, primary_key=True)
    ref: Mapped[str] = mapped_column(Text, primary_key=True)
    fy: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    commentary: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    owner: Mapped[str | None] = mapped_column(Text)
    revised_date: Mapped[dt.date | None] = mapped_column(Date)
    priority: Mapped[str | None] = mapped_column(Text)  # priority ids separated by |
    key: Mapped[bool | None] = mapped_column(Boolean)


class Risk(Base):
    __tablename__ = "risks"
    source_id: Mapped[str] = mapped_column(Text, primary_key=True)
    ref: Mapped[str] = mapped_column(Text, primary_key=True)
    fy: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    service: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    rating: Mapped[str] = mapped_column(String(10))
    mitigation: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    owner: Mapped[str | None] = mapped_column(Text)
    likelihood: Mapped[int | None] = mapped_column(SmallInteger)  # 1-5
    impact: Mapped[int | None] = mapped_column(SmallInteger)  # 1-5
    corporate: Mapped[bool | None] = mapped_column(Boolean)


class Narrative(Base):
    """A service's key developments, emerging issues or awards for a quarter (SPEC §4)."""

    __tablename__ = "narrative"
    # A source's own narrative (two sources may both send "Key developments" for a service).
    source_id: Mapped[str] = mapped_column(Text, primary_key=True)
    service: Mapped[str] = mapped_column(Text, primary_key=True)
    fy: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    heading: Mapped[str] = mapped_column(Text, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    file: Mapped[str] = mapped_column(Text)
    row_number: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class Measure(Base):
    __tablename__ = "measures"
    indicator_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    fy: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_number: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    period_suffix: Mapped[str] = mapped_column(String(2))  # Q1..Q4, H1, H2; "" for the year
    end_quarter: Mapped[int] = mapped_column(SmallInteger)  # the quarter the period ends in
    period: Mapped[str] = mapped_column(String(16))
    financial_year: Mapped[str] = mapped_column(String(8))
    period_value: Mapped[float | None] = mapped_column(Float)
    ytd_value: Mapped[float | None] = mapped_column(Float)
    ytd_target: Mapped[float | None] = mapped_column(Float)
    previous_ytd_value: Mapped[float | None] = mapped_column(Float)
    months_expected: Mapped[int] = mapped_column(SmallInteger)
    months_present: Mapped[int] = mapped_column(SmallInteger)
    rag: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(16))
    forecast_value: Mapped[float | None] = mapped_column(Float)


class BoardSummary(Base):
    __tablename__ = "board_summaries"
    board_id: Mapped[str] = mapped_column(Text, primary_key=True)
    fy: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_suffix: Mapped[str] = mapped_column(String(2), primary_key=True)
    period: Mapped[str] = mapped_column(String(16))
    green: Mapped[int] = mapped_column(Integer)
    amber: Mapped[int] = mapped_column(Integer)
    red: Mapped[int] = mapped_column(Integer)
    no_target: Mapped[int] = mapped_column(Integer)
    no_data: Mapped[int] = mapped_column(Integer)
    incomplete: Mapped[int] = mapped_column(Integer, default=0)
    green_pct: Mapped[int | None] = mapped_column(Integer)
    amber_pct: Mapped[int | None] = mapped_column(Integer)
    red_pct: Mapped[int | None] = mapped_column(Integer)


class PublishedReport(Base):
    """A board report as rendered: its path, content hash and everything it showed.

    ``final`` marks the version formally published to the committee; nightly drafts are
    kept only when their content changed.
    """

    __tablename__ = "published_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    board_id: Mapped[str] = mapped_column(Text)
    fy: Mapped[int] = mapped_column(Integer)
    period_suffix: Mapped[str] = mapped_column(String(2))
    path: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    final: Mapped[bool] = mapped_column(Boolean)
    snapshot: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_published_board_period", "board_id", "fy", "period_suffix"),)


class State(Base):
    """Small facts about the warehouse, such as what the stored measures were computed from."""

    __tablename__ = "state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class BenchmarkValue(Base):
    """Every version of every area's benchmark figure (SPEC §7), kept like observations."""

    __tablename__ = "benchmark_values"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(Text)
    area_name: Mapped[str | None] = mapped_column(Text)
    fy: Mapped[int] = mapped_column(Integer)
    fm: Mapped[int] = mapped_column(SmallInteger)
    period: Mapped[str] = mapped_column(Text)  # as the extract wrote it
    value: Mapped[float] = mapped_column(Float)
    source_id: Mapped[str] = mapped_column(Text)
    file: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    row_number: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    is_current: Mapped[bool] = mapped_column(Boolean)
    superseded_by_run: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index(
            "ix_benchmark_values_current", "indicator_code", "area_code", "fy", "fm", "is_current"
        ),
    )


class BenchmarkResult(Base):
    """The council's position in a comparator group for one indicator and period (derived)."""

    __tablename__ = "benchmark_results"
    indicator_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    group_id: Mapped[str] = mapped_column(Text, primary_key=True)
    fy: Mapped[int] = mapped_column(Integer, primary_key=True)
    fm: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    group_name: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    median: Mapped[float] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    areas: Mapped[int] = mapped_column(Integer)
    quartile: Mapped[int | None] = mapped_column(SmallInteger)
    lowest: Mapped[float] = mapped_column(Float)
    highest: Mapped[float] = mapped_column(Float)


class ReturnRecord(Base):
    """The returns register: a source's return for one period, when it was due and when it
    came (the as-of date of the run that first, and last, loaded figures for it)."""

    __tablename__ = "returns_register"
    source_id: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)  # 2026/27 Q2, 2026-07
    fy: Mapped[int] = mapped_column(Integer)
    first_fm: Mapped[int] = mapped_column(SmallInteger)
    last_fm: Mapped[int] = mapped_column(SmallInteger)
    department: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(Text)
    period_end: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    first_received: Mapped[dt.date | None] = mapped_column(Date)
    first_file: Mapped[str | None] = mapped_column(Text)
    latest_received: Mapped[dt.date | None] = mapped_column(Date)
    latest_file: Mapped[str | None] = mapped_column(Text)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # on_time, late, outstanding, not_due
    as_of: Mapped[dt.date] = mapped_column(Date)  # the date the status was judged at


class SignOff(Base):
    """A decision on a board's figures for a period: who, when, and exactly which figures
    (``figures``: each indicator's year-to-date value, target and status, as JSON;
    ``figures_digest``: its SHA-256)."""

    __tablename__ = "signoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    board_id: Mapped[str] = mapped_column(Text)
    fy: Mapped[int] = mapped_column(Integer)
    period_suffix: Mapped[str] = mapped_column(String(2))
    decision: Mapped[str] = mapped_column(String(32))  # approved, rejected, published_without
    approver: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    figures_digest: Mapped[str] = mapped_column(String(64))
    figures: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(32))  # command line, prefect

    __table_args__ = (Index("ix_signoffs_board_period", "board_id", "fy", "period_suffix"),)
