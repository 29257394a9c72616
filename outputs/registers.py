"""What members read besides the indicator table (SPEC §4, §5 "What members read"):
milestones with their owners and overdue dates, risks scored likelihood × impact with
their movement, each service's narrative, and the indicators not reported this period.

Each section is a function returning its rows as text (so the Word and PDF copies can
reuse it) and one rendering them; text from extracts reaches the page through
great-tables cells or :func:`html.escape`.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Mapping
from typing import Concatenate, ParamSpec

import polars as pl

from core.periods import PERIODS_BY_SUFFIX, fy_label
from outputs.formatting import MILESTONE, OVERDUE, day_text, labelled, period_dates, uk_date

PolarsType = pl.DataType | type[pl.DataType]
Arguments = ParamSpec("Arguments")
# Movement of a risk's score since the previous quarter: a higher score is worse.
RISK_MOVEMENT = {
    "increased": ("↑", "Score up"),
    "reduced": ("↓", "Score down"),
    "unchanged": ("→", "No change"),
    "new": ("•", "New this quarter"),
    "unscored": ("–", "Not scored"),
}
MISSING_COLUMNS = {
    "service": pl.String,
    "code": pl.String,
    "title": pl.String,
    "owner": pl.String,
    "reason": pl.String,
}
NONE_MISSING = pl.DataFrame(schema=MISSING_COLUMNS)
NARRATIVE_COLUMNS = {"service": pl.String, "heading": pl.String, "text": pl.String}
# Register columns a frame from before issue 24 (an old snapshot) lacks.
_MILESTONE_EXTRA = {
    "owner": pl.String,
    "revised_date": pl.Date,
    "priority": pl.String,
    "key": pl.Boolean,
}
_RISK_EXTRA = {
    "owner": pl.String,
    "likelihood": pl.Int64,
    "impact": pl.Int64,
    "corporate": pl.Boolean,
    "previous_score": pl.Int64,
}


def with_columns_of(frame: pl.DataFrame, columns: Mapping[str, PolarsType]) -> pl.DataFrame:
    """``frame`` with any of ``columns`` it lacks, as nulls."""
    missing = [pl.lit(None, dtype).alias(n) for n, dtype in columns.items() if n not in frame]
    return frame.with_columns(missing) if missing else frame


def reported_period_end(fy: int, suffix: str, year_start_month: int = 4) -> dt.date:
    return period_dates(fy, suffix, year_start_month)[1]


def overdue(milestones: pl.DataFrame, period_end: dt.date) -> pl.Series:
    """Whether each milestone is overdue at ``period_end``: not complete, and its revised
    (else original) due date before the end of the reported period (SPEC §4)."""
    frame = with_columns_of(milestones, _MILESTONE_EXTRA)
    due = pl.coalesce("revised_date", "due_date")
    return frame.select(
        ((pl.col("status") != "complete") & (due < pl.lit(period_end))).fill_null(False)
    ).to_series()


def empty_worked_out_once(
    rows: Callable[Concatenate[pl.DataFrame, Arguments], pl.DataFrame],
) -> Callable[Concatenate[pl.DataFrame, Arguments], pl.DataFrame]:
    """``rows`` of a register, worked out once for an empty register of the same columns:
    most boards have no milestones or no risks, and each of their pages and exceptions pages
    otherwise ran the same dozen small queries over nothing (a tenth of a page's time)."""
    empties: dict[tuple[tuple[str, pl.DataType], ...], pl.DataFrame] = {}

    @functools.wraps(rows)
    def worked_out(
        register: pl.DataFrame, /, *args: Arguments.args, **kwargs: Arguments.kwargs
    ) -> pl.DataFrame:
        if not register.is_empty():
            return rows(register, *args, **kwargs)
        columns = tuple(register.schema.items())
        if columns not in empties:
            empties[columns] = rows(register, *args, **kwargs)
        return empties[columns]

    return worked_out


@empty_worked_out_once
def milestone_rows(milestones: pl.DataFrame, period_end: dt.date) -> pl.DataFrame:
    """The milestone table as text: owner, due and revised dates, and progress in words and
    a symbol (overdue distinct from off track, complete from on track)."""
    frame = with_columns_of(milestones, _MILESTONE_EXTRA).with_columns(
        overdue=overdue(milestones, period_end)
    )
    progress = pl.col("status").replace_strict(
        {key: labelled(MILESTONE, key) for key in MILESTONE}, default=pl.col("status")
    )
    status_words = pl.col("status").replace_strict(
        {key: words.lower() for key, (_, words) in MILESTONE.items()}, default=pl.col("status")
    )
    due = uk_date(pl.col("due_date")).fill_null("–")
    return frame.select(
        "service",
        pl.when(pl.col("key").fill_null(False))
        .then(pl.format("{} ★", pl.col("ref")))
        .otherwise(pl.col("ref"))
        .alias("ref"),
        "description",
        pl.col("owner").fill_null(""),
        pl.when(pl.col("revised_date").is_not_null())
        .then(pl.format("{} (revised from {})", uk_date(pl.col("revised_date")), due))
        .otherwise(due)
        .alias("due"),
        pl.when(pl.col("overdue"))
        .then(pl.format(f"{OVERDUE[0]} {OVERDUE[1]} ({{}})", status_words))
        .otherwise(progress)
        .alias("status"),
        pl.col("commentary").fill_null(""),
        pl.col("priority").fill_null(""),
        "overdue",
        pl.col("status").alias("state"),
    ).sort("service", "ref")


def with_previous_scores(risks: pl.DataFrame) -> pl.DataFrame:
    """Each risk with its likelihood × impact score in the quarter before (same ref)."""
    frame = with_columns_of(risks.drop("previous_score", strict=False), _RISK_EXTRA).drop(
        "previous_score"
    )
    earlier = frame.select(
        "ref",
        # The quarter after this row's: where this score is the "previous" one.
        pl.when(pl.col("quarter") == 4).then(pl.col("fy") + 1).otherwise(pl.col("fy")).alias("fy"),
        (pl.col("quarter") % 4 + 1).cast(frame.schema["quarter"]).alias("quarter"),
        (pl.col("likelihood") * pl.col("impact")).alias("previous_score"),
    ).with_columns(pl.col("fy").cast(frame.schema["fy"]))
    return frame.join(earlier, on=["ref", "fy", "quarter"], how="left", maintain_order="left")


@empty_worked_out_once
def risk_rows(risks: pl.DataFrame) -> pl.DataFrame:
    """The risk table as text, highest score first: owner, likelihood × impact, the score's
    movement since the previous quarter, and the corporate flag."""
    frame = with_columns_of(risks, _RISK_EXTRA).with_columns(
        score=pl.col("likelihood") * pl.col("impact")
    )
    movement = (
        pl.when(pl.col("score").is_null())
        .then(pl.lit("unscored"))
        .when(pl.col("previous_score").is_null())
        .then(pl.lit("new"))
        .when(pl.col("score") > pl.col("previous_score"))
        .then(pl.lit("increased"))
        .when(pl.col("score") < pl.col("previous_score"))
        .then(pl.lit("reduced"))
        .otherwise(pl.lit("unchanged"))
    )
    return frame.sort(
        pl.col("score").fill_null(0),
        pl.col("service"),
        pl.col("ref"),
        descending=[True, False, False],
    ).select(
        "service",
        "ref",
        pl.when(pl.col("corporate").fill_null(False))
        .then(pl.format("{} (corporate risk)", pl.col("description")))
        .otherwise(pl.col("description"))
        .alias("description"),
        pl.col("owner").fill_null(""),
        pl.when(pl.col("score").is_not_null())
        .then(
            pl.format(
                "{} (likelihood {} × impact {})",
                pl.col("score"),
                pl.col("likelihood"),
                pl.col("impact"),
            )
        )
        .otherwise(pl.lit("–"))
        .alias("score"),
        movement.replace_strict({key: labelled(RISK_MOVEMENT, key) for key in RISK_MOVEMENT}).alias(
            "movement"
        ),
        pl.col("mitigation").fill_null(""),
        pl.col("progress").fill_null(""),
    )


def missing_indicators(
    indicators: pl.DataFrame, shown: pl.Series, fy: int, suffix: str
) -> pl.DataFrame:
    """The board's ``indicators`` with no row at this period (not among the ``shown``
    codes), each with the reason members are given."""
    if set(indicators["code"].to_list()) <= set(shown.to_list()):
        return NONE_MISSING  # most pages: every measure reported (no query a page)
    owner = indicators["owner"] if "owner" in indicators.columns else None
    frame = indicators.with_columns(
        owner=owner if owner is not None else pl.lit(None, dtype=pl.String)
    ).filter(~pl.col("code").is_in(shown.implode()))
    year_end = PERIODS_BY_SUFFIX[suffix].end_fm == 12
    reason = (
        pl.when((pl.col("frequency") == "annual") & pl.lit(not year_end))
        .then(pl.lit(f"reported annually: next at {fy_label(fy)} year end"))
        .otherwise(pl.lit("no figures yet"))
    )
    return frame.select("service", "code", "title", "owner", reason.alias("reason")).sort(
        "service", "code"
    )


def missing_section(missing: pl.DataFrame) -> str:
    """Members ask where an indicator went: each one not shown, by name, with why."""
    if missing.is_empty():
        return ""
    items = "".join(
        f"<li><strong>{html.escape(r['code'])}</strong> {html.escape(r['title'])} "
        f"({html.escape(r['service'])}): {html.escape(r['reason'])}</li>"
        for r in missing.iter_rows(named=True)
    )
    return (
        '<h3 id="not-reported">Measures not reported this period</h3>'
        f'<ul class="missing">{items}</ul>'
    )


def narrative_rows(narrative: pl.DataFrame, services: list[str]) -> pl.DataFrame:
    """A board's narrative for one quarter: its services in the board's order, headings in
    the order each service sent them."""
    order = {service: i for i, service in enumerate(services)}
    if narrative.is_empty():
        return pl.DataFrame(schema=NARRATIVE_COLUMNS)
    return (
        narrative.with_columns(
            _order=pl.col("service").replace_strict(order, default=len(order)),
        )
        .sort("_order", "row_number", maintain_order=True)
        .select(list(NARRATIVE_COLUMNS))
    )


def narrative_section(rows: pl.DataFrame) -> str:
    """Key developments, emerging issues and awards, under each service."""
    if rows.is_empty():
        return ""
    parts = []
    for (service,), group in rows.partition_by(
        "service", as_dict=True, maintain_order=True
    ).items():
        entries = "".join(
            f"<h4>{html.escape(r['heading'])}</h4><p>{html.escape(r['text'])}</p>"
            for r in group.iter_rows(named=True)
        )
        parts.append(f"<h3>{html.escape(str(service))}</h3>{entries}")
    return (
        '<section aria-labelledby="narrative"><h2 id="narrative">Key developments and '
        f"emerging issues</h2>{''.join(parts)}</section>"
    )


def data_as_at(fy: int, suffix: str, year_start_month: int, as_of: str, as_at: str) -> str:
    """A report's own "data as at": its period's end when the figures were taken after it
    (a past period), else the figures' as-of date (``as_at``, the run's words)."""
    if not as_of:
        return as_at
    end = reported_period_end(fy, suffix, year_start_month)
    held = dt.date.fromisoformat(as_of)
    if end >= held:
        return as_at
    return (
        f"{day_text(end)}, the end of the period (figures as held on {day_text(held)}; "
        "any since restated are noted)"
    )
