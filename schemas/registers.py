"""Validation of milestone, risk and target returns (SPEC §2, §4) with pandera's polars backend.

Besides the SPEC's reason codes, milestones and risks use ``invalid_choice`` (a status or
rating not in the list) and ``invalid_date`` (a due date that is not a date); see
docs/decisions.md.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from core.columns import REGISTER_KINDS, REQUIRED
from core.periods import parse_period_labels
from schemas.config import is_plain_number
from schemas.dates import date_problem, register_date
from schemas.numbers import YES_NO, not_a_number_message
from schemas.rules import Rule, reject_repeats, schema_for, split_by_rules

MILESTONE_STATUSES = ("on_track", "at_risk", "off_track", "complete")
RISK_RATINGS = ("high", "medium", "low")

SCORES = ("1", "2", "3", "4", "5")  # a risk's likelihood and impact
FLAGS = {"true": True, "yes": True, "y": True, "false": False, "no": False, "n": False}
REGISTER_DATES = ("due_date", "revised_date")

# The cells a return must fill are the columns its file must have.
_REQUIRED = {kind: REQUIRED[kind] for kind in REGISTER_KINDS}
# One entry per ref and quarter of one source (a source's own register; SPEC §4).
REGISTER_KEY = ("ref", "fy", "quarter")
# A narrative's entry: one text under each heading, per service and quarter.
NARRATIVE_KEY = ("service", "fy", "quarter", "heading")
_CHOICES = {"milestones": ("status", MILESTONE_STATUSES), "risks": ("rating", RISK_RATINGS)}


def risk_band(score: pl.Expr, high: int = 15, medium: int = 8) -> pl.Expr:
    """A likelihood × impact score's band (the council's ``risk_bands``)."""
    return (
        pl.when(score >= high)
        .then(pl.lit("high"))
        .when(score >= medium)
        .then(pl.lit("medium"))
        .when(score.is_not_null())
        .then(pl.lit("low"))
    )


def _missing(column: str) -> Rule:
    return Rule(
        "missing_value",
        pl.col(column).is_not_null(),
        pl.lit(column),
        pl.lit(f"the {column.replace('_', ' ')} is empty"),
        name=f"missing_value:{column}",
    )


def _register_rules(kind: str) -> list[Rule]:
    rules = [_missing(column) for column in _REQUIRED[kind]]
    if kind == "risks":
        rules.append(
            Rule(
                "missing_value",
                pl.col("rating").is_not_null()
                | (pl.col("likelihood").is_not_null() & pl.col("impact").is_not_null()),
                pl.lit("rating"),
                pl.lit("the rating is empty: give it, or the likelihood and impact"),
                name="missing_value:rating",
            )
        )
    rules.append(
        Rule(
            "bad_period",
            pl.col("quarter").is_not_null() | pl.col("period").is_null(),
            pl.lit("period"),
            pl.format("'{}' is not a quarter such as 2019/20 Q2", pl.col("period")),
        )
    )
    if kind == "narrative":
        return rules
    column, allowed = _CHOICES[kind]
    rules.append(_choice(column, allowed, f"use one of {', '.join(allowed)}"))
    if kind == "milestones":
        rules += [
            Rule(
                "invalid_date",
                pl.col(name).is_null() | register_date(pl.col(name)).is_not_null(),
                pl.lit(name),
                date_problem(pl.col(name)),
                name=f"invalid_date:{name}",
            )
            for name in REGISTER_DATES
        ]
        rules.append(_choice("key", tuple(FLAGS), "use true or false"))
        rules.append(
            Rule(
                "invalid_choice",
                pl.col("unknown_priority").is_null(),
                pl.lit("priority"),
                pl.format(
                    "'{}' is not one of the council's priorities", pl.col("unknown_priority")
                ),
                name="invalid_choice:priority",
            )
        )
    else:
        for name in ("likelihood", "impact"):
            rules.append(_choice(name, SCORES, "use a whole number from 1 to 5"))
        rules.append(_choice("corporate", tuple(FLAGS), "use true or false"))
    return rules


def _choice(column: str, allowed: tuple[str, ...], advice: str) -> Rule:
    """A cell, when given, is one of ``allowed`` (flags in any case)."""
    cell = pl.col(column).str.strip_chars()
    if allowed == tuple(FLAGS):
        cell = cell.str.to_lowercase()
    return Rule(
        "invalid_choice",
        cell.is_in(list(allowed)) | pl.col(column).is_null(),
        pl.lit(column),
        pl.format(f"'{{}}' is not a {column.replace('_', ' ')}: {advice}", pl.col(column)),
        name=f"invalid_choice:{column}",
    )


def _schema(rules: list[Rule], name: str) -> pa.DataFrameSchema:
    return schema_for(rules, {"row_number": pa.Column(pl.Int64)}, name)


_REGISTER_RULES = {kind: _register_rules(kind) for kind in _REQUIRED}
_REGISTER_SCHEMAS = {kind: _schema(rules, kind) for kind, rules in _REGISTER_RULES.items()}


def split_register(
    frame: pl.DataFrame,
    kind: str,
    year_start_month: int = 4,
    priorities: frozenset[str] = frozenset(),
    bands: tuple[int, int] = (15, 8),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a milestones, risks or narrative return into (accepted, rejected) rows.

    A milestone's ``priority`` ids must be among ``priorities``; a risk given likelihood
    and impact but no rating takes the band of their product (``bands``: high, medium)."""
    parsed = parse_period_labels(frame["period"], year_start_month)
    typed = pl.concat([frame, parsed], how="horizontal").with_columns(
        quarter=pl.when(pl.col("granularity") == "quarter").then(pl.col("fm") // 3)
    )
    if kind == "milestones":
        typed = typed.with_columns(unknown_priority=_unknown_priority(priorities))
    accepted, rejected = split_by_rules(typed, _REGISTER_SCHEMAS[kind], _REGISTER_RULES[kind])
    if kind != "narrative":  # a narrative's key is its service and heading (below)
        accepted, repeated = reject_repeats(
            accepted,
            list(REGISTER_KEY),
            pl.format(
                "{} '{}' appears more than once for {} in this file (rows {}); send one",
                pl.lit(kind.removesuffix("s")),
                pl.col("ref"),
                pl.col("period"),
                pl.col("row_number").sort().cast(pl.String).str.join(", ").over(list(REGISTER_KEY)),
            ),
            column="ref",
        )
        rejected = pl.concat([rejected, repeated], how="diagonal_relaxed")
    rejected = rejected.sort("row_number")
    if kind == "milestones":
        accepted = accepted.with_columns(
            *(register_date(pl.col(name)).alias(name) for name in REGISTER_DATES),
            key=_flag("key"),
            priority=pl.col("priority").str.replace_all(r"\s*\|\s*", "|").str.strip_chars(),
        ).drop("unknown_priority")
    elif kind == "risks":
        score = pl.col("likelihood").cast(pl.Int32) * pl.col("impact").cast(pl.Int32)
        accepted = accepted.with_columns(
            pl.col("likelihood").str.strip_chars().cast(pl.Int32),
            pl.col("impact").str.strip_chars().cast(pl.Int32),
            corporate=_flag("corporate"),
        ).with_columns(rating=pl.coalesce("rating", risk_band(score, *bands)))
    elif kind == "narrative":
        accepted, repeated = reject_repeats(
            accepted,
            list(NARRATIVE_KEY),
            pl.format(
                "a second '{}' for {} {} in this file; send one",
                pl.col("heading"),
                pl.col("service"),
                pl.col("period"),
            ),
        )
        rejected = pl.concat([rejected, repeated], how="diagonal_relaxed")
    return accepted, rejected


def _flag(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.to_lowercase().replace_strict(FLAGS, default=None)


def _unknown_priority(priorities: frozenset[str]) -> pl.Expr:
    """The first id in a milestone's ``priority`` cell that is not the council's."""
    ids = pl.col("priority").str.split("|").list.eval(pl.element().str.strip_chars())
    unknown = ids.list.eval(
        pl.element().filter((pl.element() != "") & ~pl.element().is_in(sorted(priorities)))
    )
    return unknown.list.first()


_TARGET_RULES = [
    Rule(
        "unknown_code",
        pl.col("known"),
        pl.lit("indicator_code"),
        pl.format(
            "'{}' is not in indicators.csv: it is not an indicator code", pl.col("indicator_code")
        ),
    ),
    Rule(
        "bad_period",
        pl.col("fy").is_not_null(),
        pl.lit("financial_year"),
        pl.format("'{}' is not a financial year such as 2019/20", pl.col("financial_year")),
        name="bad_period:financial_year",
    ),
    Rule(
        "bad_period",
        pl.col("period").is_null() | pl.col("period").is_in(["Q1", "Q2", "Q3", "Q4"]),
        pl.lit("period"),
        pl.format(
            "'{}' is not valid: leave it empty for the annual target, or give Q1 to Q4",
            pl.col("period"),
        ),
        name="bad_period:period",
    ),
    Rule(
        "not_a_number",
        pl.col("target").is_null() | is_plain_number(pl.col("target")),
        pl.lit("target"),
        not_a_number_message(pl.col("target"), "such as 85 or 12.5"),
    ),
    _missing("target"),
]
_TARGET_SCHEMA = _schema(_TARGET_RULES, "targets")


def split_targets(
    frame: pl.DataFrame, codes: pl.Series, yesno: pl.Series | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a targets return (``indicator_code, financial_year, period, target``); the
    target of a yes/no indicator (``yesno`` codes) is ``yes`` or ``no``, kept as 1 or 0."""
    fy = parse_period_labels(frame["financial_year"])
    answer = pl.col("target").str.strip_chars().str.to_lowercase()
    is_yesno = pl.col("indicator_code").is_in(
        (yesno if yesno is not None else pl.Series([], dtype=pl.String)).implode()
    )
    typed = frame.with_columns(
        target=pl.when(is_yesno)
        .then(answer.replace_strict(YES_NO, default=pl.col("target")))
        .otherwise(pl.col("target")),
        known=pl.col("indicator_code").is_in(codes.implode()),
        fy=pl.when(fy["granularity"] == "year").then(fy["fy"]),
        period=pl.col("period").str.to_uppercase(),
    )
    accepted, rejected = split_by_rules(typed, _TARGET_SCHEMA, _TARGET_RULES)
    accepted, repeated = reject_repeats(
        accepted,
        ["indicator_code", "fy", "period"],
        pl.format(
            "a second {} target for '{}' {} in this file; send one",
            pl.col("period").fill_null("annual"),
            pl.col("indicator_code"),
            pl.col("financial_year"),
        ),
    )
    rejected = pl.concat([rejected, repeated], how="diagonal_relaxed")
    return (
        accepted.select(
            "row_number",
            pl.col("indicator_code").alias("code"),
            "fy",
            pl.col("period").fill_null(""),
            pl.col("target").cast(pl.Float64),
        ),
        rejected,
    )


def yesno_codes(indicators: pl.DataFrame) -> pl.Series:
    """The codes of the yes/no indicators."""
    return indicators.filter(pl.col("unit") == "yesno")["code"]
