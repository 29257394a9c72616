"""The council's configuration as checked models (SPEC §2, §4): what every layer reads.

Loading and checking the files is ``boardpack.config``'s job; these are the shapes.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.columns import CANONICAL
from core.deadlines import parse_return_period
from core.errors import ConfigError

COUNCIL_FILE = "council.yaml"
INDICATORS_FILE = "indicators.csv"
TARGETS_FILE = "targets.csv"
GROUP_COLUMNS = {"group_id": pl.String, "group_name": pl.String, "area_code": pl.String}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(_Strict):
    type: Literal["relative", "absolute"] = "relative"
    value: float = Field(default=0.05, ge=0)


class Board(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str
    services: list[str] = Field(min_length=1)
    cadence: Literal["quarterly", "half-yearly"]
    # Who receives the digest of what changed on this board's figures after a nightly.
    recipients: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _services_once(self) -> Board:
        repeated = first_repeated(self.services)
        if repeated is not None:
            raise ValueError(f"board '{self.id}': service '{repeated}' is listed twice")
        return self


class ReturnDue(_Strict):
    """When a source's return for a period is due: a number of working days (England and
    Wales bank holidays excluded) or of calendar days after the period ends."""

    working_days_after: int | None = Field(default=None, ge=0, le=60)
    days_after: int | None = Field(default=None, ge=0, le=120)
    # The period each return covers; the register starts at ``from`` (a period label such
    # as "2026/27 Q1"), else at the first period due after the source was first loaded.
    every: Literal["month", "quarter"] = "quarter"
    start: str | None = Field(default=None, alias="from")

    @model_validator(mode="after")
    def _one_rule(self) -> ReturnDue:
        if (self.working_days_after is None) == (self.days_after is None):
            raise ValueError("give one of 'working_days_after' or 'days_after'")
        if self.start is not None and parse_return_period(self.start, self.every) is None:
            example = "2026-07" if self.every == "month" else "2026/27 Q1"
            raise ValueError(f"from: '{self.start}' is not a {self.every} such as {example}")
        return self


class Contact(_Strict):
    """Who in the department answers for its return (a name or a role) and their email."""

    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SqlTimeouts(_Strict):
    """Seconds a SQL source may take to connect and to answer its query: one that does not
    fails that source (and is tried again), never the night."""

    connect: float = Field(default=10, gt=0)
    statement: float = Field(default=300, gt=0)


class Retries(_Strict):
    """How often a source is tried before it is recorded as failed, and the seconds between
    tries (the last wait repeats)."""

    attempts: int = Field(default=3, ge=1, le=10)
    wait: list[float] = Field(default_factory=lambda: [2.0, 10.0], min_length=1)

    @field_validator("wait")
    @classmethod
    def _not_negative(cls, wait: list[float]) -> list[float]:
        if any(seconds < 0 for seconds in wait):
            raise ValueError("a wait between tries cannot be negative")
        return wait

    def delays(self) -> list[float]:
        """The waits before the second, third... try."""
        return [self.wait[min(i, len(self.wait) - 1)] for i in range(self.attempts - 1)]


class Source(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    department: str
    kind: Literal["observations", "targets", "milestones", "risks", "narrative", "benchmarks"]
    format: Literal["csv", "excel", "sql"]
    path: str | None = None
    url: str | None = None
    query: str | None = None
    layout: Literal["long", "wide"] = "long"
    sheet: str | None = None
    header_row: int = Field(default=1, ge=1)
    delimiter: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    # Wide sources: columns that are neither mapped nor periods but are expected (notes,
    # totals), and headers that name a period in the department's own words.
    ignore_columns: list[str] = Field(default_factory=list)
    periods: dict[str, str] = Field(default_factory=dict)
    # ``formatted``: figures as a spreadsheet shows them (1,204; £1,204.50; 61.5%).
    numbers: Literal["plain", "formatted"] = "plain"
    # Rows whose column holds another value (another council's, in a national download)
    # are not this source's: they are counted as set aside, neither loaded nor rejected.
    rows: dict[str, str] = Field(default_factory=dict)
    # What a return template lists (``boardpack template``): these indicator codes, and the
    # indicators of these services; with neither, those the source has sent before.
    indicators: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    # A path matching no file is a failed source (nothing matched is not success), unless
    # the council says its files may not have arrived yet (a new return, say).
    expect_files: bool = True

    # The returns register (issue 26): when each period's return is due, and who owes it.
    due: ReturnDue | None = None
    contact: Contact | None = None
    # SQL sources: connect and statement timeouts; every source: its tries (issue 22).
    timeout: SqlTimeouts = Field(default_factory=SqlTimeouts)
    retries: Retries = Field(default_factory=Retries)

    @model_validator(mode="after")
    def _readable(self) -> Source:
        """Settings that would fail only when the files are read fail when loaded."""
        problem = _encoding_problem(self.encoding) or _delimiter_problem(self.delimiter)
        if self.format == "sql" and self.url and not ENV_VARIABLE.search(self.url):
            problem = problem or _url_problem(self.url)
        if (self.ignore_columns or self.periods) and self.layout != "wide":
            problem = problem or "'ignore_columns' and 'periods' are for wide sources"
        if "timeout" in self.model_fields_set and self.format != "sql":
            problem = problem or "'timeout' is for sql sources (files are read, not waited for)"
        problem = problem or _columns_problem(self.kind, self.columns)
        if problem:
            raise ValueError(f"source '{self.id}': {problem}")
        return self

    @model_validator(mode="after")
    def _options_fit_format(self) -> Source:
        """A reading option the source's format has no use for is a mistake, not ignored."""
        unused = [
            name
            for name, formats, given in (
                ("sheet", ("excel",), self.sheet is not None),
                ("header_row", ("csv", "excel"), self.header_row != 1),
                ("delimiter", ("csv",), self.delimiter is not None),
                ("encoding", ("csv",), self.encoding is not None),
            )
            if given and self.format not in formats
        ]
        if unused:
            raise ValueError(
                f"source '{self.id}': '{unused[0]}' does not apply to a {self.format} source"
            )
        return self

    @model_validator(mode="after")
    def _located(self) -> Source:
        if self.format == "sql" and not (self.url and self.query):
            raise ValueError("a sql source needs both 'url' and 'query'")
        if self.format != "sql" and not self.path:
            raise ValueError(f"a {self.format} source needs a 'path' (a glob)")
        if self.layout == "wide" and self.kind != "observations":
            raise ValueError("only observations sources can have the wide layout")
        if self.due is not None and self.kind != "observations":
            raise ValueError("'due' is for observations sources (returns of figures)")
        return self


