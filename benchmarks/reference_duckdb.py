"""SPEC §3 and §4 in DuckDB SQL: references for benchmarking and cross-checking, not used by
boardpack.

- :func:`compute_measures_duckdb`: the measures of SPEC §3 from the same polars frames as
  :func:`transforms.measures.compute_measures`, with the same output columns.
- :func:`end_to_end_duckdb`: what a nightly does up to the warehouse, done by DuckDB alone:
  its own ``read_csv`` over a council's long CSV extracts, the row rules of SPEC §4 (rows
  that fail are counted by reason, not loaded), the measures, and everything written to a
  DuckDB database file.

Written independently, as a SQL analyst would, and made as fast as DuckDB allows: integer
indicator keys, every figure a native DOUBLE, all threads, no ordering kept or asked for,
and each indicator-year's months pre-aggregated once into one row of quarter totals, from
which every period's window and year to date are sums of columns (no join per period).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
from pathlib import Path

import duckdb
import polars as pl
import yaml

from core.settings import CouncilSettings, Source

MACROS = (
    # Half away from zero on the decimal written (6 guard places past the rounding point).
    """CREATE MACRO excel_round(x, d) AS
        sign(x) * floor(abs(round(x * 10 ** d, 6)) + 0.5) / 10 ** d""",
    # A window's figure (SPEC §3) from its months' count, sums and latest value.
    """CREATE MACRO figure(aggregation, scale, n, s, u, d, l) AS CASE
        WHEN n = 0 THEN NULL WHEN aggregation = 'sum' THEN s WHEN aggregation = 'mean' THEN s / n
        WHEN aggregation = 'last' THEN l ELSE u / d * scale END""",
)

# ``obs(ind_id, fy, fm, value, numerator, denominator)``, ``ind`` (the indicators with an
# integer ``ind_id``) and ``tgt(ind_id, fy, period, target)`` -> the measures. Each
# indicator-year's months become one row of quarter totals (n count, s sum of values,
# u and d of numerators and denominators, l the latest value), from which the year's eleven
# windows are figured once per indicator-year; only then is each row spread over its seven
# periods, so no join or aggregate runs per period.
MEASURES_SQL = """
WITH periods(period_type, period_number, start_q, k) AS (
    VALUES ('quarter', 1, 1, 1), ('quarter', 2, 2, 2), ('quarter', 3, 3, 3),
           ('quarter', 4, 4, 4), ('half', 1, 1, 2), ('half', 2, 3, 4), ('year', 0, 1, 4)
),
quarters AS (
    SELECT ind_id, fy, (fm - 1) // 3 + 1 AS q, count(*) AS n, sum(value) AS s,
           sum(numerator) AS u, sum(denominator) AS d, arg_max(value, fm) AS l
    FROM obs GROUP BY ALL
),
wide AS (
    SELECT ind_id, fy,
        coalesce(sum(n) FILTER (q = 1), 0) AS n1, coalesce(sum(n) FILTER (q = 2), 0) AS n2,
        coalesce(sum(n) FILTER (q = 3), 0) AS n3, coalesce(sum(n) FILTER (q = 4), 0) AS n4,
        coalesce(sum(s) FILTER (q = 1), 0) AS s1, coalesce(sum(s) FILTER (q = 2), 0) AS s2,
        coalesce(sum(s) FILTER (q = 3), 0) AS s3, coalesce(sum(s) FILTER (q = 4), 0) AS s4,
        coalesce(sum(u) FILTER (q = 1), 0) AS u1, coalesce(sum(u) FILTER (q = 2), 0) AS u2,
        coalesce(sum(u) FILTER (q = 3), 0) AS u3, coalesce(sum(u) FILTER (q = 4), 0) AS u4,
        coalesce(sum(d) FILTER (q = 1), 0) AS d1, coalesce(sum(d) FILTER (q = 2), 0) AS d2,
        coalesce(sum(d) FILTER (q = 3), 0) AS d3, coalesce(sum(d) FILTER (q = 4), 0) AS d4,
        any_value(l) FILTER (q = 1) AS l1, any_value(l) FILTER (q = 2) AS l2,
        any_value(l) FILTER (q = 3) AS l3, any_value(l) FILTER (q = 4) AS l4
    FROM quarters GROUP BY ind_id, fy
),
figured AS (
    -- y1..y4: year to date at the end of each quarter; q2..q4 and h2: windows of their own
    SELECT w.ind_id, w.fy,
        figure(i.aggregation, i.scale, n1, s1, u1, d1, l1) AS y1,
        figure(i.aggregation, i.scale, n1 + n2, s1 + s2, u1 + u2, d1 + d2, coalesce(l2, l1))
            AS y2,
        figure(i.aggregation, i.scale, n1 + n2 + n3, s1 + s2 + s3, u1 + u2 + u3,
               d1 + d2 + d3, coalesce(l3, l2, l1)) AS y3,
        figure(i.aggregation, i.scale, n1 + n2 + n3 + n4, s1 + s2 + s3 + s4,
               u1 + u2 + u3 + u4, d1 + d2 + d3 + d4, coalesce(l4, l3, l2, l1)) AS y4,
        figure(i.aggregation, i.scale, n2, s2, u2, d2, l2) AS q2,
        figure(i.aggregation, i.scale, n3, s3, u3, d3, l3) AS q3,
        figure(i.aggregation, i.scale, n4, s4, u4, d4, l4) AS q4,
        figure(i.aggregation, i.scale, n3 + n4, s3 + s4, u3 + u4, d3 + d4, coalesce(l4, l3))
            AS h2,
        n1 AS m1, n1 + n2 AS m2, n1 + n2 + n3 AS m3, n1 + n2 + n3 + n4 AS m4
    FROM wide w JOIN ind i USING (ind_id)
),
targets_wide AS (
    SELECT ind_id, fy,
        max(target) FILTER (WHERE period = '') AS annual,
        max(target) FILTER (WHERE period = 'Q1') AS t1,
        max(target) FILTER (WHERE period = 'Q2') AS t2,
        max(target) FILTER (WHERE period = 'Q3') AS t3,
        max(target) FILTER (WHERE period = 'Q4') AS t4
    FROM tgt GROUP BY ind_id, fy
),
indicator_years AS (
    SELECT i.*, y.fy, f.y1, f.y2, f.y3, f.y4, f.q2, f.q3, f.q4, f.h2, f.m1, f.m2, f.m3, f.m4,
        pf.y1 AS p1, pf.y2 AS p2, pf.y3 AS p3, pf.y4 AS p4,
        pf.m1 AS pm1, pf.m2 AS pm2, pf.m3 AS pm3, pf.m4 AS pm4, t.annual, t.t1, t.t2, t.t3, t.t4
    FROM ind i
    CROSS JOIN (SELECT CAST(range AS INTEGER) AS fy
                FROM range((SELECT min(fy) FROM quarters), $last_fy + 1)) y
    LEFT JOIN figured f ON f.ind_id = i.ind_id AND f.fy = y.fy
    LEFT JOIN figured pf ON pf.ind_id = i.ind_id AND pf.fy = y.fy - 1
    LEFT JOIN targets_wide t ON t.ind_id = i.ind_id AND t.fy = y.fy
),
valued AS (
    SELECT code, aggregation, polarity, decimals, tolerance, tolerance_type, fy,
        period_type, period_number,
        CASE WHEN start_q = 1 THEN CASE k WHEN 1 THEN y1 WHEN 2 THEN y2 ELSE y4 END
             WHEN k = 4 AND start_q = 3 THEN h2
             ELSE CASE k WHEN 2 THEN q2 WHEN 3 THEN q3 ELSE q4 END END AS period_value,
        CASE k WHEN 1 THEN y1 WHEN 2 THEN y2 WHEN 3 THEN y3 ELSE y4 END AS ytd_value,
        CASE k WHEN 1 THEN p1 WHEN 2 THEN p2 WHEN 3 THEN p3 ELSE p4 END AS previous_ytd_value,
        CASE frequency WHEN 'monthly' THEN 3 * k WHEN 'quarterly' THEN k ELSE 1 END
            AS months_expected,
        CAST(coalesce(CASE k WHEN 1 THEN m1 WHEN 2 THEN m2 WHEN 3 THEN m3 ELSE m4 END, 0)
             AS INTEGER) AS months_present,
        CAST(coalesce(CASE k WHEN 1 THEN pm1 WHEN 2 THEN pm2 WHEN 3 THEN pm3 ELSE pm4 END, 0)
             AS INTEGER) AS previous_months_present,
        CASE WHEN aggregation = 'sum' THEN
            CASE WHEN k = 1 AND t1 IS NOT NULL THEN t1
                 WHEN k = 2 AND t1 IS NOT NULL AND t2 IS NOT NULL THEN t1 + t2
                 WHEN k = 3 AND t1 IS NOT NULL AND t2 IS NOT NULL AND t3 IS NOT NULL
                    THEN t1 + t2 + t3
                 WHEN k = 4 AND t1 IS NOT NULL AND t2 IS NOT NULL AND t3 IS NOT NULL
                    AND t4 IS NOT NULL THEN t1 + t2 + t3 + t4
                 ELSE annual * k / 4 END
        ELSE coalesce(CASE k WHEN 1 THEN t1 WHEN 2 THEN t2 WHEN 3 THEN t3 ELSE t4 END, annual)
        END AS ytd_target
    FROM indicator_years CROSS JOIN periods
    -- the period has ended by the as-of date (its last month is at most $last_month) ...
    WHERE fy * 12 + $ysm - 1 + k * 3 - 1 <= $last_month
    -- ... and annual indicators have H2 and the year only.
      AND (frequency <> 'annual' OR (k = 4 AND start_q <> 4))
),
judged AS (
    SELECT *,
        CASE WHEN tolerance_type = 'absolute' THEN tolerance ELSE tolerance * abs(tr) END AS tol,
        CASE WHEN a > b + 1e-9 THEN 'up' WHEN a < b - 1e-9 THEN 'down' ELSE 'unchanged' END
            AS moved,
        CASE WHEN abs(b - tr) > abs(a - tr) + 1e-9 THEN 'improved'
             WHEN abs(b - tr) < abs(a - tr) - 1e-9 THEN 'worsened' ELSE 'unchanged' END AS closer
    FROM (
        SELECT *, excel_round(ytd_value, decimals) AS a, excel_round(ytd_target, decimals) AS tr,
            excel_round(previous_ytd_value, decimals) AS b,
            -- a part-year total (SPEC §3), this year or last
            aggregation = 'sum' AND months_present > 0
                AND months_present < months_expected AS inc,
            aggregation = 'sum' AND previous_months_present > 0
                AND previous_months_present < months_expected AS pinc
        FROM valued
    )
)
SELECT code AS indicator_code, fy, period_type, period_number, period_value, ytd_value,
    ytd_target, previous_ytd_value, months_expected, months_present,
    CASE WHEN polarity = 'none' OR tr IS NULL THEN 'no_target'
         WHEN a IS NULL THEN 'no_data'
         WHEN inc THEN 'incomplete'
         WHEN polarity = 'higher' THEN CASE WHEN a >= tr - 1e-9 THEN 'green'
              WHEN a >= tr - tol - 1e-9 THEN 'amber' ELSE 'red' END
         WHEN polarity = 'lower' THEN CASE WHEN a <= tr + 1e-9 THEN 'green'
              WHEN a <= tr + tol + 1e-9 THEN 'amber' ELSE 'red' END
         ELSE CASE WHEN abs(a - tr) <= tol + 1e-9 THEN 'green'
              WHEN abs(a - tr) <= 2 * tol + 1e-9 THEN 'amber' ELSE 'red' END
    END AS rag,
    CASE WHEN a IS NULL OR b IS NULL OR inc OR pinc THEN 'not_comparable'
         WHEN polarity = 'none' OR (polarity = 'target' AND tr IS NULL) THEN moved
         WHEN polarity = 'higher' THEN CASE moved WHEN 'up' THEN 'improved'
              WHEN 'down' THEN 'worsened' ELSE 'unchanged' END
         WHEN polarity = 'lower' THEN CASE moved WHEN 'down' THEN 'improved'
              WHEN 'up' THEN 'worsened' ELSE 'unchanged' END
         ELSE closer
    END AS direction
