"""Validation of milestone and risk returns (SPEC §4) with pandera's polars backend.

Besides the SPEC's reason codes these use ``invalid_choice`` (a status or rating not in
the list) and ``invalid_date`` (a due date that is not a date); see docs/decisions.md.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from transforms.periods import parse_period_labels

MILESTONE_STATUSES = ("on_track", "at_risk", "off_track", "complete")
RISK_RATINGS = ("high", "medium", "low")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")

_REQUIRED = {
    "milestones": ("ref", "service", "description", "status", "period"),
    "risks": ("ref", "service", "description", "rating", "period"),
}
_CHOICES = {"milestones": ("status", MILESTONE_STATUSES), "risks": ("rating", RISK_RATINGS)}


def _due_date() -> pl.Expr:
    return pl.coalesce(pl.col("due_date").str.to_date(fmt, strict=False) for fmt in DATE_FORMATS)


def _checks(kind: str) -> list[tuple[str, str, pl.Expr, pl.Expr]]:
    """(reason, column, passes, message) in the order they are judged."""
    checks = [
        (
            "missing_value",
            column,
            pl.col(column).is_not_null(),
            pl.lit(f"the {column.replace('_', ' ')} is empty"),
        )
        for column in _REQUIRED[kind]
    ]
    checks.append(
        (
            "bad_period",
            "period",
            pl.col("quarter").is_not_null() | pl.col("period").is_null(),
            pl.format("'{}' is not a quarter such as 2019/20 Q2", pl.col("period")),
        )
    )
    column, allowed = _CHOICES[kind]
    checks.append(
        (
            "invalid_choice",
            column,
            pl.col(column).is_in(list(allowed)) | pl.col(column).is_null(),
            pl.format(f"'{{}}' is not a {column}: use one of {', '.join(allowed)}", pl.col(column)),
        )
    )
    if kind == "milestones":
        checks.append(
            (
                "invalid_date",
                "due_date",
                pl.col("due_date").is_null() | _due_date().is_not_null(),
                pl.format("'{}' is not a date such as 2019-12-31", pl.col("due_date")),
            )
        )
    return checks


def split_register(
    frame: pl.DataFrame, kind: str, year_start_month: int = 4
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a milestones or risks return into (accepted, rejected) rows."""
    parsed = parse_period_labels(frame["period"], year_start_month)
    typed = pl.concat([frame, parsed], how="horizontal").with_columns(
        quarter=pl.when(pl.col("granularity") == "quarter").then(pl.col("fm") // 3)
    )
    checks = _checks(kind)
    schema = pa.DataFrameSchema(
        checks=[
            pa.Check(
                lambda data, e=passes: data.lazyframe.select(e.fill_null(False)),
                name=f"{reason}:{column}",
            )
            for reason, column, passes, _ in checks
        ]
    )
    indexed = typed.with_row_index("index")
    try:
        schema.validate(typed, lazy=True)
        failures = pl.DataFrame(schema={"index": pl.UInt32, "check": pl.String})
    except pa.errors.SchemaErrors as errors:
        failures = errors.failure_cases.select(pl.col("index").cast(pl.UInt32), "check")
    names = [f"{reason}:{column}" for reason, column, _, _ in checks]
    first = (
        failures.with_columns(rank=pl.col("check").replace_strict(names, list(range(len(names)))))
        .sort("index", "rank")
        .unique("index", keep="first", maintain_order=True)
        .with_columns(
            reason_code=pl.col("check").str.split(":").list.first(),
            column=pl.col("check").str.split(":").list.last(),
        )
    )
    message = pl.lit(None, dtype=pl.String)
    for reason, column, _, text in checks:
        message = pl.when(pl.col("check") == f"{reason}:{column}").then(text).otherwise(message)
    rejected = indexed.join(first, on="index").with_columns(message=message)
    accepted = indexed.join(first, on="index", how="anti")
    if kind == "milestones":
        accepted = accepted.with_columns(due_date=_due_date())
    return accepted.drop("index"), rejected.drop("index")
