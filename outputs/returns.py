"""The returns page (``OUT/returns.html``, beside the data-quality page): what each
department owes, when it was due, when it came, and which returns to chase."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import polars as pl
from great_tables import GT

from core.files import write_atomic
from outputs.board import html_document
from transforms.returns import LATE

RETURNS_PAGE = "returns.html"
STATUS_WORDS = {
    "on_time": "✔ On time",
    "late": "! Received late",
    "outstanding": "✖ Late: outstanding",
    "not_due": "… Not yet due",
}
TITLE = "Returns by period and source"
_LABELS: dict[str, str] = {
    "period": "Period",
    "source": "Source",
    "department": "Department",
    "due": "Due",
    "status": "Status",
    "first_received": "First received",
    "latest_received": "Latest received",
    "latest_file": "Latest file",
    "rows_loaded": "Rows loaded",
    "rows_rejected": "Rows rejected",
    "contact": "Contact",
}
_TABLES = ("returns-chase", "returns-register")


def _within(selector: str) -> str:
    return ", ".join(f"div#{table} {selector}" for table in _TABLES)


def _phone_css() -> str:
    """On a phone each return is a block of labelled lines, as the board reports' rows are:
    nothing cut off, nothing to scroll sideways."""
    labels = "\n".join(
        f'  td[headers="{table}-{column}"]::before {{ content: "{label}: "; font-weight: bold; }}'
        for table in _TABLES
        for column, label in _LABELS.items()
    )
    return (
        "@media screen and (max-width: 40rem) {\n"
        f"  {_within(':is(table, thead, tbody, tr, th, td)')} "
        "{ display: block !important; width: auto !important; }\n"
        f"  {_within('.gt_col_headings')} {{ position: absolute !important; width: 1px "
        "!important; height: 1px; overflow: hidden; clip-path: inset(50%); }\n"
        f"  {_within('td.gt_row')} {{ text-align: left !important; border: none !important; "
        "padding: 0.15rem 0.3rem !important; }\n"
        f"  {_within('tbody tr')} {{ border-top: 1px solid #a8a8a8; padding: 0.4rem 0; }}\n"
        f"{labels}\n}}\n"
    )


RETURNS_CSS = _phone_css()


def _day(column: str) -> pl.Expr:
    """A date as a performance officer writes it: 14 Oct 2026."""
    return pl.col(column).dt.strftime("%-d %b %Y")


def _file_name(column: str) -> pl.Expr:
    """A file's name without its folders; a SQL source's database without its query."""
    return pl.col(column).str.replace(r" :: .*$", "").str.replace(r"^.*/", "")


def register_rows(register: pl.DataFrame) -> pl.DataFrame:
    """The register as the page shows it: one row per source and period, newest first."""
    contact = pl.when(pl.col("contact_email").is_not_null()).then(
        pl.concat_str(pl.col("contact"), pl.lit(" <"), pl.col("contact_email"), pl.lit(">"))
    )
    return register.sort(["fy", "last_fm", "source_id"], descending=[True, True, False]).select(
        "period",
        pl.col("source_id").alias("source"),
        "department",
        _day("due_date").alias("due"),
        pl.col("status").replace_strict(STATUS_WORDS, default=pl.col("status")).alias("status"),
        _day("first_received").fill_null("not received").alias("first_received"),
        _day("latest_received").fill_null("").alias("latest_received"),
        _file_name("latest_file").fill_null("").alias("latest_file"),
        "rows_loaded",
        "rows_rejected",
        contact.fill_null(pl.col("contact")).fill_null("").alias("contact"),
    )


# The returns to chase say who to ask; the full register says what came, from which file.
CHASE_COLUMNS = ("period", "source", "department", "due", "status", "first_received", "contact")
REGISTER_COLUMNS = (
    "period",
    "source",
    "department",
    "due",
    "status",
    "first_received",
    "latest_received",
    "latest_file",
    "rows_loaded",
    "rows_rejected",
)


def _table(rows: pl.DataFrame, table_id: str, title: str) -> str:
    labels: dict[str, Any] = _LABELS
    return (
        GT(rows, id=table_id)
        .tab_header(title=title)
        .cols_label(**{k: v for k, v in labels.items() if k in rows.columns})
        .as_raw_html()
    )


def returns_html(council: str, as_at: str, register: pl.DataFrame) -> str:
    chase = register.filter(pl.col("status").is_in(LATE))
    late = register.filter(pl.col("status") == "outstanding")
    summary = (
        f"{late.height} return{'s' if late.height != 1 else ''} outstanding past "
        f"{'their' if late.height != 1 else 'its'} due date; "
        f"{chase.height - late.height} received late."
    )
    to_chase = (
        _table(
            register_rows(chase).select(CHASE_COLUMNS),
            "returns-chase",
            "Late and outstanding returns",
        )
        if not chase.is_empty()
        else "<p>Every return due so far has arrived on time.</p>"
    )
    return html_document(
        f"{council}: returns register",
        f"<p>As at {html.escape(as_at)}. {html.escape(summary)} A return is due the number "
        "of working days (Monday to Friday, not a bank holiday in England and Wales) or "
        "of days after its period ends that council.yaml sets; it is on time when its "
        "first figures are loaded by a run on or before that date.</p>\n"
        '<section aria-labelledby="chase"><h2 id="chase">To chase</h2>'
        f"{to_chase}</section>\n"
        '<section aria-labelledby="register"><h2 id="register">Every return</h2>'
        f"{_table(register_rows(register).select(REGISTER_COLUMNS), 'returns-register', TITLE)}"
        "</section>\n"
        '<p class="nav"><a href="index.html">All board reports</a> · '
        '<a href="data-quality.html">Data quality</a></p>',
        extra_css=RETURNS_CSS,
    )


def write_returns_page(out: Path, council: str, as_at: str, register: pl.DataFrame) -> Path | None:
    """The page, when the council has set any due dates (else none is written)."""
    if register.is_empty():
        return None
    out.mkdir(parents=True, exist_ok=True)
    path = out / RETURNS_PAGE
    write_atomic(path, returns_html(council, as_at, register))
    return path
