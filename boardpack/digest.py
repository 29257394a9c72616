"""The digest after each nightly: what changed since the previous nightly, for the
performance team, the boards' recipients and the departments' contacts.

Each nightly works out the facts worth telling (a measure rated red or incomplete at its
board's latest period, a milestone overdue, a return late or outstanding, a figure changed
since its approval), keeps them in the warehouse, and tells only those that were not true
at the previous nightly: a measure that stays red is told once. No new fact, no digest.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa

from core.periods import fy_month_end, latest_periods, period_label
from core.settings import Council
from outputs.approval import day_text, who
from outputs.formatting import format_figure, status_words
from transforms.coverage import latest_quarter
from transforms.returns import LATE
from transforms.summary import board_measures
from warehouse import store
from warehouse.models import Measure, Milestone
from warehouse.schema import connect, warehouse_url
from warehouse.signoffs import APPROVED, board_figures, changed_figures, latest_decisions

DIGEST_STATE = "digest_facts"  # the facts told at the previous nightly (JSON list of keys)
# Statuses worth telling when a measure newly has one (generic: any rag value listed).
WATCHED_RAGS = ("red", "incomplete")
SECTIONS = {
    "red": "Newly red",
    "incomplete": "Newly incomplete",
    "overdue": "Newly overdue milestones",
    "returns": "Late and outstanding returns",
    "changed": "Figures changed since approval",
}


@dataclass(frozen=True)
class Fact:
    key: str  # what identifies it from one nightly to the next
    section: str  # a key of SECTIONS
    line: str
    recipients: tuple[str, ...] = ()


@dataclass
class Digest:
    """What is new since the previous nightly, by section."""

    council: str
    as_of: dt.date
    facts: list[Fact] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return sorted({r for f in self.facts for r in f.recipients})

    @property
    def subject(self) -> str:
        return f"{self.council}: what changed in the figures, {day_text_of(self.as_of)}"

    def sections(self) -> list[tuple[str, list[str]]]:
        return [
            (heading, [f.line for f in self.facts if f.section == key])
            for key, heading in SECTIONS.items()
            if any(f.section == key for f in self.facts)
        ]

    def text(self) -> str:
        parts = [f"{self.subject}\n"]
        for heading, lines in self.sections():
            parts.append(f"\n{heading}\n" + "".join(f"- {line}\n" for line in lines))
        return "".join(parts)

    def markdown(self) -> str:
        parts = [f"# {self.subject}\n"]
        for heading, lines in self.sections():
            parts.append(f"\n## {heading}\n\n" + "".join(f"- {line}\n" for line in lines))
        return "".join(parts)

    def html(self) -> str:
        parts = [f"<h1>{html.escape(self.subject)}</h1>"]
        for heading, lines in self.sections():
            # An item a line: SMTP refuses lines over 998 characters.
            items = "".join(f"<li>{html.escape(line)}</li>\n" for line in lines)
            parts.append(f"<h2>{html.escape(heading)}</h2>\n<ul>\n{items}</ul>")
        return "\n".join(parts)


def day_text_of(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _rag_facts(connection: sa.Connection, council: Council, as_of: dt.date) -> list[Fact]:
    """Measures at a watched status at their board's latest period."""
    latest = latest_quarter(as_of, council.settings.year_start_month)
    if latest is None:
        return []
    wanted = latest_periods(*latest)
    # Only the watched statuses of the latest periods: a few rows, not a year's measures.
    measures = store.read_table(
        connection,
        Measure,
        years={fy for fy, _ in wanted},
        among={"rag": WATCHED_RAGS, "period_suffix": {suffix for _, suffix in wanted}},
    )
    rows = board_measures(measures.lazy(), council.indicators, council.boards).collect()
    titles = dict(zip(council.indicators["code"], council.indicators["title"], strict=True))
    words = status_words(council.settings.status_labels.model_dump(exclude_none=True))
    boards = {b.id: b for b in council.settings.boards}
    facts = []
    for row in rows.sort("board_id", "indicator_code").iter_rows(named=True):
        if (row["fy"], row["period_suffix"]) not in wanted:
            continue
        board = boards[row["board_id"]]
        rag = row["rag"]
        status = words[rag][1] if rag in words else rag.replace("_", " ")
        facts.append(
            Fact(
                key=f"rag:{rag}:{board.id}:{row['indicator_code']}",
                section=rag,
                line=f"{board.name}: {row['indicator_code']} {titles[row['indicator_code']]} "
                f"is {status} at {period_label(row['fy'], row['period_suffix'])}",
                recipients=tuple(board.recipients),
            )
        )
    return facts


def _overdue_facts(connection: sa.Connection, council: Council, as_of: dt.date) -> list[Fact]:
    """Milestones of the latest quarter, not complete, whose (revised, else original) due
    date is before the quarter's end (SPEC §4)."""
    latest = latest_quarter(as_of, council.settings.year_start_month)
    if latest is None:
        return []
    fy, quarter = latest
    milestones = store.read_table(connection, Milestone).filter(
        (pl.col("fy") == fy) & (pl.col("quarter") == quarter)
    )
    due = (
        pl.coalesce("revised_date", "due_date")
        if "revised_date" in milestones.columns
        else pl.col("due_date")
    )
    end = fy_month_end(fy, quarter * 3, council.settings.year_start_month)
    overdue = milestones.filter((pl.col("status") != "complete") & (due < end))
    facts = []
    for row in overdue.sort("ref").iter_rows(named=True):
        boards = [b for b in council.settings.boards if row["service"] in b.services]
        facts.append(
            Fact(
                key=f"overdue:{row['ref']}",
                section="overdue",
                line=f"{row['ref']} {row['description']} ({row['service']}): due "
                f"{day_text_of(row['due_date'])}, {row['status'].replace('_', ' ')}",
                recipients=tuple(r for b in boards for r in b.recipients),
            )
        )
    return facts


