"""Generate the demo council (examples/demo-council) from a fixed seed.

    .venv/bin/python examples/generate_demo.py

Writes the configuration and every department's extracts: long CSVs from Children's
Services, a wide Excel workbook from Employment, Learning and Skills, a Windows-1252
semicolon CSV from the corporate performance system, and a SQLite table from Community
Services. A handful of realistic mistakes are planted (see MISTAKES) so that the
data-quality report has something to show.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
import shutil
import sqlite3
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import xlsxwriter

OUT = Path(__file__).parent / "demo-council"
SEED = 20261123
FIRST_FY = 2021
LAST_FY = 2026  # 2026/27, data to the end of Q2 (September 2026)
LAST_FM = 6
AS_OF = dt.date(2026, 9, 30)


@dataclass(frozen=True)
class Spec:
    code: str
    title: str
    service: str
    unit: str
    polarity: str
    aggregation: str
    frequency: str
    decimals: int
    base: float  # typical monthly (or quarterly/annual) level
    trend: float = 0.0  # change per year, as a fraction of base
    seasonal: float = 0.0  # amplitude of the yearly cycle, as a fraction of base
    noise: float = 0.05
    key: bool = False
    target: float | None = None  # annual target (level or total); None: derived
    profile: tuple[float, ...] | None = None  # Q1..Qn profiled targets
    tolerance: str = ""
    tolerance_type: str = ""


SPECS = [
    # Children's Social Care
    Spec(
        "CYP SC 01",
        "Child protection plans reviewed within timescale",
        "Children's Social Care",
        "percent",
        "higher",
        "ratio",
        "monthly",
        1,
        96,
        0.01,
        0,
        0.02,
        key=True,
        target=98,
    ),
    Spec(
        "CYP SC 02",
        "Number of children looked after",
        "Children's Social Care",
        "count",
        "none",
        "last",
        "monthly",
        0,
        212,
        0.03,
        0.02,
        0.02,
    ),
    Spec(
        "CYP SC 03",
        "Average days from referral to completed assessment",
        "Children's Social Care",
        "days",
        "lower",
        "mean",
        "monthly",
        1,
        31,
        -0.04,
        0.08,
        0.08,
        target=30,
    ),
    Spec(
        "CYP SC 04",
        "Re-referrals within 12 months",
        "Children's Social Care",
        "percent",
        "lower",
        "ratio",
        "quarterly",
        1,
        19,
        -0.02,
        0,
        0.1,
        target=18,
    ),
    Spec(
        "CYP SC 05",
        "New foster carers approved",
        "Children's Social Care",
        "count",
        "higher",
        "sum",
        "quarterly",
        0,
        6,
        0.05,
        0.2,
        0.25,
        target=24,
    ),
    Spec(
        "CYP SC 06",
        "Care leavers in education, employment or training",
        "Children's Social Care",
        "percent",
        "higher",
        "last",
        "quarterly",
        1,
        58,
        0.02,
        0,
        0.04,
        target=60,
    ),
    Spec(
        "CYP SC 07",
        "Average caseload per social worker",
        "Children's Social Care",
        "count",
        "target",
        "mean",
        "monthly",
        1,
        17.5,
        0.0,
        0.05,
        0.05,
        target=17,
        tolerance="1",
        tolerance_type="absolute",
    ),
    Spec(
        "CYP SC 08",
        "Children with three or more placements in the year",
        "Children's Social Care",
        "percent",
        "lower",
        "ratio",
        "annual",
        1,
        9.5,
        -0.03,
        0,
        0.1,
        target=9,
    ),
    # Education and Schools
    Spec(
        "CYP ED 01",
        "Primary school persistent absence rate",
        "Education and Schools",
        "percent",
        "lower",
        "mean",
        "monthly",
        1,
        16,
        -0.05,
        0.15,
        0.05,
        target=15,
    ),
    Spec(
        "CYP ED 02",
        "Education, Health and Care plans issued within 20 weeks",
        "Education and Schools",
        "percent",
        "higher",
        "ratio",
        "monthly",
        1,
        52,
        0.06,
        0,
        0.1,
        key=True,
        target=60,
    ),
    Spec(
        "CYP ED 03",
        "Permanent exclusions",
        "Education and Schools",
        "count",
        "lower",
        "sum",
        "quarterly",
        0,
        7,
        0.05,
        0.3,
        0.3,
        target=26,
    ),
    Spec(
        "CYP ED 04",
        "Pupils reaching the expected standard at Key Stage 2",
        "Education and Schools",
        "percent",
        "higher",
        "last",
        "annual",
        0,
        59,
        0.01,
        0,
        0.03,
        target=60,
    ),
    Spec(
        "CYP ED 05",
        "Take-up of funded early education by eligible two-year-olds",
        "Education and Schools",
        "percent",
        "higher",
        "last",
        "quarterly",
        0,
        71,
        0.01,
        0.03,
        0.03,
        target=75,
    ),
    Spec(
        "CYP ED 06",
        "Schools judged good or outstanding",
        "Education and Schools",
        "percent",
        "higher",
        "last",
        "quarterly",
        1,
        86,
        0.01,
        0,
        0.01,
        target=88,
    ),
    Spec(
        "CYP ED 07",
        "Home to school transport cost per pupil",
        "Education and Schools",
        "gbp",
        "lower",
        "mean",
        "quarterly",
        2,
        6150,
        0.06,
        0.03,
        0.03,
        target=6300,
    ),
    Spec(
        "CYP ED 08",
        "Elective home education registrations",
        "Education and Schools",
        "count",
        "none",
        "sum",
        "monthly",
        0,
        14,
        0.08,
        0.3,
        0.3,
    ),
    # Employment and Skills
    Spec(
        "ELS ES 01",
        "People supported into employment",
        "Employment and Skills",
        "count",
        "higher",
        "sum",
        "monthly",
        0,
        42,
        0.04,
        0.15,
        0.15,
        key=True,
        target=520,
    ),
    Spec(
        "ELS ES 02",
        "Apprenticeship starts",
        "Employment and Skills",
        "count",
        "higher",
        "sum",
        "monthly",
        0,
        28,
        0.02,
        0.5,
        0.2,
        target=330,
    ),
    Spec(
        "ELS ES 03",
        "Claimant count rate (residents aged 16 to 64)",
        "Employment and Skills",
        "percent",
        "lower",
        "last",
        "monthly",
        1,
        4.1,
        -0.04,
        0.04,
        0.02,
        target=4.0,
    ),
    Spec(
        "ELS ES 04",
        "Businesses supported by the growth hub",
        "Employment and Skills",
        "count",
        "higher",
        "sum",
        "monthly",
        0,
        35,
        0.03,
        0.1,
        0.2,
        target=400,
    ),
    Spec(
        "ELS ES 05",
        "Job outcomes sustained for 26 weeks",
        "Employment and Skills",
        "percent",
        "higher",
        "last",
        "quarterly",
        1,
        44,
        0.03,
        0,
        0.05,
        target=45,
    ),
    Spec(
        "ELS ES 06",
        "Young people not in education, employment or training (NEET)",
        "Employment and Skills",
        "percent",
        "lower",
        "mean",
        "monthly",
        1,
        4.6,
        -0.03,
        0.2,
        0.04,
        target=4.5,
    ),
    # Adult Learning
    Spec(
        "ELS AL 01",
        "Adult learning course enrolments",
        "Adult Learning",
        "count",
        "higher",
        "sum",
        "monthly",
        0,
        610,
        0.02,
        0.5,
        0.1,
        target=7400,
    ),
    Spec(
        "ELS AL 02",
        "Learner retention rate",
        "Adult Learning",
        "percent",
        "higher",
        "mean",
        "monthly",
        1,
        91,
        0.0,
        0.01,
        0.02,
        target=92,
    ),
    Spec(
        "ELS AL 03",
        "Learner satisfaction score (out of 10)",
        "Adult Learning",
        "score",
        "higher",
        "mean",
        "quarterly",
        1,
        8.4,
        0.01,
        0,
        0.03,
        target=8.5,
    ),
    Spec(
        "ELS AL 04",
        "Learners achieving a qualification",
        "Adult Learning",
        "percent",
        "higher",
        "last",
        "annual",
        1,
        82,
        0.01,
        0,
        0.02,
        target=85,
    ),
    # Libraries
    Spec(
        "ELS LI 01",
        "Library visits",
        "Libraries",
        "count",
        "higher",
        "sum",
        "monthly",
        0,
        48000,
        -0.01,
        0.12,
        0.05,
        target=590000,
    ),
    Spec(
        "ELS LI 02",
        "Library book issues",
        "Libraries",
        "count",
        "higher",
        "sum",
        "monthly",
        0,
        39000,
        -0.03,
        0.1,
        0.05,
        target=460000,
    ),
    Spec(
        "ELS LI 03",
        "Digital loans (e-books and e-audio)",
        "Libraries",
        "count",
        "none",
        "sum",
        "monthly",
        0,
        9500,
        0.12,
        0.08,
        0.06,
    ),
    Spec(
        "ELS LI 04",
        "Library computer sessions per 1,000 population",
        "Libraries",
        "rate",
        "higher",
        "sum",
        "monthly",
        1,
        21.5,
        -0.02,
        0.1,
        0.06,
        target=270,
    ),
    # Finance
    Spec(
        "FIN 01",
        "Council tax collected",
        "Finance",
        "percent",
        "higher",
        "last",
        "monthly",
        1,
        97,
        0.0,
        0,
        0.004,
        key=True,
        profile=(29.0, 57.0, 85.0, 97.0),
    ),
    Spec(
        "FIN 02",
        "Business rates (NNDR) collected",
        "Finance",
        "percent",
        "higher",
        "last",
        "monthly",
        1,
        98,
        0.0,
        0,
        0.006,
        profile=(30.0, 58.0, 86.0, 98.0),
    ),
    Spec(
        "FIN 03",
        "Invoices paid within 30 days",
        "Finance",
        "percent",
        "higher",
        "ratio",
        "monthly",
        1,
        93,
        0.005,
        0,
        0.02,
        target=95,
    ),
    Spec(
        "FIN 04",
        "Average days to process new housing benefit claims",
        "Finance",
        "days",
        "lower",
        "mean",
        "monthly",
        1,
        19,
        -0.05,
        0.08,
        0.08,
        target=18,
    ),
    Spec(
        "FIN 05",
        "Sundry debt over 90 days old",
        "Finance",
        "gbp",
        "lower",
        "last",
        "quarterly",
        0,
        1250000,
        0.02,
        0,
        0.06,
        target=1200000,
    ),
    Spec(
        "FIN 06",
        "Revenue budget variance",
        "Finance",
        "gbp",
        "target",
        "last",
        "quarterly",
        0,
        0,
        0,
        0,
        0,
        target=0,
        tolerance="250000",
        tolerance_type="absolute",
    ),
    # Customer Services
    Spec(
        "CS 01",
        "Calls answered within 60 seconds",
        "Customer Services",
        "percent",
        "higher",
        "ratio",
        "monthly",
        1,
        78,
        0.02,
        0.05,
        0.04,
        target=80,
    ),
    Spec(
        "CS 02",
        "Complaints responded to within 10 working days",
        "Customer Services",
        "percent",
        "higher",
        "ratio",
        "monthly",
        1,
        86,
        0.01,
        0,
        0.04,
        target=90,
    ),
    Spec(
        "CS 03",
        "Customer satisfaction score (out of 10)",
        "Customer Services",
        "score",
        "higher",
        "mean",
        "quarterly",
        1,
        7.6,
        0.01,
        0,
        0.03,
        target=7.5,
    ),
    Spec(
        "CS 04",
        "Freedom of Information requests answered within 20 working days",
        "Customer Services",
        "percent",
        "higher",
        "ratio",
        "monthly",
        1,
        88,
        0.01,
        0,
        0.04,
        target=90,
    ),
    # Human Resources
    Spec(
        "HR 01",
        "Working days lost to sickness per full-time employee",
        "Human Resources",
        "days",
        "lower",
        "sum",
        "monthly",
        2,
        0.72,
        -0.02,
        0.25,
        0.08,
        profile=(1.9, 3.9, 6.1, 8.5),
    ),
    Spec(
        "HR 02",
        "Staff turnover",
        "Human Resources",
        "percent",
        "target",
        "last",
        "quarterly",
        1,
        10.5,
        0.0,
        0,
        0.08,
        target=10,
    ),
    Spec(
        "HR 03",
        "Agency staff spend",
        "Human Resources",
        "gbp",
        "lower",
        "sum",
        "quarterly",
        0,
        410000,
        -0.04,
        0.1,
        0.08,
        target=1500000,
    ),
    # Planning
    Spec(
        "PL 01",
        "Major planning applications decided within 13 weeks or agreed time",
        "Planning",
        "percent",
        "higher",
        "ratio",
        "quarterly",
        0,
        88,
        0.01,
        0,
        0.06,
        key=True,
        target=90,
    ),
    Spec(
        "PL 02",
        "Minor planning applications decided within 8 weeks or agreed time",
        "Planning",
        "percent",
        "higher",
        "ratio",
        "quarterly",
        0,
        82,
        0.01,
        0,
        0.05,
        target=85,
    ),
    Spec(
        "PL 03",
        "Other planning applications decided within 8 weeks or agreed time",
        "Planning",
        "percent",
        "higher",
        "ratio",
        "quarterly",
        0,
        90,
        0.0,
        0,
        0.03,
        target=90,
    ),
    Spec(
        "PL 04",
        "Net additional homes provided",
        "Planning",
        "count",
        "higher",
        "sum",
        "annual",
        0,
        640,
        0.05,
        0,
        0.12,
        target=700,
    ),
    # Waste and Recycling
    Spec(
        "WR 01",
        "Household waste sent for reuse, recycling and composting",
        "Waste and Recycling",
        "percent",
        "higher",
        "ratio",
        "quarterly",
        1,
        47,
        0.01,
        0.08,
        0.03,
        key=True,
        target=50,
    ),
    Spec(
        "WR 02",
        "Residual household waste per household (kg)",
        "Waste and Recycling",
        "rate",
        "lower",
        "sum",
        "quarterly",
        1,
        118,
        -0.02,
        0.05,
        0.03,
        target=460,
    ),
    Spec(
        "WR 03",
        "Missed bin collections per 100,000 collections",
        "Waste and Recycling",
        "rate",
        "lower",
        "mean",
        "monthly",
        1,
        38,
        -0.03,
        0.2,
        0.15,
        target=40,
    ),
    Spec(
        "WR 04",
        "Fly-tipping incidents",
        "Waste and Recycling",
        "count",
        "lower",
        "sum",
        "monthly",
        0,
        160,
        0.03,
        0.15,
        0.12,
        target=1800,
    ),
    # Open Spaces
    Spec(
        "OS 01",
        "Parks inspections completed on time",
        "Open Spaces",
        "percent",
        "higher",
        "ratio",
        "monthly",
        1,
        93,
        0.01,
        0.02,
        0.03,
        target=95,
    ),
    Spec(
        "OS 02",
        "Parks holding a Green Flag award",
        "Open Spaces",
        "count",
        "higher",
        "last",
        "annual",
        0,
        6,
        0.1,
        0,
        0.1,
        target=7,
    ),
    Spec(
        "OS 03",
        "Trees planted",
        "Open Spaces",
        "count",
        "higher",
        "sum",
        "quarterly",
        0,
        450,
        0.1,
        0.9,
        0.2,
        target=2000,
        profile=(100.0, 100.0),
    ),
    Spec(
        "OS 04",
        "Residents satisfied with parks and open spaces",
        "Open Spaces",
        "percent",
        "higher",
        "last",
        "annual",
        0,
        78,
        0.01,
        0,
        0.03,
        target=80,
    ),
    Spec(
        "OS 05",
        "Allotment waiting list",
        "Open Spaces",
        "count",
        "lower",
        "last",
        "quarterly",
        0,
        320,
        0.04,
        0,
        0.05,
        target=300,
    ),
    # Leisure Services
    Spec(
        "LS 01",
        "Leisure centre visits",
        "Leisure Services",
        "count",
        "higher",
        "sum",
        "monthly",
        0,
        61000,
        0.05,
        0.1,
        0.05,
        key=True,
        target=760000,
        profile=(185000.0, 190000.0),
    ),
    Spec(
        "LS 02",
        "Gym memberships",
        "Leisure Services",
        "count",
        "higher",
        "last",
        "monthly",
        0,
        5400,
        0.03,
        0.05,
        0.02,
        target=5600,
    ),
    Spec(
        "LS 03",
        "Swimming lessons delivered",
        "Leisure Services",
        "count",
        "higher",
        "sum",
        "monthly",
        0,
        3900,
        0.02,
        0.2,
        0.08,
        target=46000,
    ),
    Spec(
        "LS 04",
        "Leisure subsidy per visit",
        "Leisure Services",
        "gbp",
        "lower",
        "ratio",
        "quarterly",
        2,
        0.42,
        -0.05,
        0,
        0.08,
        target=0.4,
    ),
    Spec(
        "LS 05",
        "Sports pitch bookings",
        "Leisure Services",
        "count",
        "none",
        "sum",
        "monthly",
        0,
        620,
        0.02,
        0.6,
        0.1,
    ),
    # Communities and Partnerships
    Spec(
        "CP 01",
        "Community grants awarded",
        "Communities and Partnerships",
        "gbp",
        "none",
        "sum",
        "quarterly",
        0,
        62000,
        0.03,
        0.2,
        0.15,
    ),
    Spec(
        "CP 02",
        "Volunteer hours supported",
        "Communities and Partnerships",
        "count",
        "higher",
        "sum",
        "quarterly",
        0,
        5200,
        0.04,
        0.1,
        0.1,
        target=21000,
    ),
    Spec(
        "CP 03",
        "Residents who feel they belong to their neighbourhood",
        "Communities and Partnerships",
        "percent",
        "higher",
        "last",
        "annual",
        0,
        64,
        0.01,
        0,
        0.03,
        target=65,
    ),
    Spec(
        "CP 04",
        "Community centre occupancy",
        "Communities and Partnerships",
        "percent",
        "target",
        "mean",
        "monthly",
        0,
        74,
        0.02,
        0.08,
        0.06,
        target=80,
        tolerance="0.1",
        tolerance_type="relative",
    ),
    Spec(
        "CP 05",
        "Anti-social behaviour incidents reported",
        "Communities and Partnerships",
        "count",
        "lower",
        "sum",
        "monthly",
        0,
        410,
        -0.03,
        0.2,
        0.1,
        target=4700,
    ),
    Spec(
        "CP 06",
        "Domestic abuse referrals to support services",
        "Communities and Partnerships",
        "count",
        "none",
        "sum",
        "quarterly",
        0,
        190,
        0.06,
        0.05,
        0.1,
    ),
]

BOARDS = [
    (
        "cyp-ppb",
        "Children and Young People Policy and Performance Board",
        "quarterly",
        ["Children's Social Care", "Education and Schools"],
    ),
    (
        "els-ppb",
        "Employment, Learning and Skills Policy and Performance Board",
        "quarterly",
        ["Employment and Skills", "Adult Learning", "Libraries"],
    ),
    (
        "cabinet",
        "Cabinet",
        "half-yearly",
        ["Finance", "Customer Services", "Human Resources", "Planning", "Waste and Recycling"],
    ),
    (
        "community-services",
        "Community Services Committee",
        "half-yearly",
        ["Open Spaces", "Leisure Services", "Communities and Partnerships"],
    ),
]

DEPARTMENT_OF = {
    "Children's Social Care": "children",
    "Education and Schools": "children",
    "Employment and Skills": "els",
    "Adult Learning": "els",
    "Libraries": "els",
    "Finance": "corporate",
    "Customer Services": "corporate",
    "Human Resources": "corporate",
    "Planning": "corporate",
    "Waste and Recycling": "corporate",
    "Open Spaces": "community",
    "Leisure Services": "community",
    "Communities and Partnerships": "community",
}

COMMENTS = [
    "On track; no issues to report.",
    "Below profile due to staff vacancies; recruitment under way.",
    "Seasonal dip as expected over the summer holidays.",
    "Improvement following the new triage process & extra staffing.",
    "Figures validated by the service manager.",
    "Demand higher than last year; monitoring closely.",
]
# Text a department might paste in; the reports must show it as text, never run it.
HOSTILE_COMMENT = "Data checked <script>alert('x')</script> by <b>AB</b> & team"


def fy_label(fy: int) -> str:
    return f"{fy}/{(fy + 1) % 100:02d}"


def month_of(fy: int, fm: int) -> tuple[int, int]:
    months = fy * 12 + 3 + fm - 1
    return months // 12, months % 12 + 1


def level(spec: Spec, fy: int, fm: int, rng: random.Random) -> float:
    """The indicator's value in FY month fm, with trend, seasonality and noise."""
    years = fy - FIRST_FY + (fm - 1) / 12
    cycle = math.sin(2 * math.pi * (fm - 1) / 12)
    value = spec.base * (1 + spec.trend * years) * (1 + spec.seasonal * cycle)
    return value * (1 + rng.gauss(0, spec.noise))


