"""SPEC §3 in DuckDB SQL: a reference for benchmarking and cross-checking, not used by boardpack.

Same inputs as :func:`transforms.measures.compute_measures` (polars frames), same output
columns; written independently, as a SQL analyst would.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

# Half away from zero on the decimal written (6 guard places past the rounding point).
EXCEL_ROUND = """
CREATE MACRO excel_round(x, d) AS
    sign(x) * floor(abs(round(x * 10 ** d, 6)) + 0.5) / 10 ** d
"""

SQL = """
WITH periods(period_type, period_number, suffix, start_q, k) AS (
    VALUES ('quarter', 1, 'Q1', 1, 1), ('quarter', 2, 'Q2', 2, 2), ('quarter', 3, 'Q3', 3, 3),
           ('quarter', 4, 'Q4', 4, 4), ('half', 1, 'H1', 1, 2), ('half', 2, 'H2', 3, 4),
           ('year', 0, '', 1, 4)
),
years AS (
    SELECT range AS fy FROM range((SELECT min(fy) FROM obs), $last_fy + 1)
),
skeleton AS (
    SELECT i.*, y.fy, p.*
    FROM ind i CROSS JOIN years y CROSS JOIN periods p
    WHERE make_date(CAST(y.fy + (($ysm - 1 + p.k * 3 - 1) // 12) AS INTEGER),
                    CAST(($ysm - 1 + p.k * 3 - 1) % 12 + 1 AS INTEGER), 1)
          + INTERVAL 1 MONTH - INTERVAL 1 DAY <= $as_of
      AND (i.frequency <> 'annual' OR (p.k = 4 AND p.start_q <> 4))
),
partials AS (
    SELECT code, fy, (fm - 1) // 3 + 1 AS q, count(*) AS n, sum(value) AS s,
           sum(numerator) AS num, sum(denominator) AS den, arg_max(value, fm) AS last
    FROM obs GROUP BY ALL
),
aggregated AS (
    SELECT sk.code, sk.fy, sk.period_type, sk.period_number, sk.suffix, sk.k,
           any_value(sk.aggregation) AS aggregation, any_value(sk.scale) AS scale,
           any_value(sk.frequency) AS frequency,
           sum(n) FILTER (WHERE q BETWEEN sk.start_q AND sk.k) AS wn,
           sum(s) FILTER (WHERE q BETWEEN sk.start_q AND sk.k) AS ws,
           sum(num) FILTER (WHERE q BETWEEN sk.start_q AND sk.k) AS wnum,
           sum(den) FILTER (WHERE q BETWEEN sk.start_q AND sk.k) AS wden,
           arg_max(last, q) FILTER (WHERE q BETWEEN sk.start_q AND sk.k) AS wlast,
           sum(n) FILTER (WHERE q <= sk.k) AS yn, sum(s) FILTER (WHERE q <= sk.k) AS ys,
           sum(num) FILTER (WHERE q <= sk.k) AS ynum, sum(den) FILTER (WHERE q <= sk.k) AS yden,
           arg_max(last, q) FILTER (WHERE q <= sk.k) AS ylast
    FROM skeleton sk LEFT JOIN partials p ON p.code = sk.code AND p.fy = sk.fy
    GROUP BY sk.code, sk.fy, sk.period_type, sk.period_number, sk.suffix, sk.k
),
valued AS (
    SELECT *,
        CASE WHEN coalesce(wn, 0) = 0 THEN NULL
             WHEN aggregation = 'sum' THEN ws WHEN aggregation = 'mean' THEN ws / wn
             WHEN aggregation = 'last' THEN wlast ELSE wnum / wden * scale END AS period_value,
        CASE WHEN coalesce(yn, 0) = 0 THEN NULL
             WHEN aggregation = 'sum' THEN ys WHEN aggregation = 'mean' THEN ys / yn
             WHEN aggregation = 'last' THEN ylast ELSE ynum / yden * scale END AS ytd_value,
        CASE frequency WHEN 'monthly' THEN 3 * k WHEN 'quarterly' THEN k ELSE 1 END
            AS months_expected,
        coalesce(yn, 0) AS months_present
    FROM aggregated
),
targets_wide AS (
    SELECT code, fy,
        max(target) FILTER (WHERE period = '') AS annual,
        max(target) FILTER (WHERE period = 'Q1') AS t1,
        max(target) FILTER (WHERE period = 'Q2') AS t2,
        max(target) FILTER (WHERE period = 'Q3') AS t3,
        max(target) FILTER (WHERE period = 'Q4') AS t4
    FROM tgt GROUP BY code, fy
),
targeted AS (
    SELECT v.*,
        CASE WHEN v.aggregation = 'sum' THEN
            CASE WHEN v.k = 1 AND t1 IS NOT NULL THEN t1
                 WHEN v.k = 2 AND t1 IS NOT NULL AND t2 IS NOT NULL THEN t1 + t2
                 WHEN v.k = 3 AND t1 IS NOT NULL AND t2 IS NOT NULL AND t3 IS NOT NULL
                    THEN t1 + t2 + t3
                 WHEN v.k = 4 AND t1 IS NOT NULL AND t2 IS NOT NULL AND t3 IS NOT NULL
                    AND t4 IS NOT NULL THEN t1 + t2 + t3 + t4
                 ELSE annual * v.k / 4 END
        ELSE coalesce(CASE v.k WHEN 1 THEN t1 WHEN 2 THEN t2 WHEN 3 THEN t3 ELSE t4 END, annual)
        END AS ytd_target
    FROM valued v LEFT JOIN targets_wide t ON t.code = v.code AND t.fy = v.fy
),
compared AS (
    SELECT t.*, prev.ytd_value AS previous_ytd_value, i.polarity, i.decimals,
           i.tolerance, i.tolerance_type
    FROM targeted t
    JOIN ind i ON i.code = t.code
    LEFT JOIN targeted prev ON prev.code = t.code AND prev.fy = t.fy - 1
        AND prev.period_type = t.period_type AND prev.period_number = t.period_number
),
rounded AS (
    SELECT *,
        excel_round(ytd_value, decimals) AS a,
        excel_round(ytd_target, decimals) AS tr,
        excel_round(previous_ytd_value, decimals) AS b
    FROM compared
),
judged AS (
    SELECT *,
        CASE WHEN tolerance_type = 'absolute' THEN tolerance ELSE tolerance * abs(tr) END AS tol,
        CASE WHEN a > b + 1e-9 THEN 'up' WHEN a < b - 1e-9 THEN 'down' ELSE 'unchanged' END
            AS moved,
        CASE WHEN abs(b - tr) > abs(a - tr) + 1e-9 THEN 'improved'
             WHEN abs(b - tr) < abs(a - tr) - 1e-9 THEN 'worsened' ELSE 'unchanged' END AS closer
    FROM rounded
)
SELECT code AS indicator_code, fy, period_type, period_number, period_value, ytd_value,
    ytd_target, previous_ytd_value, months_expected, months_present,
    CASE WHEN polarity = 'none' OR tr IS NULL THEN 'no_target'
         WHEN a IS NULL THEN 'no_data'
         WHEN polarity = 'higher' THEN CASE WHEN a >= tr - 1e-9 THEN 'green'
              WHEN a >= tr - tol - 1e-9 THEN 'amber' ELSE 'red' END
         WHEN polarity = 'lower' THEN CASE WHEN a <= tr + 1e-9 THEN 'green'
              WHEN a <= tr + tol + 1e-9 THEN 'amber' ELSE 'red' END
         ELSE CASE WHEN abs(a - tr) <= tol + 1e-9 THEN 'green'
              WHEN abs(a - tr) <= 2 * tol + 1e-9 THEN 'amber' ELSE 'red' END
    END AS rag,
    CASE WHEN a IS NULL OR b IS NULL THEN 'not_comparable'
         WHEN polarity = 'none' OR (polarity = 'target' AND tr IS NULL) THEN moved
         WHEN polarity = 'higher' THEN CASE moved WHEN 'up' THEN 'improved'
              WHEN 'down' THEN 'worsened' ELSE 'unchanged' END
         WHEN polarity = 'lower' THEN CASE moved WHEN 'down' THEN 'improved'
              WHEN 'up' THEN 'worsened' ELSE 'unchanged' END
         ELSE closer
    END AS direction
FROM judged
"""


def compute_measures_duckdb(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    targets: pl.DataFrame,
    as_of: dt.date,
    year_start_month: int = 4,
) -> pl.DataFrame:
    """The measures of SPEC §3, computed by DuckDB from the same frames."""
    last_fy = as_of.year if as_of.month >= year_start_month else as_of.year - 1
    connection = duckdb.connect()
    try:
        connection.execute(EXCEL_ROUND)
        connection.register("ind", indicators.to_arrow())
        connection.register("obs", observations.to_arrow())
        connection.register("tgt", targets.with_columns(pl.col("period").fill_null("")).to_arrow())
        params = {"as_of": as_of, "ysm": year_start_month, "last_fy": last_fy}
        result = connection.sql(SQL, params=params).to_arrow_table()
        return pl.from_arrow(result)  # type: ignore[return-value]
    finally:
        connection.close()