def _source_boards(
    connection: sa.Connection, council: Council, source_ids: list[str]
) -> dict[str, set[str]]:
    """The recipients of the boards each source's figures go to (by the services of the
    indicators it has current figures for): a late return holds up their reports."""
    sent = store.source_indicators(connection).filter(pl.col("source_id").is_in(source_ids))
    pairs = (
        sent.join(
            council.indicators.select(indicator_code="code", service="service"), on="indicator_code"
        )
        .join(council.boards, on="service")
        .select("source_id", "board_id")
        .unique()
    )
    boards = {b.id: b for b in council.settings.boards}
    told: dict[str, set[str]] = {}
    for source_id, board_id in pairs.iter_rows():
        told.setdefault(source_id, set()).update(boards[board_id].recipients)
    return told


def _return_facts(register: pl.DataFrame, boards: dict[str, set[str]]) -> list[Fact]:
    facts = []
    for row in register.filter(pl.col("status").is_in(LATE)).iter_rows(named=True):
        contact = f"; contact {row['contact']}" if row["contact"] else ""
        state = (
            f"outstanding, due {day_text_of(row['due_date'])}"
            if row["status"] == "outstanding"
            else f"received {day_text_of(row['first_received'])}, due "
            f"{day_text_of(row['due_date'])}"
        )
        facts.append(
            Fact(
                key=f"return:{row['status']}:{row['source_id']}:{row['period']}",
                section="returns",
                line=f"{row['department']} ({row['source_id']}) {row['period']}: {state}{contact}",
                recipients=tuple(
                    sorted(boards.get(row["source_id"], set()))
                    + ([row["contact_email"]] if row["contact_email"] else [])
                ),
            )
        )
    return facts


def _changed_facts(connection: sa.Connection, council: Council) -> list[Fact]:
    """Figures restated since their board's approval (reported again if restated again)."""
    decisions = latest_decisions(connection).filter(pl.col("decision") == APPROVED)
    indicators = {r["code"]: r for r in council.indicators.iter_rows(named=True)}
    decimals = {code: r["decimals"] for code, r in indicators.items()}
    boards = {b.id: b for b in council.settings.boards}
    facts = []
    for decision in decisions.iter_rows(named=True):
        board, fy, suffix = decision["board_id"], decision["fy"], decision["period_suffix"]
        if board not in boards:
            continue
        now = board_figures(connection, council, board, fy, suffix)
        for change in changed_figures(json.loads(decision["figures"]), now, decimals):
            code = change["indicator_code"]
            info = indicators.get(code)
            if info is None:
                continue
            unit, places, label = info["unit"], info["decimals"], info.get("unit_label")
            facts.append(
                Fact(
                    key=f"changed:{board}:{fy}{suffix}:{code}:{change['now']}",
                    section="changed",
                    line=f"{boards[board].name} {period_label(fy, suffix)}: {code} "
                    f"{info['title']}: approved "
                    f"{format_figure(change['approved'], unit, places, label)} by "
                    f"{who(decision)} on {day_text(decision['recorded_at'])}, now "
                    f"{format_figure(change['now'], unit, places, label)}",
                    recipients=tuple(boards[board].recipients),
                )
            )
    return facts


def current_facts(
    connection: sa.Connection, council: Council, as_of: dt.date, register: pl.DataFrame
) -> list[Fact]:
    late_sources = register.filter(pl.col("status").is_in(LATE))["source_id"].unique()
    return (
        _rag_facts(connection, council, as_of)
        + _overdue_facts(connection, council, as_of)
        + _return_facts(register, _source_boards(connection, council, late_sources.to_list()))
        + _changed_facts(connection, council)
    )


def nightly_digest(
    engine: sa.Engine, council: Council, as_of: dt.date, register: pl.DataFrame
) -> Digest | None:
    """The facts new since the previous nightly (all of them at the first), remembered for
    the next; None when nothing is new."""
    with engine.begin() as connection:
        facts = current_facts(connection, council, as_of, register)
        told = store.get_state(connection, DIGEST_STATE)
        before = set(json.loads(told)) if told else set()
        store.set_state(connection, DIGEST_STATE, json.dumps(sorted({f.key for f in facts})))
    new = [f for f in facts if f.key not in before]
    return Digest(council.settings.name, as_of, new) if new else None


def not_sent(warehouse: str | None, digest: Digest) -> None:
    """``digest`` could not be sent: its facts are forgotten as told in the warehouse (its
    URL, else the default one), so that the next nightly's digest tells them, with whatever
    else is new by then, rather than lose them."""
    unsent = {f.key for f in digest.facts}
    engine = connect(warehouse_url(warehouse), create=False)
    try:
        with engine.begin() as connection:
            told = store.get_state(connection, DIGEST_STATE)
            kept = set(json.loads(told)) - unsent if told else set()
            store.set_state(connection, DIGEST_STATE, json.dumps(sorted(kept)))
    finally:
        engine.dispose()
