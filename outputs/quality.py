"""The data-quality page of a run: what each source delivered and every rejection, with reasons."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import polars as pl
from great_tables import GT

from core.files import remove_stale_temporaries, write_atomic
from outputs.board import html_document

QUALITY_PAGE = "data-quality.html"


def _file_name() -> pl.Expr:
    """A file's name without its folders (for SQL sources: the database and the query)."""
    return pl.col("file").str.replace(r"^.*/", "")


def quality_html(
    council: str,
    as_at: str,
    files: list[dict[str, Any]],
    rejections: pl.DataFrame,
    coverage: pl.DataFrame | None = None,
    failed: dict[str, str] | None = None,
) -> str:
    """An accessible page: a table of this run's files (read, loaded, rejected) and one of
    every rejection that still stands (``rejections``: the warehouse's standing ones)."""
    file_frame = (
        pl.DataFrame(
            files,
            schema={
                "source_id": pl.String,
                "file": pl.String,
                "rows_read": pl.Int64,
                "rows_loaded": pl.Int64,
                "rows_rejected": pl.Int64,
                "skipped": pl.Boolean,
            },
        )
        .with_columns(
            _file_name(),
            pl.when(pl.col("skipped"))
            .then(pl.lit("unchanged since last load: skipped"))
            .otherwise(pl.lit(""))
            .alias("note"),
        )
        .drop("skipped")
    )
    files_table = (
        GT(file_frame, id="quality-files")
        .tab_header(title="Files received, by source")
        .cols_label(
            source_id="Source",
            file="File",
            rows_read="Rows read",
            rows_loaded="Rows loaded",
            rows_rejected="Rows rejected",
            note="Note",
        )
        .as_raw_html()
    )
    if rejections.is_empty():
        rejected = "<p>No rejection stands: every row and file read so far has loaded.</p>"
    else:
        if "indicator_code" not in rejections.columns:  # a run's before issue 24
            rejections = rejections.with_columns(indicator_code=pl.lit(None, dtype=pl.String))
        frame = rejections.with_columns(
            _file_name(),
            pl.col("row_number").cast(pl.String).fill_null("whole file"),
        ).select(
            "source_id",
            "file",
            "row_number",
            "indicator_code",
            "column",
            "value",
            "reason_code",
            "message",
        )
        rejected = (
            GT(frame.fill_null(""), id="quality-rejections", groupname_col="source_id")
            .tab_header(
                title="Rejected rows and files, with reasons",
                subtitle="Every rejection that still stands, from the latest reading of each "
                "file (files unchanged since are not read again); the same rows as "
                "'boardpack export rejections'",
            )
            .cols_label(
                file="File",
                row_number="Row",
                indicator_code="Indicator",
                column="Column",
                value="Value",
                reason_code="Reason",
                message="What is wrong",
            )
            .as_raw_html()
        )
    coverage_html = _coverage_table(coverage) if coverage is not None else ""
    return html_document(
        f"{council}: data quality",
        f"<p>Run as at {html.escape(as_at)}.</p>\n"
        f"{_failed_sources(failed or {})}"
        '<section aria-labelledby="files"><h2 id="files">Files received</h2>'
        f"{files_table}</section>\n"
        '<section aria-labelledby="rejections"><h2 id="rejections">Rejections</h2>'
        f"{rejected}</section>\n"
        f"{coverage_html}"
        '<p class="nav"><a href="index.html">All board reports</a></p>',
    )


def _failed_sources(failed: dict[str, str]) -> str:
    """Sources this run could not read at all (a path matching no file, a database down)."""
    if not failed:
        return ""
    items = "".join(
        f"<li><strong>{html.escape(source_id)}</strong>: {html.escape(why)}</li>"
        for source_id, why in sorted(failed.items())
    )
    return (
        '<section aria-labelledby="failed"><h2 id="failed">Sources not read in this run</h2>'
        f"<ul>{items}</ul></section>\n"
    )


def _coverage_table(coverage: pl.DataFrame) -> str:
    """Sources with nothing for the latest quarter, so the team can chase them."""
    silent = coverage.filter(~pl.col("current"))
    expected = coverage["expected"][0] if coverage.height else ""
    heading = (
        '<section aria-labelledby="coverage"><h2 id="coverage">'
        f"Sources with nothing for {html.escape(expected)}</h2>"
    )
    if silent.is_empty():
        every = f"Every source has sent figures for {html.escape(expected)}."
        return f"{heading}<p>{every}</p></section>\n"
    table = (
        GT(
            silent.select("id", "department", pl.col("latest_received").fill_null("nothing yet")),
            id="quality-coverage",
        )
        .tab_header(title=f"Sources with no figures for {expected}")
        .cols_label(id="Source", department="Department", latest_received="Latest figures for")
        .as_raw_html()
    )
    return f"{heading}{table}</section>\n"


def write_quality_page(
    out: Path,
    council: str,
    as_at: str,
    files: list[dict[str, Any]],
    rejections: pl.DataFrame,
    coverage: pl.DataFrame | None = None,
    failed: dict[str, str] | None = None,
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / QUALITY_PAGE
    remove_stale_temporaries(out)
    write_atomic(path, quality_html(council, as_at, files, rejections, coverage, failed))
    return path
