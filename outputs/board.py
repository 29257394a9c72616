"""One board report page (SPEC §5) from frames already read from the warehouse.

Everything a department wrote (titles, commentary, milestones, risks) reaches the page
as a plain great-tables cell, which great-tables escapes; the page's own text is
escaped with :func:`html.escape`. Nothing here reads the clock, so the same inputs give
the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from great_tables import GT, loc, style

from core.rounding import round_half_away
from core.spreadsheet import safe_csv
from outputs import gt_cells, registers
from outputs.benchmarking import benchmark_section, empty_benchmarks, report_rows
from outputs.formatting import (
    DIRECTION,
    dated_period_title,
    format_figure,
    labelled,
    labels,
    period_title,
    rounded,
    status_words,
)
from outputs.sparklines import PATTERN_DEFINITION, sparkline
from outputs.status import (
    coverage,
    figure_text,
    status_definitions,
    status_text,
    summary_in_definitions,
    unrated_clause,
)

gt_cells.install()  # great-tables escapes unformatted cells a column at a time

# Text and background pairs with at least 7:1 contrast (WCAG 2.2 AAA, so AA with room).
STATUS_COLOURS = {
    "green": ("#0b3d1a", "#d7f0dd"),
    "amber": ("#4a3300", "#ffe9a8"),
    "red": ("#5c0a14", "#f9d3d7"),
}
CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; margin: 2rem auto;
       max-width: 78rem; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid #1d4f91; }
.council { color: #3d3d3d; margin-top: 0; }
.summary { font-size: 1.1rem; }
dl.notes dt { font-weight: bold; margin-top: 0.5rem; }
dl.notes dd { margin-left: 1.5rem; }
a { color: #1d4f91; }
.gt_table td[headers$="-code"], .gt_table td[headers$="-ref"] { white-space: nowrap; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; line-height: 1.3; }
  h1 { font-size: 16pt; }
  h2 { font-size: 13pt; break-after: avoid; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  main div[id] { overflow: visible !important; padding: 0 !important; }
  .gt_table { width: 100% !important; font-size: 9pt !important; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  .gt_group_heading_row { break-after: avoid; }
  .gt_row, .gt_col_heading { overflow-wrap: anywhere; }
  .gt_table td[headers$="-code"] { overflow-wrap: normal; }
  p.nav { display: none; }
}
"""
# Read on a phone (SPEC §5): the wide tables stack each row under its column names, so code,
# figures, status and direction are all in view without scrolling sideways. great-tables
# styles each table by its id, hence !important.
STACKED = {
    "indicators": {
        "previous": "Same period last year",
        "target": "Target to date",
        "actual": "Actual to date",
        "forecast": "Year-end forecast",
        "status": "Status",
        "direction": "Direction of travel",
        "trend": "Trend",
        "commentary": "Commentary",
    },
    "milestones": {
        "owner": "Lead officer",
        "due": "Due",
        "status": "Progress",
        "commentary": "Commentary",
    },
    "risks": {
        "owner": "Lead officer",
        "score": "Score",
        "movement": "Since last quarter",
        "mitigation": "Mitigation",
        "progress": "Progress with mitigation",
    },
}


def _stacked(selector: str) -> str:
    """``selector`` within each of the stacked tables."""
    return ", ".join(f'div[id$="-{kind}"] {selector}' for kind in STACKED)


TITLE_CELL = "td[headers$='-title']"


def _phone_css() -> str:
    labels = "\n".join(
        f'  div[id$="-{kind}"] td[headers$="-{kind}-{column}"]::before '
        f'{{ content: "{label}: "; font-weight: bold; }}'
        for kind, columns in STACKED.items()
        for column, label in columns.items()
    )
    blocks = _stacked(":is(table, thead, tbody, tr, th, td)")
    return (
        "@media screen and (max-width: 40rem) {\n"
        "  body { margin: 1rem auto; padding: 0 0.75rem; }\n"
        "  main div[id] { overflow-x: visible !important; }\n"
        f"  {blocks} {{ display: block !important; width: auto !important; }}\n"
        f"  {_stacked('.gt_col_headings')} {{ position: absolute !important; width: 1px "
        "!important; height: 1px; overflow: hidden; clip-path: inset(50%); }\n"
        f"  {_stacked('td.gt_row')} {{ text-align: left !important; border: none !important; "
        "padding: 0.15rem 0.3rem !important; }\n"
        f"  {_stacked('tbody tr')} {{ border-top: 1px solid #a8a8a8; padding: 0.4rem 0; }}\n"
        f"  {_stacked(TITLE_CELL)} {{ font-weight: bold; }}\n"
        f"{labels}\n}}\n"
    )