def rounded(spec: Spec, value: float) -> float:
    value = round(value, spec.decimals)
    if spec.unit == "percent":
        value = min(max(value, 0.0), 100.0)
    if spec.unit in ("count", "days"):
        value = max(value, 0.0)
    return value


def slots(spec: Spec) -> list[tuple[int, int, str]]:
    """(fy, fm, period label) of every observation the indicator has, oldest first."""
    out = []
    for fy in range(FIRST_FY, LAST_FY + 1):
        if spec.frequency == "monthly":
            for fm in range(1, 13):
                if (fy, fm) <= (LAST_FY, LAST_FM):
                    year, month = month_of(fy, fm)
                    out.append((fy, fm, f"{year}-{month:02d}"))
        elif spec.frequency == "quarterly":
            for q in range(1, 5):
                if (fy, q * 3) <= (LAST_FY, LAST_FM):
                    out.append((fy, q * 3, f"{fy_label(fy)} Q{q}"))
        elif fy < LAST_FY:
            out.append((fy, 12, fy_label(fy)))
    return out


def observations(spec: Spec, rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for fy, fm, label in slots(spec):
        row = {
            "indicator_code": spec.code,
            "period": label,
            "value": "",
            "numerator": "",
            "denominator": "",
            "commentary": "",
        }
        if spec.code in ("FIN 01", "FIN 02"):
            # In-year collection is cumulative: it climbs to the year's rate by March.
            value = rounded(spec, level(spec, fy, fm, rng) * fm / 12)
        elif spec.code == "FIN 06":
            value = round(rng.gauss(-60000, 180000), -3)
        else:
            value = rounded(spec, level(spec, fy, fm, rng))
        if spec.aggregation == "ratio":
            scale = 100 if spec.unit == "percent" else 1
            denominator = rng.randint(40, 400) if scale == 100 else rng.randint(50000, 90000)
            if spec.code == "LS 04":
                denominator = rng.randint(150000, 200000)
            numerator = round(denominator * value / scale, 0 if scale == 100 else 2)
            row["numerator"] = _text(numerator)
            row["denominator"] = str(denominator)
            exact = Decimal(str(numerator)) / Decimal(denominator) * scale
            places = Decimal(1).scaleb(-spec.decimals)
            value_text = str(exact.quantize(places, rounding=ROUND_HALF_UP))
            row["value"] = value_text if rng.random() < 0.7 else ""
        else:
            row["value"] = _text(value, spec.decimals)
        if rng.random() < 0.25:
            row["commentary"] = rng.choice(COMMENTS)
        rows.append(row)
    return rows


def _text(value: float, decimals: int | None = None) -> str:
    if decimals == 0 or float(value).is_integer():
        return str(round(value))
    return f"{value:.{decimals if decimals is not None else 2}f}".rstrip("0").rstrip(".")


def targets_rows() -> list[dict[str, str]]:
    rows = []
    for spec in SPECS:
        if spec.polarity == "none":
            continue
        for fy in range(FIRST_FY, LAST_FY + 1):
            drift = 1 + 0.01 * (fy - FIRST_FY) * (1 if spec.polarity == "higher" else -1)
            if spec.code == "CYP SC 06" and fy == LAST_FY:
                continue  # not yet agreed for this year: the report shows "no target"
            if spec.profile is not None:
                for q, amount in enumerate(spec.profile, start=1):
                    rows.append(
                        {
                            "code": spec.code,
                            "financial_year": fy_label(fy),
                            "period": f"Q{q}",
                            "target": _text(amount, spec.decimals),
                        }
                    )
                if len(spec.profile) == 4:
                    continue
            if spec.target is None:
                continue
            annual = (
                spec.target if spec.target == 0 or spec.unit == "percent" else spec.target * drift
            )
            rows.append(
                {
                    "code": spec.code,
                    "financial_year": fy_label(fy),
                    "period": "",
                    "target": _text(round(annual, spec.decimals), spec.decimals),
                }
            )
    return rows


# ELS has not yet sent its quarterly figures for the latest quarter: the data-quality page
# lists the source as having nothing for it.
LATE_RETURN = "2026/27 Q2"

# Mistakes a department really makes; each becomes a rejection with a reason.
MISTAKES = {
    "unknown_code": "children: CYP SC 09 (a typo for CYP SC 05) in 2025/26",
    "duplicate_in_extract": "children: CYP SC 05 2026/27 Q1 pasted twice",
    "not_a_number": "corporate: FIN 03 numerator '1,204'; els: ELS ES 02 'n/a'",
    "future_period": "corporate: PL 01 entered against 2026/27 Q3",
    "ratio_inconsistent": "corporate: WR 01 2024/25 Q2 value disagrees with its parts",
    "missing_value": "community: LS 03 with no figure for 2026-08",
    "percent_out_of_range": "community: CP 04 entered as 104 for 2026-07",
}


def write_children(rows: list[dict[str, str]], folder: Path) -> None:
    by_year: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        by_year.setdefault(
            int(row["period"][:4]) if "/" in row["period"] else _fy_of_month(row["period"]), []
        ).append(row)
    for fy, year_rows in sorted(by_year.items()):
        if fy == 2025:
            year_rows.append({**year_rows[3], "indicator_code": "CYP SC 09"})
        if fy == LAST_FY:
            repeated = next(r for r in year_rows if r["indicator_code"] == "CYP SC 05")
            year_rows.append(dict(repeated))
        if fy == 2024:
            year_rows[5] = {**year_rows[5], "commentary": HOSTILE_COMMENT}
        path = folder / f"cyp_returns_{fy}-{(fy + 1) % 100:02d}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(year_rows[0]))
            writer.writeheader()
            writer.writerows(year_rows)


def _fy_of_month(label: str) -> int:
    year, month = int(label[:4]), int(label[5:7])
    return year if month >= 4 else year - 1


def write_corporate(rows: list[dict[str, str]], folder: Path) -> None:
    headers = {
        "indicator_code": "KPI Ref",
        "period": "Period",
        "value": "Actual",
        "numerator": "Numerator",
        "denominator": "Denominator",
        "commentary": "Officer comment",
    }
    by_year: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        fy = int(row["period"][:4]) if "/" in row["period"] else _fy_of_month(row["period"])
        by_year.setdefault(fy, []).append(row)
    for fy, year_rows in sorted(by_year.items()):
        for row in year_rows:
            if fy == 2025 and row["indicator_code"] == "FIN 03" and row["period"] == "2025-06":
                row["numerator"] = "1,204"
            if fy == 2024 and row["indicator_code"] == "WR 01" and row["period"].endswith("Q2"):
                row["value"] = str(
                    round(float(row["numerator"]) / float(row["denominator"]) * 100 + 3, 1)
                )
            if fy == 2023 and row["indicator_code"] == "HR 03" and row["commentary"]:
                row["commentary"] = "Agency spend of £38k on interim posts"
        if fy == LAST_FY:
            year_rows.append(
                {
                    **next(r for r in year_rows if r["indicator_code"] == "PL 01"),
                    "period": "2026/27 Q3",
                }
            )
        path = folder / f"corporate_kpis_{fy}-{(fy + 1) % 100:02d}.csv"
        with path.open("w", newline="", encoding="cp1252") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(headers.values())
            for row in year_rows:
                writer.writerow([row[k] for k in headers])


def write_els(rows: list[dict[str, str]], specs: list[Spec], path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties(
        {"created": dt.datetime(2026, 10, 5, 9, 0, 0), "author": "ELS Performance Team"}
    )
    bold = workbook.add_format({"bold": True})
    monthly = [s for s in specs if s.frequency == "monthly"]
    other = [s for s in specs if s.frequency != "monthly"]
    values = {(r["indicator_code"], r["period"]): r["value"] for r in rows}
    for name, group in (("Monthly", monthly), ("Quarterly and annual", other)):
        sheet = workbook.add_worksheet(name)
        sheet.write(
            0, 0, f"Employment, Learning and Skills: {name.lower()} performance returns", bold
        )
        sheet.write(1, 0, "Figures as at 5 October 2026. Leave a cell blank if not yet available.")
        periods: list[str] = []
        for spec in group:
            for _, _, label in slots(spec):
                if label not in periods:
                    periods.append(label)
        headers = [_wide_header(p) for p in periods]
        sheet.write_row(2, 0, ["Indicator", "Description", *headers], bold)
        for i, spec in enumerate(group, start=3):
            sheet.write(i, 0, spec.code)
            sheet.write(i, 1, spec.title)
            for j, label in enumerate(periods, start=2):
                cell = values.get((spec.code, label))
                if cell is None or cell == "" or label == LATE_RETURN:
                    continue
                if spec.code == "ELS ES 02" and label == "2026-05":
                    sheet.write_string(i, j, "n/a")
                else:
                    sheet.write_number(i, j, float(cell))
    workbook.close()


def _wide_header(label: str) -> str:
    """2021-04 -> Apr-21; 2021/22 Q1 -> Q1 2021/22; years stay as they are."""
    if len(label) == 7 and label[4] == "-":
        month = dt.date(int(label[:4]), int(label[5:]), 1)
        return month.strftime("%b-%y")
    if " Q" in label:
        fy, quarter = label.split(" ")
        return f"{quarter} {fy}"
    return label


def write_community(rows: list[dict[str, str]], path: Path) -> None:
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE kpi_returns (kpi_code TEXT, return_period TEXT, actual REAL, num REAL,"
        " den REAL, notes TEXT, entered_by TEXT)"
    )
    for row in rows:
        actual: float | None = float(row["value"]) if row["value"] else None
        if row["indicator_code"] == "LS 03" and row["period"] == "2026-08":
            actual = None
        if row["indicator_code"] == "CP 04" and row["period"] == "2026-07":
            actual = 104.0
        connection.execute(
            "INSERT INTO kpi_returns VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                row["indicator_code"],
                row["period"],
                actual,
                float(row["numerator"]) if row["numerator"] else None,
                float(row["denominator"]) if row["denominator"] else None,
                row["commentary"] or None,
                "community.performance",
            ),
        )
    connection.commit()
    connection.close()


MILESTONES = [
    (
        "CYP M01",
        "Children's Social Care",
        "Launch the family hubs model in all localities",
        "2026-12-31",
        ["on_track", "on_track", "at_risk"],
    ),
    (
        "CYP M02",
        "Education and Schools",
        "Open the new special educational needs unit at Brook Lane",
        "2026-09-01",
        ["on_track", "at_risk", "complete"],
    ),
    (
        "CYP M03",
        "Children's Social Care",
        "Recruit 12 permanent social workers",
        "2027-03-31",
        ["at_risk", "off_track", "off_track"],
    ),
    (
        "ELS M01",
        "Employment and Skills",
        "Deliver the UK Shared Prosperity Fund skills programme",
        "2027-03-31",
        ["on_track", "on_track", "on_track"],
    ),
    (
        "ELS M02",
        "Libraries",
        "Refurbish Central Library ground floor",
        "2026-11-30",
        ["on_track", "at_risk", "at_risk"],
    ),
    (
        "ELS M03",
        "Adult Learning",
        "Gain matrix accreditation for the information and advice service",
        "2026-07-31",
        ["on_track", "on_track", "complete"],
    ),
    (
        "FIN M01",
        "Finance",
        "Agree the medium-term financial strategy",
        "2026-09-30",
        ["on_track", "on_track", "complete"],
    ),
    (
        "WR M01",
        "Waste and Recycling",
        "Introduce weekly food waste collections",
        "2026-04-01",
        ["at_risk", "off_track", "off_track"],
    ),
    (
        "OS M01",
        "Open Spaces",
        "Adopt the tree planting strategy",
        "2026-10-31",
        ["on_track", "on_track", "on_track"],
    ),
    (
        "LS M01",
        "Leisure Services",
        "Reopen the refurbished Riverside pool",
        "2026-06-30",
        ["on_track", "at_risk", "complete"],
    ),
    (
        "CP M01",
        "Communities and Partnerships",
        "Refresh the community safety partnership plan",
        "2026-12-31",
        ["on_track", "on_track", "at_risk"],
    ),
]
RISKS = [
    (
        "CYP R01",
        "Children's Social Care",
        "Placement costs exceed budget",
        "high",
        "Sufficiency strategy; in-house fostering campaign",
        "Two new carers approved in the quarter",
    ),
    (
        "CYP R02",
        "Education and Schools",
        "High-needs block deficit grows",
        "high",
        "Safety Valve plan agreed with the Department for Education",
        "Deficit reduced by £0.4m",
    ),
    (
        "ELS R01",
        "Employment and Skills",
        "Loss of external skills funding after March 2027",
        "medium",
        "Exit strategy agreed with partners",
        "Bids submitted to two funds",
    ),
    (
        "FIN R01",
        "Finance",
        "Council tax collection falls with cost-of-living pressure",
        "high",
        "Earlier reminders; hardship fund",
        "Collection 0.3 points below profile",
    ),
    (
        "HR R01",
        "Human Resources",
        "Difficulty recruiting to specialist roles",
        "high",
        "Market supplements; grow-our-own apprenticeships",
        "Eight apprentices started",
    ),
    (
        "WR R01",
        "Waste and Recycling",
        "Food waste vehicles not delivered on time",
        "high",
        "Interim hire arranged",
        "Hire contract signed",
    ),
    (
        "LS R01",
        "Leisure Services",
        "Energy costs at leisure centres",
        "medium",
        "Solar panels and pool covers",
        "Panels installed at two sites",
    ),
    (
        "OS R01",
        "Open Spaces",
        "Ash dieback requires felling of mature trees",
        "high",
        "Survey programme and replanting plan",
        "Survey 60% complete",
    ),
    (
        "CP R01",
        "Communities and Partnerships",
        "Voluntary sector capacity reduces",
        "low",
        "Grants programme; volunteer centre",
        "No change this quarter",
    ),
]


def write_registers(folder: Path) -> None:
    quarters = ["2026/27 Q1", "2026/27 Q2", "2025/26 Q4"]
    with (folder / "milestones.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["ref", "service", "description", "due_date", "status", "commentary", "period"]
        )
        for ref, service, description, due, statuses in MILESTONES:
            for period, status in zip(
                ["2025/26 Q4", "2026/27 Q1", "2026/27 Q2"], statuses, strict=True
            ):
                note = {
                    "on_track": "Progressing to plan.",
                    "at_risk": "Slippage of four to six weeks.",
                    "off_track": "Will not be met; revised date to be agreed.",
                    "complete": "Completed.",
                }[status]
                writer.writerow([ref, service, description, due, status, note, period])
    with (folder / "risks.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["ref", "service", "description", "rating", "mitigation", "progress", "period"]
        )
        for ref, service, description, rating, mitigation, progress in RISKS:
            for period in quarters:
                writer.writerow([ref, service, description, rating, mitigation, progress, period])


COUNCIL_YAML = """\
# The demo council: Brookfield Borough Council (fictional). Generated by
# examples/generate_demo.py; edit the generator, not this file.
name: Brookfield Borough Council
year_start_month: 4
tolerance: {{type: relative, value: 0.05}}

boards:
{boards}
sources:
  - id: cyp-returns
    department: Children's Services
    kind: observations
    format: csv
    path: extracts/children/*.csv
    layout: long

  - id: els-monthly
    department: Employment, Learning and Skills
    kind: observations
    format: excel
    path: extracts/els/els_performance_returns.xlsx
    sheet: Monthly
    header_row: 3
    layout: wide
    columns: {{indicator_code: Indicator}}
    ignore_columns: [Description]

  - id: els-quarterly
    department: Employment, Learning and Skills
    kind: observations
    format: excel
    path: extracts/els/els_performance_returns.xlsx
    sheet: Quarterly and annual
    header_row: 3
    layout: wide
    columns: {{indicator_code: Indicator}}
    ignore_columns: [Description]

  - id: corporate-kpis
    department: Corporate Performance (Finance, HR, Customer, Planning, Waste)
    kind: observations
    format: csv
    path: extracts/corporate/*.csv
    layout: long
    columns:
      indicator_code: KPI Ref
      period: Period
      value: Actual
      numerator: Numerator
      denominator: Denominator
      commentary: Officer comment

  - id: community-db
    department: Community Services
    kind: observations
    format: sql
    url: sqlite:///extracts/community/community.db
    query: SELECT kpi_code, return_period, actual, num, den, notes FROM kpi_returns ORDER BY rowid
    layout: long
    columns:
      indicator_code: kpi_code
      period: return_period
      value: actual
      numerator: num
      denominator: den
      commentary: notes

  - id: milestones
    department: Corporate Performance
    kind: milestones
    format: csv
    path: extracts/registers/milestones.csv

  - id: risks
    department: Corporate Performance
    kind: risks
    format: csv
    path: extracts/registers/risks.csv
"""


def write_config() -> None:
    boards = "".join(
        f"  - id: {board_id}\n    name: {name}\n    cadence: {cadence}\n    services:\n"
        + "".join(f'      - "{s}"\n' for s in services)
        for board_id, name, cadence, services in BOARDS
    )
    (OUT / "council.yaml").write_text(COUNCIL_YAML.format(boards=boards), encoding="utf-8")
    with (OUT / "indicators.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "code",
                "title",
                "service",
                "unit",
                "polarity",
                "aggregation",
                "frequency",
                "decimals",
                "scale",
                "tolerance",
                "tolerance_type",
                "key",
            ]
        )
        for s in SPECS:
            writer.writerow(
                [
                    s.code,
                    s.title,
                    s.service,
                    s.unit,
                    s.polarity,
                    s.aggregation,
                    s.frequency,
                    s.decimals,
                    "",
                    s.tolerance,
                    s.tolerance_type,
                    "true" if s.key else "false",
                ]
            )
    with (OUT / "targets.csv").open("w", newline="", encoding="utf-8") as handle:
        target_writer = csv.DictWriter(
            handle, fieldnames=["code", "financial_year", "period", "target"]
        )
        target_writer.writeheader()
        target_writer.writerows(targets_rows())


def main() -> None:
    rng = random.Random(SEED)
    if OUT.exists():
        shutil.rmtree(OUT)
    for sub in ("children", "els", "corporate", "community", "registers"):
        (OUT / "extracts" / sub).mkdir(parents=True)
    write_config()
    rows_by_department: dict[str, list[dict[str, str]]] = {}
    for spec in SPECS:
        rows_by_department.setdefault(DEPARTMENT_OF[spec.service], []).extend(
            observations(spec, rng)
        )
    write_children(rows_by_department["children"], OUT / "extracts" / "children")
    write_corporate(rows_by_department["corporate"], OUT / "extracts" / "corporate")
    els_specs = [s for s in SPECS if DEPARTMENT_OF[s.service] == "els"]
    write_els(
        rows_by_department["els"],
        els_specs,
        OUT / "extracts" / "els" / "els_performance_returns.xlsx",
    )
    write_community(
        rows_by_department["community"], OUT / "extracts" / "community" / "community.db"
    )
    write_registers(OUT / "extracts" / "registers")
    print(f"Demo council written to {OUT} ({len(SPECS)} indicators, as of {AS_OF})")


if __name__ == "__main__":
    main()
