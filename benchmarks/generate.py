"""Valid councils of a given size for benchmarks: monthly figures over many sources and boards."""

from __future__ import annotations

from pathlib import Path

import polars as pl

MONTHS = 120  # ten financial years, 2016/17 to 2025/26
FIRST_FY = 2016
SOURCES = 20
INDICATORS_PER_BOARD = 40


def _noise(index: pl.Expr, seed: int, modulus: int) -> pl.Expr:
    """Deterministic pseudo-random whole numbers in [0, modulus)."""
    return (index.hash(seed) % modulus).cast(pl.Int64)


def _choose(index: pl.Expr, options: list[str]) -> pl.Expr:
    return (index % len(options)).replace_strict(dict(enumerate(options)), return_dtype=pl.String)


# The last month's figures, held back by ``generate_council(..., hold_back=True)``: each
# source's arrives as a new file, as a department sends a month (``send_held_back``).
HELD_BACK = "held-back"
LAST_MONTH = "2026-03"


def generate_council(
    folder: Path,
    observations: int,
    seed: int = 7,
    hold_back: bool = False,
    per_board: int = INDICATORS_PER_BOARD,
    documents: bool = False,
) -> dict[str, int]:
    """Write a council with about ``observations`` monthly figures; return its dimensions.
    ``hold_back``: each source's figures for the last month are written to a file of their
    own under ``held-back/``, for :func:`send_held_back` to send after a first run.
    ``per_board``: indicators on each board (a service each); ``documents``: the council
    asks for Word and PDF copies of its latest reports."""
    indicators = max(observations // MONTHS, 1)
    boards = max(indicators // per_board, 1)
    (folder / "extracts").mkdir(parents=True, exist_ok=True)
    i = pl.col("i")
    code = pl.format("B{}", i.cast(pl.String).str.zfill(7))
    catalogue = pl.DataFrame({"i": range(indicators)}).with_columns(
        aggregation=_choose(i, ["sum", "mean", "last", "ratio"])
    )
    catalogue.select(
        code.alias("code"),
        pl.format("Benchmark indicator {}", i).alias("title"),
        pl.format("Service {}", i // per_board).alias("service"),
        pl.when(pl.col("aggregation") == "ratio")
        .then(pl.lit("percent"))
        .otherwise(_choose(i, ["count", "days", "gbp"]))
        .alias("unit"),
        _choose(i // 4, ["higher", "lower", "target", "none"]).alias("polarity"),
        "aggregation",
        pl.lit("monthly").alias("frequency"),
        (i % 3).cast(pl.String).alias("decimals"),
        *(pl.lit("").alias(c) for c in ("scale", "tolerance", "tolerance_type")),
        pl.lit("false").alias("key"),
    ).write_csv(folder / "indicators.csv")
    years = MONTHS // 12
    pl.DataFrame({"n": range(indicators * years)}).select(
        pl.format("B{}", (pl.col("n") // years).cast(pl.String).str.zfill(7)).alias("code"),
        pl.format(
            "{}/{}",
            FIRST_FY + pl.col("n") % years,
            ((FIRST_FY + 1 + pl.col("n") % years) % 100).cast(pl.String).str.zfill(2),
        ).alias("financial_year"),
        pl.lit("").alias("period"),
        (50 + _noise(pl.col("n"), seed, 100)).cast(pl.String).alias("target"),
    ).write_csv(folder / "targets.csv")

    n = pl.col("n")
    month = FIRST_FY * 12 + 3 + n % MONTHS
    is_ratio = (n // MONTHS) % 4 == 3
    denominator = 50 + _noise(n, seed + 1, 450)
    frame = pl.DataFrame({"n": range(indicators * MONTHS)}).select(
        pl.format("B{}", (n // MONTHS).cast(pl.String).str.zfill(7)).alias("indicator_code"),
        pl.format("{}-{}", month // 12, (month % 12 + 1).cast(pl.String).str.zfill(2)).alias(
            "period"
        ),
        pl.when(is_ratio)
        .then(pl.lit(""))
        .otherwise((_noise(n, seed + 2, 1000) / 10).cast(pl.String))
        .alias("value"),
        pl.when(is_ratio)
        .then((denominator * (50 + _noise(n, seed + 3, 50)) // 100).cast(pl.String))
        .otherwise(pl.lit(""))
        .alias("numerator"),
        pl.when(is_ratio)
        .then(denominator.cast(pl.String))
        .otherwise(pl.lit(""))
        .alias("denominator"),
        pl.lit("").alias("commentary"),
        ((n // MONTHS) % SOURCES).alias("_source"),
    )
    if hold_back:
        (folder / HELD_BACK).mkdir(exist_ok=True)
    for (source,), part in frame.partition_by("_source", as_dict=True).items():
        if hold_back:
            last = pl.col("period") == LAST_MONTH
            held = folder / HELD_BACK / f"source_{source:02d}-{LAST_MONTH}.csv"
            part.filter(last).drop("_source").write_csv(held)
            part = part.filter(~last)
        part.drop("_source").write_csv(folder / "extracts" / f"source_{source:02d}.csv")
    sources = "".join(
        f"  - {{id: s{s:02d}, department: Dept {s}, kind: observations, format: csv,"
        f" path: 'extracts/source_{s:02d}*.csv'}}\n"
        for s in range(min(SOURCES, indicators))
    )
    board_rows = "".join(
        f"  - {{id: board-{b:04d}, name: Board {b},"
        f" cadence: {'quarterly' if b % 2 else 'half-yearly'}, services: ['Service {b}']}}\n"
        for b in range(boards)
    )
    settings = "documents: true\n" if documents else ""
    (folder / "council.yaml").write_text(
        f"name: Benchmark Council\n{settings}boards:\n{board_rows}sources:\n{sources}",
        encoding="utf-8",
    )
    return {"observations": frame.height, "indicators": indicators, "boards": boards}


def send_held_back(folder: Path) -> int:
    """Put the held-back month's files among the extracts; the rows sent."""
    rows = 0
    for held in sorted((folder / HELD_BACK).glob("*.csv")):
        rows += pl.read_csv(held, infer_schema=False).height
        held.rename(folder / "extracts" / held.name)
    return rows