FROM judged
"""


def _params(as_of: dt.date, year_start_month: int) -> dict[str, object]:
    """The last financial year and the last whole month (year * 12 + month - 1) by ``as_of``."""
    ended = (as_of + dt.timedelta(days=1)).day == 1
    last_month = as_of.year * 12 + as_of.month - 1 - (0 if ended else 1)
    last_fy = as_of.year if as_of.month >= year_start_month else as_of.year - 1
    return {"last_fy": last_fy, "last_month": last_month, "ysm": year_start_month}


def _connect(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(database)
    # Nothing here depends on row order: let every thread stream without keeping it.
    connection.execute("SET preserve_insertion_order = false")
    connection.execute("SET enable_progress_bar = false")
    for macro in MACROS:
        connection.execute(macro)
    return connection


def _register_config(
    connection: duckdb.DuckDBPyConnection, indicators: pl.DataFrame, targets: pl.DataFrame
) -> None:
    """``ind`` with an integer key, and ``tgt`` keyed on it."""
    ind = indicators.select(
        "code",
        "aggregation",
        "scale",
        "frequency",
        "polarity",
        "decimals",
        "tolerance",
        "tolerance_type",
        "unit",
    ).with_row_index("ind_id")
    connection.register("ind_frame", ind.to_arrow())
    connection.execute("CREATE TEMP TABLE ind AS SELECT * FROM ind_frame")
    connection.register(
        "tgt_frame", targets.with_columns(pl.col("period").fill_null("")).to_arrow()
    )
    connection.execute(
        "CREATE TEMP TABLE tgt AS SELECT i.ind_id, t.fy, t.period, t.target "
        "FROM tgt_frame t JOIN ind i USING (code)"
    )


def compute_measures_duckdb(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    targets: pl.DataFrame,
    as_of: dt.date,
    year_start_month: int = 4,
) -> pl.DataFrame:
    """The measures of SPEC §3, computed by DuckDB from the same frames."""
    connection = _connect()
    try:
        _register_config(connection, indicators, targets)
        connection.register("obs_frame", observations.to_arrow())
        connection.execute(
            "CREATE TEMP VIEW obs AS SELECT i.ind_id, o.fy, o.fm, o.value, o.numerator,"
            " o.denominator FROM obs_frame o JOIN ind i USING (code)"
        )
        params = _params(as_of, year_start_month)
        result = connection.sql(MEASURES_SQL, params=params).to_arrow_table()
        return pl.from_arrow(result)  # type: ignore[return-value]
    finally:
        connection.close()


# SPEC §4's plain number: ASCII digits, optional sign, decimal point and exponent.
NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_MONTH_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_FY = r"(\d{4})[/-](\d{2}|\d{4})"

# One pass over every extract: each row typed, joined to its indicator, and given the first
# rule of SPEC §4 it fails (NULL when it passes them all). The CASEs try the common forms
# first (a period such as 2019-07), so most rows meet one pattern, not every one.
CHECK_SQL = rf"""
CREATE TEMP TABLE checked AS
WITH cells AS (
    SELECT f.file_id, __COLUMNS__
    FROM read_csv($files, header = true, all_varchar = true, filename = true, delim = ',',
                  quote = '"', escape = '"') r
    JOIN files f ON f.file = r.filename
),
trimmed AS (
    SELECT file_id, nullif(trim(code), '') AS code, lower(trim(period)) AS label,
        nullif(trim(value), '') AS value, nullif(trim(numerator), '') AS numerator,
        nullif(trim(denominator), '') AS denominator,
        nullif(trim(commentary), '') AS commentary
    FROM cells
),
labelled AS (
    SELECT t.*, i.ind_id, i.unit, i.frequency, i.aggregation = 'ratio' AS is_ratio,
        i.decimals, i.scale,
        -- a month as months since year 0: 2019-07, else Jul-19 or July 2019
        CASE WHEN regexp_full_match(label, '\d{{4}}-\d{{1,2}}(-01)?')
                  THEN month_number(try_strptime(label, ['%Y-%m', '%Y-%m-%d']))
             WHEN regexp_full_match(label, '{_MONTH_NAME}[\s\-]*(\d{{2}}|\d{{4}})')
                  THEN (CASE WHEN length(regexp_extract(label, '(\d+)$', 1)) = 2 THEN 2000
                        ELSE 0 END + CAST(regexp_extract(label, '(\d+)$', 1) AS INTEGER)) * 12
                       + list_position(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul',
                              'aug', 'sep', 'oct', 'nov', 'dec'], label[1:3]) - 1
        END AS month_index
    FROM trimmed t LEFT JOIN ind i ON i.code = t.code
    -- wholly blank rows are not data
    WHERE coalesce(t.code, t.label, t.value, t.numerator, t.denominator, t.commentary) <> ''
),
parsed AS (
    SELECT *,
        CASE WHEN month_index IS NOT NULL THEN 'month'
             WHEN regexp_full_match(label, '{_FY}[\s;,]*q[1-4]|q[1-4][\s;,]*{_FY}')
                  AND fy_ok(regexp_extract(label, '{_FY}', 1), regexp_extract(label, '{_FY}', 2))
                  THEN 'quarter'
             WHEN regexp_full_match(label, '(fy\s*)?{_FY}')
                  AND fy_ok(regexp_extract(label, '{_FY}', 1), regexp_extract(label, '{_FY}', 2))
                  THEN 'year'
        END AS granularity,
        -- the financial year's first month, in months since year 0
        month_index - (month_index % 12 - ($ysm - 1) + 12) % 12 AS fy_start,
        TRY_CAST(value AS DOUBLE) AS value_num, TRY_CAST(numerator AS DOUBLE) AS numerator_num,
        TRY_CAST(denominator AS DOUBLE) AS denominator_num
    FROM labelled
),
typed AS (
    SELECT *,
        CAST(CASE granularity WHEN 'month' THEN (fy_start - ($ysm - 1)) // 12
             ELSE CAST(regexp_extract(label, '{_FY}', 1) AS INTEGER) END AS INTEGER) AS fy,
        CAST(CASE granularity WHEN 'month' THEN month_index - fy_start + 1
             WHEN 'quarter' THEN 3 * CAST(regexp_extract(label, 'q([1-4])', 1) AS INTEGER)
             ELSE 12 END AS INTEGER) AS fm,
        value IS NOT NULL AND NOT plain_number(value, value_num) AS value_bad,
        numerator IS NOT NULL AND NOT plain_number(numerator, numerator_num) AS numerator_bad,
        denominator IS NOT NULL AND NOT plain_number(denominator, denominator_num)
            AS denominator_bad,
        CASE WHEN denominator_num > 0 THEN numerator_num / denominator_num * scale END
            AS computed
    FROM parsed
)
SELECT file_id, ind_id, fy, fm, value_num AS value, numerator_num AS numerator,
    denominator_num AS denominator, commentary,
    CASE
        WHEN ind_id IS NULL THEN 'unknown_code'
        WHEN granularity IS NULL THEN 'bad_period'
        WHEN granularity <> CASE frequency WHEN 'monthly' THEN 'month'
                              WHEN 'quarterly' THEN 'quarter' ELSE 'year' END
            THEN 'frequency_mismatch'
        WHEN fy * 12 + $ysm - 1 + fm - 1 > $last_month THEN 'future_period'
        WHEN is_ratio AND (numerator IS NULL OR denominator IS NULL) THEN 'ratio_missing_parts'
        WHEN value_bad OR (is_ratio AND (numerator_bad OR denominator_bad)) THEN 'not_a_number'
        WHEN is_ratio AND NOT denominator_num > 0 THEN 'ratio_bad_denominator'
        WHEN is_ratio AND NOT numerator_num >= 0 THEN 'ratio_negative_numerator'
        WHEN NOT is_ratio AND value IS NULL THEN 'missing_value'
        WHEN is_ratio AND value_num IS NOT NULL
             AND abs(excel_round(value_num, decimals) - excel_round(computed, decimals)) >= 1e-9
            THEN 'ratio_inconsistent'
        WHEN unit = 'percent' AND NOT coalesce(value_num, computed) BETWEEN 0 AND 100
            THEN 'percent_out_of_range'
        WHEN unit IN ('count', 'days') AND NOT coalesce(value_num, computed) >= 0
            THEN 'negative_value'
    END AS reason,
    -- one BIGINT per indicator and FY month, for the duplicate checks
    (CAST(ind_id AS BIGINT) * 65536 + fy) * 16 + fm AS key