def _columns_problem(kind: str, columns: dict[str, str]) -> str | None:
    """A ``columns`` key names one of our columns: a slip (``valeu``) maps nothing, and the
    department's column it meant is then dropped or the file rejected for lacking it."""
    ours = CANONICAL[kind]
    unknown = sorted(set(columns) - set(ours))
    if unknown:
        return (
            f"columns: '{unknown[0]}' is not a column of {kind} sources (the keys are ours: "
            f"{', '.join(ours)}; the values are the department's)"
        )
    return None


# ${NAME} in a URL: filled from the environment when the source is read (SPEC §4).
ENV_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _encoding_problem(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return f"encoding '{encoding}' is not a known text encoding (e.g. utf-8, cp1252)"
    if not info._is_text_encoding:
        return f"encoding '{encoding}' is not a text encoding (e.g. utf-8, cp1252)"
    return None


def _delimiter_problem(delimiter: str | None) -> str | None:
    if delimiter is None:
        return None
    if len(delimiter) != 1 or delimiter in '"\r\n':
        return f"delimiter {delimiter!r} must be one character (such as ',' ';' or a tab)"
    return None


def _url_problem(url: str) -> str | None:
    """Whether a URL without variables is shaped like a database URL (a scheme, and a port
    that is a number); the message never repeats the URL. The standard library's parser,
    not SQLAlchemy's: importing SQLAlchemy would cost `boardpack validate` half a second."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or "://" not in url:
        return "url is not a database URL such as postgresql://user@host:5432/name"
    return None


class Comparator(_Strict):
    """A comparator group (SPEC §7): its areas listed, or a CSV with an ``area_code`` column."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str
    areas: list[str] | str


class Priority(_Strict):
    """One of the council's strategic priorities or themes (SPEC §2)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str = Field(min_length=1)


class RiskBands(_Strict):
    """The lowest likelihood × impact score of each band (SPEC §2); below medium is low."""

    high: int = Field(default=15, ge=1, le=25)
    medium: int = Field(default=8, ge=1, le=25)

    @model_validator(mode="after")
    def _ordered(self) -> RiskBands:
        if self.medium >= self.high:
            raise ValueError("risk_bands: 'medium' must be below 'high'")
        return self


class StatusLabels(_Strict):
    """The council's own words for the statuses; any left out keep boardpack's."""

    green: str | None = Field(default=None, min_length=1)
    amber: str | None = Field(default=None, min_length=1)
    red: str | None = Field(default=None, min_length=1)


class StatusDefinitions(_Strict):
    """The council's own sentence for each status (SPEC §2), printed in the notes and the
    summary: ``green: on track to be achieved``; any left out keep boardpack's."""

    green: str | None = Field(default=None, min_length=1)
    amber: str | None = Field(default=None, min_length=1)
    red: str | None = Field(default=None, min_length=1)


class Documents(_Strict):
    """Word and PDF copies of each report (SPEC §5); ``documents: true`` takes the defaults.

    ``appendix_by_service``: also a committee pack per board and period (summary, exceptions,
    then "Appendix A – <service>" for each service in the board's order). ``periods``: the
    nightly makes documents for the latest period of each cadence (``latest``) or for every
    report it writes (``all``); a backfill or a single publish makes them for what it writes.
    """

    appendix_by_service: bool = False
    periods: Literal["latest", "all"] = "latest"


def first_repeated(values: list[str]) -> str | None:
    """The first (in sorted order) of ``values`` that appears more than once."""
    repeated = sorted({v for v in values if values.count(v) > 1})
    return repeated[0] if repeated else None


class CouncilSettings(_Strict):
    name: str
    year_start_month: int = Field(default=4, ge=1, le=12)
    tolerance: Tolerance = Tolerance()
    status_labels: StatusLabels = StatusLabels()
    status_definitions: StatusDefinitions = StatusDefinitions()
    # How rag is decided (SPEC §3): the tolerance rule, or whether the year's target will
    # be met, from the departments' year-end forecasts.
    rating: Literal["tolerance", "forecast"] = "tolerance"
    # A PDF and a Word copy beside each report (``documents: true`` or its options).
    documents: Documents | None = None
    boards: list[Board] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)
    area_code: str | None = None
    comparators: list[Comparator] = Field(default_factory=list)
    priorities: list[Priority] = Field(default_factory=list)
    risk_bands: RiskBands = RiskBands()

    @field_validator("documents", mode="before")
    @classmethod
    def _documents_switch(cls, value: object) -> object:
        """``documents: true`` is every default, ``false`` none."""
        if value is True:
            return {}
        return None if value is False else value

    @model_validator(mode="after")
    def _unique_ids(self) -> CouncilSettings:
        if self.comparators and not self.area_code:
            raise ValueError("comparators need the council's own 'area_code' (e.g. E08000009)")
        for kind, ids in (
            ("board", [b.id for b in self.boards]),
            ("source", [s.id for s in self.sources]),
            ("comparator group", [c.id for c in self.comparators]),
            ("priority", [p.id for p in self.priorities]),
        ):
            repeated = first_repeated(ids)
            if repeated is not None:
                raise ValueError(f"{kind} id '{repeated}' is used more than once")
        return self