PRINT_LANDSCAPE = "@page { size: A4 landscape; }\n"


def html_document(title: str, body: str, *, landscape: bool = False, extra_css: str = "") -> str:
    """A whole page: language, title, the shared style, and the title again as its heading.

    ``landscape`` pages (the board reports, whose tables are wide) print on A4 landscape."""
    escaped = html.escape(title)
    css = CSS + _phone_css() + (PRINT_LANDSCAPE if landscape else "") + extra_css
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escaped}</title>\n<style>{css}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{escaped}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


@dataclass(frozen=True)
class BoardPage:
    """What one page shows; built by outputs.site from the warehouse's frames."""

    council: str
    board_id: str
    board_name: str
    fy: int
    suffix: str  # Q1..Q4, H1, H2
    as_at: str
    tolerance_note: str
    summary: dict[str, int | None]
    indicators: pl.DataFrame
    milestones: pl.DataFrame
    risks: pl.DataFrame
    restated: pl.DataFrame
    benchmarks: pl.DataFrame = field(default_factory=empty_benchmarks)  # SPEC §7
    # The council's words for statuses; two_states: rated Met / Not met with no amber.
    status_labels: dict[str, str] = field(default_factory=dict)
    two_states: bool = False
    # The council's own sentence for each status, and how statuses are decided (SPEC §2).
    status_definitions: dict[str, str] = field(default_factory=dict)
    rating: str = "tolerance"

    # Who approved the figures and when, then any changed since (outputs/approval.py).
    approval: tuple[str, ...] = ()
    # What members read (issue 24): the FY's first month, the figures' as-of date (ISO),
    # the board's indicators not reported this period, and its services' narrative.
    year_start_month: int = 4
    figures_as_of: str = ""
    missing: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=registers.MISSING_COLUMNS)
    )
    narrative: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=registers.NARRATIVE_COLUMNS)
    )

    @property
    def status(self) -> dict[str, tuple[str, str]]:
        return status_words(self.status_labels, self.rating)

    @property
    def title(self) -> str:
        return f"{self.board_name} — {self.period_heading}"

    @property
    def period_heading(self) -> str:
        """``Quarter 2 2026/27: 1 July to 30 September 2026``."""
        return dated_period_title(self.fy, self.suffix, self.year_start_month)

    @property
    def data_as_at(self) -> str:
        """This report's own data-as-at (a past period's is its end)."""
        return registers.data_as_at(
            self.fy, self.suffix, self.year_start_month, self.figures_as_of, self.as_at
        )

    @property
    def period_end(self) -> dt.date:
        return registers.reported_period_end(self.fy, self.suffix, self.year_start_month)


def trend_texts(frame: pl.DataFrame) -> list[str]:
    """Each row's trend in words, each value rounded and written as its figures are."""
    points = (
        frame.select(pl.int_range(pl.len()).alias("row"), "trend", "unit", "decimals")
        .explode("trend")
        .with_columns(round_half_away(pl.col("trend"), pl.col("decimals")).alias("point"))
    )
    values: list[list[str]] = [[] for _ in range(frame.height)]
    for row, point, unit, decimals in points.select("row", "point", "unit", "decimals").iter_rows():
        values[row].append("no data" if point is None else format_figure(point, unit, decimals))
    # Annual measures' trends are a value a year (snapshots from before 'frequency': quarterly).
    frequency = frame.get_column("frequency", default=pl.repeat("", frame.height, eager=True))
    kinds = ["Yearly" if f == "annual" else "Quarterly" for f in frequency]
    return [
        f"{kind} values, oldest first: {', '.join(v)}"
        for kind, v in zip(kinds, values, strict=True)
    ]