FROM typed
"""

CHECK_MACROS = (
    f"""CREATE MACRO plain_number(text, number) AS
        regexp_full_match(text, '{NUMBER}') AND isfinite(number)""",
    "CREATE MACRO month_number(day) AS year(day) * 12 + month(day) - 1",
    """CREATE MACRO fy_ok(start, finish) AS
        CAST(finish AS INTEGER) = CASE WHEN length(finish) = 2
            THEN (CAST(start AS INTEGER) + 1) % 100 ELSE CAST(start AS INTEGER) + 1 END""",
)

# Duplicates among rows that pass every other rule: every copy of a key repeated in one file
# (duplicate_in_extract), then every copy of a key left in two files (across sources).
# Only keys seen more than once are grouped by file.
DUPLICATES_SQL = """
CREATE TEMP TABLE repeated AS
WITH multi AS (
    SELECT key FROM checked WHERE reason IS NULL GROUP BY key HAVING count(*) > 1
),
per_file AS (
    SELECT key, file_id, count(*) AS n
    FROM checked SEMI JOIN multi USING (key) WHERE reason IS NULL GROUP BY key, file_id
)
SELECT key, file_id, n,
    CASE WHEN n > 1 THEN 'duplicate_in_extract'
         WHEN count(*) FILTER (WHERE n = 1) OVER (PARTITION BY key) > 1
            THEN 'duplicate_across_sources' END AS reason
