"""One figure, target or register entry arriving in more than one file of a run (SPEC §4):
every copy is rejected ``duplicate_across_sources``, whichever file or source sent it, so
that no copy wins by the order the files were read in and no unique key of the warehouse
is ever offered two rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from core.columns import REJECTION_COLUMNS
from schemas.observations import rejection_frame

# Builds a copy's message from the list of the files that sent its key.
Describe = Callable[[pl.Expr], pl.Expr]


def reject_across_files(
    frames: Sequence[pl.DataFrame], key: Sequence[str], column: str, describe: Describe
) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """(each frame without the rows whose ``key`` another frame also sent, those rows
    rejected on ``column`` with ``describe(files)`` as their message). Each frame is one
    file's accepted rows with its lineage (``source_id``, ``file``); no frame repeats a key
    (a file's own repeats are rejected ``duplicate_in_extract`` first)."""
    if not frames:
        return [], pl.DataFrame(schema=REJECTION_COLUMNS)
    wanted = list(key)
    rows = pl.concat(
        [f.with_columns(pl.lit(i, pl.UInt32).alias("_part")) for i, f in enumerate(frames)],
        how="diagonal_relaxed",
    )
    # The window columns are worked out first, on every row, and the message made from
    # plain columns: polars 2.1 panicked formatting a literal beside a window expression.
    rows = rows.with_columns(
        (pl.col("_part").n_unique().over(wanted) > 1).alias("_clashing"),
        pl.col("file").unique().sort().str.join("; ").over(wanted).alias("_files"),
    )
    clashes = rows.filter(pl.col("_clashing")).with_columns(
        reason_code=pl.lit("duplicate_across_sources"),
        column=pl.lit(column),
        message=describe(pl.col("_files")),
    )
    kept = rows.filter(~pl.col("_clashing")).drop("_clashing", "_files")
    parts = [kept.filter(pl.col("_part") == i).drop("_part") for i in range(len(frames))]
    return [p for p in parts if not p.is_empty()], rejection_frame(
        clashes.drop("_part", "_clashing", "_files")
    )
