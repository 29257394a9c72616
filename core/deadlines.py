"""When a department's return is due: the periods a source owes and each one's due date.

Working days leave out weekends and the bank holidays of England and Wales, from the
``holidays`` library (maintained, with substitute days such as "Boxing Day (observed)").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from core.periods import fy_label, fy_month_end, fy_month_start, fy_of, parse_reporting_period

Every = Literal["month", "quarter"]
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass(frozen=True, order=True)
class ReturnPeriod:
    """One return a source owes: the FY months it covers, first to last."""

    fy: int
    first_fm: int
    last_fm: int

    def label(self, year_start_month: int = 4) -> str:
        if self.first_fm == self.last_fm:  # a month, as the calendar names it
            return f"{fy_month_start(self.fy, self.first_fm, year_start_month):%Y-%m}"
        return f"{fy_label(self.fy)} Q{self.last_fm // 3}"

    def end(self, year_start_month: int = 4) -> dt.date:
        return fy_month_end(self.fy, self.last_fm, year_start_month)

    def following(self) -> ReturnPeriod:
        span = self.last_fm - self.first_fm + 1
        if self.last_fm == 12:
            return ReturnPeriod(self.fy + 1, 1, span)
        return ReturnPeriod(self.fy, self.last_fm + 1, self.last_fm + span)


def period_of(fy: int, fm: int, every: Every) -> ReturnPeriod:
    """The return (a month, or a quarter) that FY month ``fm`` of ``fy`` belongs to."""
    if every == "month":
        return ReturnPeriod(fy, fm, fm)
    last = (fm + 2) // 3 * 3
    return ReturnPeriod(fy, last - 2, last)


def parse_return_period(text: str, every: Every, year_start_month: int = 4) -> ReturnPeriod | None:
    """``2026/27 Q2`` (quarterly returns) or ``2026-07`` (monthly ones)."""
    if every == "month":
        found = _MONTH.match(text)
        if not found or not 1 <= int(found[2]) <= 12:
            return None
        day = dt.date(int(found[1]), int(found[2]), 1)
        fy = fy_of(day, year_start_month)
        fm = (day.month - year_start_month) % 12 + 1
        return ReturnPeriod(fy, fm, fm)
    parsed = parse_reporting_period(text)
    if parsed is None or parsed[1].suffix not in ("Q1", "Q2", "Q3", "Q4"):
        return None
    fy, reporting = parsed
    return period_of(fy, reporting.end_fm, "quarter")


@cache
def _bank_holidays(year: int) -> frozenset[dt.date]:
    import holidays  # half a second to import: only a run that dates returns needs it

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_after(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day`` (``day`` itself when ``count`` is 0)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def due_date(
    period_end: dt.date, working_days: int | None = None, calendar_days: int | None = None
) -> dt.date:
    """A return is due a number of working days, or of calendar days, after its period ends."""
    if working_days is not None:
        return working_days_after(period_end, working_days)
    return period_end + dt.timedelta(days=calendar_days or 0)