FROM per_file
"""

STORE_SQL = (
    """CREATE TABLE observations AS
        SELECT c.ind_id, c.fy, c.fm, c.value, c.numerator, c.denominator, c.commentary,
            c.file_id
        FROM checked c
        ANTI JOIN (SELECT key, file_id FROM repeated WHERE reason IS NOT NULL) r
            USING (key, file_id)
        WHERE c.reason IS NULL""",
    """CREATE TABLE rejections AS
        SELECT reason, file_id, ind_id, fy, fm FROM checked WHERE reason IS NOT NULL
        UNION ALL
        SELECT r.reason, c.file_id, c.ind_id, c.fy, c.fm
        FROM checked c JOIN repeated r USING (key, file_id)
        WHERE c.reason IS NULL AND r.reason IS NOT NULL""",
    "CREATE TABLE indicators AS SELECT * FROM ind",
    "CREATE TABLE extract_files AS SELECT * FROM temp.files",
    "CREATE TEMP VIEW obs AS SELECT * FROM observations",
)

# The configuration in SQL: defaults as SPEC §2 gives them (scale 100 for percentages, the
# council's tolerance), an integer key per indicator.
CONFIG_SQL = (
    """CREATE TEMP TABLE ind AS
        SELECT CAST(row_number() OVER () AS INTEGER) AS ind_id, trim(code) AS code,
            aggregation, frequency, polarity, unit, CAST(decimals AS INTEGER) AS decimals,
            coalesce(CAST(nullif(trim(scale), '') AS DOUBLE),
                     CASE WHEN unit = 'percent' THEN 100.0 ELSE 1.0 END) AS scale,
            coalesce(CAST(nullif(trim(tolerance), '') AS DOUBLE), $tolerance) AS tolerance,
            coalesce(nullif(trim(tolerance_type), ''), $tolerance_type) AS tolerance_type
        FROM read_csv($path, header = true, all_varchar = true)""",
    """CREATE TEMP TABLE tgt AS
        SELECT i.ind_id, CAST(t.financial_year[1:4] AS INTEGER) AS fy,
            upper(coalesce(trim(t.period), '')) AS period, CAST(t.target AS DOUBLE) AS target
        FROM read_csv($path, header = true, all_varchar = true) t
        JOIN ind i ON i.code = trim(t.code)
        WHERE nullif(trim(t.target), '') IS NOT NULL""",
)

CANONICAL = ("indicator_code", "period", "value", "numerator", "denominator", "commentary")


@dataclasses.dataclass(frozen=True)
class EndToEnd:
    """What the DuckDB reference loaded, rejected (by reason) and computed."""

    accepted: int
    rejected: dict[str, int]
    measures: int


def _extract_files(folder: Path, sources: list[Source]) -> list[str]:
    """Every long CSV observation extract the council names, in the order of its sources."""
    files: list[str] = []
    for source in sources:
        if source.kind != "observations":
            continue
        if source.format != "csv" or source.layout != "long" or source.numbers != "plain":
            raise ValueError(f"the DuckDB reference reads long CSV extracts only: {source.id}")
        files += sorted(glob.glob(str(folder / (source.path or ""))))
    return files


def end_to_end_duckdb(folder: Path, database: Path, as_of: dt.date) -> EndToEnd:
    """Read a council's extracts, check SPEC §4's row rules, compute the measures and write
    observations, rejections and measures to the DuckDB file ``database``: DuckDB alone.

    ``council.yaml`` is read by its pydantic model (the sources and defaults); everything
    else, the indicators, targets and every row of the extracts, by DuckDB."""
    settings = CouncilSettings.model_validate(
        yaml.safe_load((folder / "council.yaml").read_text(encoding="utf-8-sig"))
    )
    year_start_month = settings.year_start_month
    sources = list(settings.sources)
    maps = {tuple(s.columns.items()) for s in sources if s.kind == "observations"}
    if len(maps) != 1:
        raise ValueError("the DuckDB reference reads extracts that share one column layout")
    columns = {name: name for name in CANONICAL} | dict(maps.pop())
    files = _extract_files(folder, sources)
    params = _params(as_of, year_start_month)
    connection = _connect(str(database))
    try:
        for macro in CHECK_MACROS:
            connection.execute(macro)
        tolerance = {
            "tolerance": settings.tolerance.value,
            "tolerance_type": settings.tolerance.type,
        }
        connection.execute(CONFIG_SQL[0], {"path": str(folder / "indicators.csv"), **tolerance})
        connection.execute(CONFIG_SQL[1], {"path": str(folder / "targets.csv")})
        connection.register(
            "file_frame", pl.DataFrame({"file_id": range(len(files)), "file": files}).to_arrow()
        )
        connection.execute("CREATE TEMP TABLE files AS SELECT * FROM file_frame")
        # ``code`` in the SQL: the indicator's code, in whatever column the source names it.
        names = {"indicator_code": "code"}
        select = ", ".join(
            f'r."{theirs}" AS {names.get(ours, ours)}' for ours, theirs in columns.items()
        )
        connection.execute(
            CHECK_SQL.replace("__COLUMNS__", select),
            {"files": files, "ysm": year_start_month, "last_month": params["last_month"]},
        )
        connection.execute(DUPLICATES_SQL)
        for statement in STORE_SQL:
            connection.execute(statement)
        connection.execute(f"CREATE TABLE measures AS {MEASURES_SQL}", params)
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM measures)"
        ).fetchone()
        reasons = connection.execute("SELECT reason, count(*) FROM rejections GROUP BY reason")
        return EndToEnd(
            accepted=int(counts[0]) if counts else 0,
            rejected={str(reason): int(n) for reason, n in reasons.fetchall()},
            measures=int(counts[1]) if counts else 0,
        )
    finally:
        connection.close()


def read_measures(database: Path) -> pl.DataFrame:
    """The measures :func:`end_to_end_duckdb` wrote."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        return pl.from_arrow(connection.sql("SELECT * FROM measures").to_arrow_table())  # type: ignore[return-value]
    finally:
        connection.close()
