"""The canonical columns of each kind of return (SPEC §4), and those a file must have."""

from __future__ import annotations

import polars as pl

CANONICAL: dict[str, tuple[str, ...]] = {
    "observations": (
        "indicator_code",
        "period",
        "value",
        "numerator",
        "denominator",
        "commentary",
        "forecast",  # optional: the year-end figure expected (SPEC §3)
    ),
    "targets": ("indicator_code", "financial_year", "period", "target"),
    "milestones": (
        "ref",
        "service",
        "description",
        "due_date",
        "status",
        "commentary",
        "period",
        "owner",
        "revised_date",
        "priority",
        "key",
    ),
    "risks": (
        "ref",
        "service",
        "description",
        "rating",
        "mitigation",
        "progress",
        "period",
        "owner",
        "likelihood",
        "impact",
        "corporate",
    ),
    "narrative": ("service", "period", "heading", "text"),
    "benchmarks": ("indicator_code", "area_code", "area_name", "period", "value"),
}
# The registers: returns of entries a service keeps (SPEC §4), which name no indicator.
REGISTER_KINDS = ("milestones", "risks", "narrative")
REQUIRED: dict[str, tuple[str, ...]] = {
    "observations": ("indicator_code", "period"),
    "targets": ("indicator_code", "financial_year", "target"),
    "milestones": ("ref", "service", "description", "status", "period"),
    # A risk's rating may be blank when its likelihood and impact give it (SPEC §4).
    "risks": ("ref", "service", "description", "period"),
    "narrative": ("service", "period", "heading", "text"),
    "benchmarks": ("indicator_code", "area_code", "period", "value"),
}

# The rejections the warehouse keeps (SPEC §4: source, file, row number, column, reason).
REJECTION_COLUMNS = {
    "source_id": pl.String,
    "file": pl.String,
    "row_number": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "reason_code": pl.String,
    "message": pl.String,
    "indicator_code": pl.String,  # the row's indicator, where it names one
}
# How the rejection of a whole source that could not be read begins: it stands only until
# a later run reads the source.
SOURCE_FAILURE = "the source could not be read:"

# An observation is one indicator in one FY month.
OBSERVATION_KEY = {"indicator_code": pl.String, "fy": pl.Int32, "fm": pl.Int32}

# A benchmark figure is one indicator for one area in one period (SPEC §7).
BENCHMARK_KEY = {
    "indicator_code": pl.String,
    "area_code": pl.String,
    "fy": pl.Int32,
    "fm": pl.Int32,
}

# The rejection reasons (SPEC §4), in the order checks are judged: a row carries its first.
REASON_CODES = (
    "unreadable_file",
    "missing_column",
    "malformed_row",
    "unknown_code",
    "bad_period",
    "frequency_mismatch",
    "future_period",
    "ratio_missing_parts",
    "not_a_number",
    "ratio_bad_denominator",
    "ratio_negative_numerator",
    "missing_value",
    "ratio_inconsistent",
    "percent_out_of_range",
    "negative_value",
    "duplicate_in_extract",
    "duplicate_across_sources",
)
