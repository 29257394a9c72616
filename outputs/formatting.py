"""How figures, statuses and directions read in a board report."""

from __future__ import annotations

import datetime as dt

import polars as pl

from core.periods import PERIODS_BY_SUFFIX, fy_label, fy_month_end, fy_month_start
from core.rounding import round_half_away
from outputs.status import status_definitions

# (symbol, words) so that status never relies on colour alone.
STATUS = {
    "green": ("✔", "On target"),
    "amber": ("▲", "Near target"),
    "red": ("✖", "Off target"),
    "no_target": ("○", "Data only"),
    "no_data": ("–", "No data"),
    "incomplete": ("…", "Incomplete"),  # never coloured as a status (SPEC §5)
}
STATUS_MEANING = status_definitions("tolerance", {})
DIRECTION = {
    "improved": ("↑", "Improved"),
    "worsened": ("↓", "Worse"),
    "unchanged": ("→", "No change"),
    "up": ("↗", "Up"),
    "down": ("↘", "Down"),
    "not_comparable": ("·", "Not comparable"),
}
MILESTONE = {
    "complete": ("✔", "Complete"),
    "on_track": ("►", "On track"),
    "at_risk": ("?", "At risk"),
    "off_track": ("✖", "Off track"),
}
# A milestone not complete whose (revised, else original) date has passed (SPEC §4).
OVERDUE = ("⚠", "Overdue")
PERIOD_WORDS = {"Q": "Quarter", "H": "Half-year"}


def period_title(fy: int, suffix: str) -> str:
    """``(2019, "Q2")`` -> ``Quarter 2 2019/20``; ``H1`` -> ``Half-year 1 2019/20``."""
    return f"{PERIOD_WORDS[suffix[0]]} {suffix[1:]} {fy_label(fy)}"


def period_dates(fy: int, suffix: str, year_start_month: int = 4) -> tuple[dt.date, dt.date]:
    """The first and last day of a reporting period (``suffix`` Q1..Q4, H1, H2)."""
    period = PERIODS_BY_SUFFIX[suffix]
    return (
        fy_month_start(fy, period.start_fm, year_start_month),
        fy_month_end(fy, period.end_fm, year_start_month),
    )


def day_text(day: dt.date) -> str:
    """``2026-09-30`` -> ``30 September 2026``."""
    return f"{day.day} {day:%B %Y}"


def dated_period_title(fy: int, suffix: str, year_start_month: int = 4) -> str:
    """``Quarter 2 2026/27: 1 July to 30 September 2026`` (SPEC §5)."""
    start, end = period_dates(fy, suffix, year_start_month)
    first = f"{start.day} {start:%B}" + (f" {start.year}" if start.year != end.year else "")
    return f"{period_title(fy, suffix)}: {first} to {day_text(end)}"


def uk_date(column: pl.Expr) -> pl.Expr:
    """A date as a UK reader writes it: ``2026-09-30`` -> ``30 September 2026``."""
    return column.dt.strftime("%-d %B %Y")


def labelled(mapping: dict[str, tuple[str, str]], key: str | None) -> str:
    symbol, words = mapping.get(key or "", ("", key or ""))
    return f"{symbol} {words}".strip()


def labels(column: str, mapping: dict[str, tuple[str, str]]) -> pl.Expr:
    """Vectorised :func:`labelled`: ``green`` -> ``✔ On target`` for a whole column."""
    return pl.col(column).replace_strict(
        {key: labelled(mapping, key) for key in mapping}, default=pl.col(column)
    )


# boardpack's words when statuses say whether the year's target will be met (SPEC §3).
FORECAST_STATUS = {"green": "On track", "amber": "Improvement likely", "red": "Off track"}


def status_words(
    council_words: dict[str, str], rating: str = "tolerance"
) -> dict[str, tuple[str, str]]:
    """:data:`STATUS` in the council's own words where it has given them (and, rated by
    forecast, in words that say so)."""
    own = FORECAST_STATUS if rating == "forecast" else {}
    return {
        key: (symbol, council_words.get(key, own.get(key, words)))
        for key, (symbol, words) in STATUS.items()
    }


def format_figure(
    value: float | None, unit: str, decimals: int, unit_label: str | None = None
) -> str:
    """A value already rounded to ``decimals``, written for its unit, with the council's
    words for it (``12.5 weeks``); a yes/no measure reads Yes or No."""
    if value is None:
        return "–"
    if unit == "yesno":
        return "Yes" if value >= 0.5 else "No"
    if not unit_label:
        return _figure_text(value, unit, decimals)
    return f"{_figure_text(value, 'count' if unit == 'days' else unit, decimals)} {unit_label}"


def _figure_text(value: float, unit: str, decimals: int) -> str:
    number = f"{abs(value):,.{decimals}f}"
    sign = "−" if value < 0 and float(number.replace(",", "")) != 0 else ""
    if unit == "percent":
        return f"{sign}{number}%"
    if unit == "gbp":
        return f"{sign}£{number}"
    if unit == "days":
        return f"{sign}{number} days" if number != "1" else f"{sign}1 day"
    return f"{sign}{number}"


def rounded(column: str) -> pl.Expr:
    """A figure rounded half away from zero at its indicator's decimals (for display)."""
    return round_half_away(pl.col(column), pl.col("decimals"))