def _column(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Series:
    """A column of the page's rows, or nulls for a snapshot kept before it existed."""
    return frame.get_column(name, default=pl.Series(name, [None] * frame.height, dtype))


def has_forecasts(page: BoardPage) -> bool:
    """Whether any indicator on the page has a year-end forecast (SPEC §5)."""
    return bool(_column(page.indicators, "forecast_value", pl.Float64()).is_not_null().any())


def indicator_rows(page: BoardPage) -> pl.DataFrame:
    """The indicator table as text, in board order (service, then code)."""
    frame = page.indicators.with_columns(
        rounded("previous_ytd_value").alias("_previous"),
        rounded("ytd_target").alias("_target"),
        rounded("ytd_value").alias("_actual"),
        round_half_away(
            pl.lit(_column(page.indicators, "forecast_value", pl.Float64())), pl.col("decimals")
        ).alias("_forecast"),
    ).sort("service", "code")
    words = frame["unit_label"] if "unit_label" in frame.columns else [None] * frame.height
    figures = {
        name: [
            format_figure(v, u, d, w)
            for v, u, d, w in zip(
                frame[f"_{name}"], frame["unit"], frame["decimals"], words, strict=True
            )
        ]
        for name in ("previous", "target", "actual", "forecast")
    }
    # How much of its period each figure covers ("5 of 6 months"), when not all of it.
    parts = [
        coverage(present, expected, frequency)
        for present, expected, frequency in zip(
            _column(frame, "months_present", pl.Int64()),
            _column(frame, "months_expected", pl.Int64()),
            _column(frame, "frequency", pl.String()),
            strict=True,
        )
    ]
    status = frame.select(labels("rag", page.status))["rag"]
    forecast = [pl.Series("forecast", figures["forecast"])] if has_forecasts(page) else []
    return frame.select(
        "service",
        pl.when(pl.col("key"))
        .then(pl.format("{} ★", pl.col("code")))
        .otherwise(pl.col("code"))
        .alias("code"),
        "title",
        pl.Series("previous", figures["previous"]),
        pl.Series("target", figures["target"]),
        pl.Series(
            "actual",
            [
                figure_text(f, r, p)
                for f, r, p in zip(figures["actual"], frame["rag"], parts, strict=True)
            ],
        ),
        *forecast,
        pl.Series(
            "status",
            [status_text(s, r, p) for s, r, p in zip(status, frame["rag"], parts, strict=True)],
            pl.String,
        ),
        labels("direction", DIRECTION),
        "trend",
        pl.Series("trend_alt", trend_texts(frame), pl.String),
        pl.col("commentary").fill_null(""),
        pl.col("owner").fill_null("") if "owner" in frame.columns else pl.lit("").alias("owner"),
        "rag",
    )


def with_owners(rows: pl.DataFrame) -> pl.DataFrame:
    """The measure's title as the page shows it: with its lead officer where
    indicators.csv gives one (the CSV keeps them in columns of their own)."""
    return rows.with_columns(
        pl.when(pl.col("owner").fill_null("") != "")
        .then(pl.format("{} (lead officer: {})", pl.col("title"), pl.col("owner")))
        .otherwise(pl.col("title"))
        .alias("title")
    )


def _table_html(table: GT) -> str:
    """great-tables HTML; it names each table by its title (aria-labelledby)."""
    return table.as_raw_html(inline_css=False)


def _placed(markup: Any) -> Any:
    """A sparkline's markup (or a missing one) as it is."""
    return markup


# A page's exceptions draw again the rows the page has just drawn (the same process renders
# both): the last few pages' sparklines are kept.
@functools.lru_cache(maxsize=4096)
def _sparkline_of(trend: tuple[float | None, ...], alt: str) -> str:
    return sparkline(trend, alt)


def _with_sparklines(rows: pl.DataFrame) -> pl.DataFrame:
    """``trend`` drawn as each row's sparkline, named by its words (``trend_alt``)."""
    drawn = [
        None if trend is None else _sparkline_of(tuple(trend), alt)
        for trend, alt in zip(rows["trend"].to_list(), rows["trend_alt"], strict=True)
    ]
    return rows.with_columns(pl.Series("trend", drawn, pl.String))


def indicator_table(page: BoardPage, rows: pl.DataFrame) -> str:
    name = f"Performance indicators, {period_title(page.fy, page.suffix)}"
    table = (
        GT(
            _with_sparklines(with_owners(rows)),
            id=f"{page.board_id}-indicators",
            groupname_col="service",
        )
        .tab_header(title=name)
        .cols_label(
            code="Code",
            title="Measure",
            previous="Same period last year",
            target="Target to date",
            actual="Actual to date",
            status="Status",
            direction="Direction of travel",
            trend="Trend (8 quarters)",
            commentary="Commentary",
        )
        .cols_hide(["rag", "trend_alt", "owner"])
        .cols_align(
            "right",
            columns=[
                str(c) for c in ("previous", "target", "actual", "forecast") if c in rows.columns
            ],
        )
        # A static sparkline, drawn by outputs.sparklines (great-tables' own cost over half
        # of each page); a cell great-tables formats is placed as it is, not escaped.
        .cols_align("center", columns="trend")
        .fmt(_placed, columns="trend")
    )
    if "forecast" in rows.columns:
        table = table.cols_label(forecast="Year-end forecast")
    return PATTERN_DEFINITION + _table_html(status_coloured(table, list(rows["rag"])))


def status_coloured(table: GT, rags: list[str | None]) -> GT:
    """``table`` with each row's status cell in its status's colours (``rags``: each row's
    status; only green, amber and red are coloured)."""
    for rag, (text, fill) in STATUS_COLOURS.items():
        positions = [i for i, r in enumerate(rags) if r == rag]
        if positions:
            table = table.tab_style(
                style=[style.fill(color=fill), style.text(color=text, weight="bold")],
                locations=loc.body(columns="status", rows=positions),
            )
    return table


def summary_sentence(
    summary: dict[str, int | None],
    words: dict[str, str] | None = None,
    definitions: dict[str, str] | None = None,
    rating: str = "tolerance",
) -> str:
    """The summary in a sentence; in the council's words (and without an amber they do not
    use) when it has given them, and in its own definitions of the statuses when given
    ("10 (72%) of our measures are on track to be achieved ('Green'), …")."""
    rated = sum(summary[s] or 0 for s in ("green", "amber", "red"))
    if rated == 0:
        return "No measures with a target have figures for this period yet."
    if definitions:
        # Amber is left out only by a council that rates in two states (and has none).
        keys = [
            k
            for k in ("green", "amber", "red")
            if k != "amber" or not words or "amber" in words or summary[k]
        ]
        shown = status_words(words or {}, rating)  # each status as the page names it
        quoted = {k: shown[k][1] for k in keys}
        meanings = {k: definitions.get(k, shown[k][1].lower()) for k in keys}
        return f"{summary_in_definitions(summary, meanings, quoted, keys)}{_unrated(summary)}."
    if words:
        keys = [k for k in ("green", "amber", "red") if k in words or summary[k]]
        named = status_words(words)
        counted = [f"{summary[k] or 0} ({summary[f'{k}_pct']}%) {named[k][1]}" for k in keys]
        return f"Measures: {', '.join(counted)}{_unrated(summary)}."
    parts = [
        f"{summary['green']} ({summary['green_pct']}%) of our measures are on track (green)",
        f"{summary['amber']} ({summary['amber_pct']}%) amber",
        f"{summary['red']} ({summary['red_pct']}%) red",
    ]
    return f"{parts[0]}, {parts[1]}, {parts[2]}{_unrated(summary)}."


def page_summary_sentence(page: BoardPage) -> str:
    """The page's summary sentence, in the council's words and definitions."""
    return summary_sentence(page.summary, page.status_labels, page.status_definitions, page.rating)


def _unrated(summary: dict[str, int | None]) -> str:
    """ "; 2 reported for information only and 1 with no data yet", or nothing."""
    return unrated_clause(summary)


_SUMMARY_ROWS = [
    ("green", "green_pct"),
    ("amber", "amber_pct"),
    ("red", "red_pct"),
    ("no_target", None),
    ("no_data", None),
    ("incomplete", None),
]


def _summary_keys(page: BoardPage) -> list[tuple[str, str | None]]:
    """The summary's rows: without amber when the council rates in two states."""
    return [row for row in _SUMMARY_ROWS if not (page.two_states and row[0] == "amber")]


def summary_rags(page: BoardPage) -> list[str | None]:
    """Each summary row's status, for colouring (rated statuses only)."""
    return [key if key in STATUS_COLOURS else None for key, _ in _summary_keys(page)]


def summary_rows(page: BoardPage) -> pl.DataFrame:
    s = page.summary
    keys = _summary_keys(page)
    return pl.DataFrame(
        {
            "status": [labelled(page.status, key) for key, _ in keys],
            "measures": [s.get(key) or 0 for key, _ in keys],
            "share": [f"{s[pct]}%" if pct and s[pct] is not None else "–" for _, pct in keys],
        }
    )


def summary_table(page: BoardPage, frame: pl.DataFrame) -> str:
    name = f"Summary of status, {period_title(page.fy, page.suffix)}"
    table = (
        GT(frame, id=f"{page.board_id}-summary")
        .tab_header(title=name)
        .cols_label(status="Status", measures="Measures", share="Share of rated measures")
    )
    return _table_html(status_coloured(table, summary_rags(page)))


def _register_table(
    page: BoardPage, kind: str, title: str, rows: pl.DataFrame, labels: dict[str, Any]
) -> str:
    """Milestones or risks, grouped by service; a sentence when there are none."""
    if rows.is_empty():
        return f"<p>No {title.lower()} were reported for this period.</p>"
    table = (
        GT(rows, id=f"{page.board_id}-{kind}", groupname_col="service")
        .tab_header(title=f"{title}, {period_title(page.fy, page.suffix)}")
        .cols_label(labels)
    )
    return _table_html(table)


MILESTONE_SHOWN = ("service", "ref", "description", "owner", "due", "status", "commentary")
RISK_SHOWN = (
    "service",
    "ref",
    "description",
    "owner",
    "score",
    "movement",
    "mitigation",
    "progress",
)


def milestone_rows(page: BoardPage) -> pl.DataFrame:
    return registers.milestone_rows(page.milestones, page.period_end).select(MILESTONE_SHOWN)


# The milestone table's headings, on a board's page and a priority's.
MILESTONE_LABELS = {
    "ref": "Ref",
    "description": "Milestone",
    "owner": "Lead officer",
    "due": "Due",
    "status": "Progress",
    "commentary": "Commentary",
}


def milestones_table(page: BoardPage, rows: pl.DataFrame) -> str:
    return _register_table(page, "milestones", "Objectives and milestones", rows, MILESTONE_LABELS)


def risk_rows(page: BoardPage) -> pl.DataFrame:
    """The high risks, highest likelihood × impact score first."""
    return registers.risk_rows(page.risks).select(RISK_SHOWN)


def risks_table(page: BoardPage, rows: pl.DataFrame) -> str:
    labels = {
        "ref": "Ref",
        "description": "Risk",
        "owner": "Lead officer",
        "score": "Score",
        "movement": "Since last quarter",
        "mitigation": "Mitigation",
        "progress": "Progress with mitigation",
    }
    return _register_table(page, "risks", "High risks and mitigation", rows, labels)


def _part_period(page: BoardPage) -> bool:
    """Whether any figure on the page covers only part of its period."""
    present = _column(page.indicators, "months_present", pl.Int64())
    expected = _column(page.indicators, "months_expected", pl.Int64())
    return bool(((present > 0) & (present < expected)).any())


def notes_items(page: BoardPage) -> list[tuple[str, str]]:
    """The notes' terms and what they mean, as plain text (the council's status words)."""
    meanings = status_definitions(page.rating, page.status_definitions)
    items = []
    if page.two_states:
        del meanings["amber"]
        meanings["red"] = page.status_definitions.get(
            "red", "the year-to-date figure misses the year-to-date target"
        )
        named = [labelled(page.status, key) for key in ("green", "red")]
        items.append(
            (
                "Statuses",
                f"Measures with a target have two statuses, {named[0]} and {named[1]}; "
                "there is no amber.",
            )
        )
    items += [
        (labelled(page.status, key), f"{meaning.rstrip('.')}.") for key, meaning in meanings.items()
    ]
    items.append(("Tolerance", page.tolerance_note))
    if _part_period(page):
        items.append(
            (
                "Part of a period",
                "A figure based on only some of its period's months or quarters says so "
                '("based on 5 of 6 months"); a total with months missing is shown as '
                "Incomplete with how much of the period it covers, and is not rated.",
            )
        )
    if has_forecasts(page):
        items.append(
            (
                "Year-end forecast",
                "The figure the service expects for the whole year, as it last gave it "
                "with its figures"
                + (
                    "; it decides between amber and red before the year end."
                    if page.rating == "forecast"
                    else "."
                ),
            )
        )
    if (page.indicators["unit"] == "yesno").any():
        met, missed = (labelled(page.status, key) for key in ("green", "red"))
        never = "" if page.two_states else "; never amber"  # two states: said above
        items.append(
            ("Yes/no measures", f"{met} when the answer is the one targeted, else {missed}{never}.")
        )
    items.append(
        (
            "Direction of travel",
            "Compares the year-to-date figure with the same period last year; for measures "
            "with a target band, closer to target is better.",
        )
    )
    items.append(("★", "A key (business-critical) measure or milestone."))
    items.append(
        (
            "Milestones",
            "Overdue (⚠) means not complete and past its revised (else original) due date "
            "at the end of the period; ✔ Complete is distinct from ► On track.",
        )
    )
    items.append(
        (
            "Risk score",
            "Likelihood × impact, each 1 to 5; the movement compares the score with the "
            "previous quarter's.",
        )
    )
    items.append(("Data as at", page.data_as_at))
    if not page.restated.is_empty():
        restated = "; ".join(
            f"{r['indicator_code']} {r['period']}: published {r['published']}, now {r['now']}"
            for r in page.restated.iter_rows(named=True)
        )
        items.append(
            (
                "Restated figures",
                "Figures in reports already published to this board that services have "
                f"since restated: {restated}.",
            )
        )
    return items


def approval_section(lines: tuple[str, ...]) -> str:
    """The sign-off of the figures, and those restated since (none: no section)."""
    if not lines:
        return ""
    changed = "".join(f"<li>{html.escape(line)}</li>" for line in lines[1:])
    return (
        '<section aria-labelledby="approval"><h2 id="approval">Approval</h2>'
        f'<p class="approval">{html.escape(lines[0])}</p>'
        + (f'<ul class="changed">{changed}</ul>' if changed else "")
        + "</section>"
    )


def notes(page: BoardPage) -> str:
    items = "".join(
        f"<dt>{html.escape(term)}</dt><dd>{html.escape(meaning)}</dd>"
        for term, meaning in notes_items(page)
    )
    return f'<dl class="notes">{items}</dl>'


def render_page(page: BoardPage, rows: pl.DataFrame) -> tuple[str, dict[str, str]]:
    """The HTML page and a CSV of each of its tables ("" is the indicator table); ``rows``
    are the page's :func:`indicator_rows`."""
    tables = {
        "summary": summary_rows(page),
        "milestones": milestone_rows(page),
        "risks": risk_rows(page),
    }
    body = [
        f'<p class="council">{html.escape(page.council)}</p>',
        '<section aria-labelledby="summary"><h2 id="summary">Summary</h2>',
        f'<p class="summary">{html.escape(page_summary_sentence(page))}</p>',
        summary_table(page, tables["summary"]),
        "</section>",
        *filter(None, [approval_section(page.approval)]),
        '<section aria-labelledby="indicators"><h2 id="indicators">Performance indicators</h2>',
        indicator_table(page, rows),
        registers.missing_section(page.missing),
        f'<p class="nav"><a href="{html.escape(page.board_id)}-exceptions.html">Exceptions: '
        "what members are asked to look at</a></p>",
        f'<p class="nav"><a href="{html.escape(page.board_id)}-charts.html">Charts of each '
        "measure against its target over the last eight quarters</a></p>",
        "</section>",
        *filter(None, [benchmark_section(page.board_id, page.benchmarks)]),
        registers.narrative_section(page.narrative),
        '<section aria-labelledby="milestones"><h2 id="milestones">Objectives and milestones</h2>',
        milestones_table(page, tables["milestones"]),
        "</section>",
        '<section aria-labelledby="risks"><h2 id="risks">High risks</h2>',
        risks_table(page, tables["risks"]),
        "</section>",
        '<section aria-labelledby="notes"><h2 id="notes">Notes</h2>',
        notes(page),
        "</section>",
        '<p class="nav"><a href="../../index.html">All board reports</a></p>',
    ]
    document = html_document(page.title, "\n".join(body), landscape=True)
    csvs = {
        "": safe_csv(
            rows.drop("trend", "trend_alt", "rag").with_columns(pl.col("owner").fill_null(""))
        )
    }
    csvs |= {name: safe_csv(frame) for name, frame in tables.items()}
    if not page.benchmarks.is_empty():
        csvs["benchmarks"] = safe_csv(report_rows(page.benchmarks))
    return document, csvs
