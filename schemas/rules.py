"""Rejection rules as pandera checks: every failure found in one lazy pass, first one wins.

Each :class:`Rule` is a named pandera dataframe check on a typed polars frame. A row that
fails several checks is rejected for the first in the rules' order (SPEC §4), and carries
the column the rule blames and its plain-English message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl


class RuleFailed(Exception):
    """A check could not judge the rows (its expression raised, or a check that is no rule
    failed): nothing may be accepted on its word, so the caller rejects the file whole."""


@dataclass(frozen=True)
class Rule:
    """One rejection rule: which rows pass, the column it blames and what it says."""

    reason: str
    passes: pl.Expr
    column: pl.Expr
    message: pl.Expr
    name: str = ""  # a unique check name where one reason has several rules

    @property
    def check_name(self) -> str:
        return self.name or self.reason


def _check(rule: Rule) -> pa.Check:
    def passes(data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(rule.passes.fill_null(False))

    return pa.Check(passes, name=rule.check_name)


def schema_for(
    rules: Sequence[Rule], columns: dict[str, pa.Column], name: str
) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, checks=[_check(r) for r in rules], name=name)


def first_failures(
    typed: pl.DataFrame, schema: pa.DataFrameSchema, rules: Sequence[Rule]
) -> pl.DataFrame:
    """``index`` and ``check`` of each failing row's first failing rule.

    Fails closed: pandera records a check that raised as one failure with no row index,
    which would otherwise reject nothing and accept every row; that, or any failure that is
    not a rule's verdict on a row, raises :class:`RuleFailed`.
    """
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        order = {rule.check_name: i for i, rule in enumerate(rules)}
        failures: pl.DataFrame = errors.failure_cases
        unjudged = failures.filter(pl.col("index").is_null() | ~pl.col("check").is_in(list(order)))
        if not unjudged.is_empty():
            raise RuleFailed(_unjudged_message(unjudged.row(0, named=True))) from None
        return (
            failures.select(
                pl.col("index").cast(pl.UInt32),
                "check",
                pl.col("check").replace_strict(order, return_dtype=pl.Int32).alias("rank"),
            )
            .sort("index", "rank")
            .unique("index", keep="first", maintain_order=True)
            .drop("rank")
        )
    return pl.DataFrame(schema={"index": pl.UInt32, "check": pl.String})


def _unjudged_message(failure: dict[str, object]) -> str:
    why = " ".join(str(failure["failure_case"]).split())[:200]
    return (
        f"the check '{failure['check']}' could not be applied ({why}); no row of the file "
        "was loaded: please report this to the boardpack team"
    )


def split_by_rules(
    typed: pl.DataFrame, schema: pa.DataFrameSchema, rules: Sequence[Rule]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows passing every rule, rejected rows with ``reason_code``, ``column``, ``message``)."""
    failures = first_failures(typed, schema, rules)
    indexed = typed.with_row_index("index")
    reason = column = message = pl.lit(None, dtype=pl.String)
    for rule in rules:
        chosen = pl.col("check") == rule.check_name
        reason = pl.when(chosen).then(pl.lit(rule.reason)).otherwise(reason)
        column = pl.when(chosen).then(rule.column).otherwise(column)
        message = pl.when(chosen).then(rule.message).otherwise(message)
    rejected = indexed.join(failures, on="index").with_columns(
        reason_code=reason, column=column, message=message
    )
    accepted = indexed.join(failures, on="index", how="anti")
    return accepted.drop("index"), rejected.drop("index", "check")


def reject_repeats(
    rows: pl.DataFrame, key: list[str], message: pl.Expr, column: str = "period"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows whose key is unique, every copy of a repeated key as ``duplicate_in_extract``,
    blamed on ``column``)."""
    # The message is worked out on every row before the filter: polars 2.1 panicked
    # formatting a literal beside a window expression on a filtered frame.
    marked = rows.with_columns(
        pl.struct(key).is_duplicated().alias("_repeated"), message.alias("_message")
    )
    copies = (
        marked.filter(pl.col("_repeated"))
        .with_columns(
            reason_code=pl.lit("duplicate_in_extract"),
            column=pl.lit(column),
            message=pl.col("_message"),
        )
        .drop("_repeated", "_message")
    )
    return marked.filter(~pl.col("_repeated")).drop("_repeated", "_message"), copies