@dataclass(frozen=True)
class Council:
    """A checked configuration: settings plus the indicator catalogue and targets."""

    folder: Path
    settings: CouncilSettings
    indicators: pl.DataFrame  # resolved: one row per indicator, typed
    targets: pl.DataFrame  # code, fy, period ("" = annual), target
    # group_id, group_name, area_code: each comparator group's members (SPEC §7)
    comparators: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=GROUP_COLUMNS))

    @property
    def boards(self) -> pl.DataFrame:
        """One row per board and service it covers."""
        return pl.DataFrame(
            [
                {"board_id": b.id, "service": s, "cadence": b.cadence}
                for b in self.settings.boards
                for s in b.services
            ]
        )

    def source(self, source_id: str) -> Source:
        for source in self.settings.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.settings.sources) or "none"
        raise ConfigError(self.folder / COUNCIL_FILE, f"no source '{source_id}' (sources: {known})")


def require_config_folder(folder: Path) -> None:
    """A configuration folder with its council.yaml (without reading it: for commands that
    only read the warehouse, so they need not load the checks)."""
    if not folder.is_dir():
        raise ConfigError(folder, "the configuration folder does not exist")
    if not (folder / COUNCIL_FILE).is_file():
        raise ConfigError(folder / COUNCIL_FILE, "the file is missing")


class SharedCouncil(_Strict):
    """One council of a shared service's nightly (``councils.yaml``)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=64)
    config: Path
    warehouse: str | None = None  # ${NAME} filled from the environment; default var/<id>.sqlite
    out: Path | None = None  # default out/<id>


class SharedService(_Strict):
    """The councils a shared service runs in one nightly, each with its own warehouse."""

    councils: list[SharedCouncil] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SharedService:
        repeated = first_repeated([c.id for c in self.councils])
        if repeated is not None:
            raise ValueError(f"council id '{repeated}' is listed twice")
        return self
