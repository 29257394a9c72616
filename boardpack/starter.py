"""``boardpack init DIR``: a commented starter configuration that runs as it is.

The sample figures are for the financial year before the one ``init`` runs in, so that
every period has ended and ``boardpack run --config DIR`` reports on them at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.errors import UsageError
from core.periods import fy_label, fy_month_start, fy_of

COUNCIL_YAML = """\
# council.yaml: your council's settings for boardpack (README, "Configuration").
# Lines starting with # are notes; change the values and keep the layout.
name: Example Borough Council
year_start_month: 4            # the financial year starts in April
# Amber is a miss by no more than 5% of the target; an indicator may set its own.
tolerance: {{type: relative, value: 0.05}}
# Your own words for the statuses. For two states (Met / Not met), set the tolerance
# to 0 and leave amber out: reports then define no amber.
# status_labels: {{green: Met, red: Not met}}
# How statuses are decided: tolerance (above), or forecast: whether the year's target will
# be met, from the year-end forecasts departments send in a 'forecast' column.
# rating: forecast
# Your own sentence for each status, printed in the notes and the summary:
# status_definitions: {{green: on track to be achieved, amber: not meeting expectations to
#   date but with improvement likely, red: unlikely to be met by the year-end}}

boards:                        # each board reports the indicators of its services
  - id: people
    name: People Policy and Performance Board
    cadence: quarterly         # or half-yearly
    services: [Adult Care, Housing]

sources:                       # where each department's returns are read from
  # Figures, one row per indicator and period (extracts/figures/*.csv).
  - id: figures
    department: Adult Care and Housing
    kind: observations
    format: csv
    path: extracts/figures/*.csv
    layout: long
    # Their column names on the right, ours on the left:
    columns: {{indicator_code: Code, period: Period, value: Value, numerator: Numerator,
              denominator: Denominator, commentary: Notes}}
    # numbers: formatted      # accept 1,204 / £1,204.50 / 61.5% as the numbers they show

  # Returns filled in from a template: boardpack template --config {folder} \\
  #   --source returns --period "{next_quarter}"   (then save the workbook in returns/)
  - id: returns
    department: Adult Care
    kind: observations
    format: excel
    path: returns/*.xlsx
    columns: {{indicator_code: Code, period: Period, value: Figure, commentary: Notes}}
    services: [Adult Care]     # the indicators its template lists
    expect_files: false        # no workbook yet is not a problem (else the run exits 1)

  - id: targets
    department: Performance
    kind: targets
    format: csv
    path: extracts/targets/*.csv

  - id: milestones
    department: Performance
    kind: milestones
    format: csv
    path: extracts/milestones/*.csv

  - id: risks
    department: Performance
    kind: risks
    format: csv
    path: extracts/risks/*.csv
"""

INDICATORS_CSV = (
    "code,title,service,unit,polarity,aggregation,frequency,decimals,scale,tolerance,"
    "tolerance_type,key,unit_label,aliases\n"
    "AC 01,Care assessments completed on time,Adult Care,percent,higher,ratio,monthly,1,,,,"
    "true,,Assessments on time\n"
    "AC 02,Average wait for an assessment,Adult Care,days,lower,mean,quarterly,1,,,,false,"
    "weeks,\n"
    "AC 03,Safeguarding audit completed,Adult Care,yesno,higher,last,quarterly,0,,,,false,,\n"
    "HO 01,Households in temporary accommodation,Housing,count,lower,last,quarterly,0,,0.1,"
    "relative,false,households,\n"
    "HO 02,Spend on bed and breakfast,Housing,gbp,lower,sum,quarterly,0,,,,false,,\n"
)

README = """\
# {name} configuration (made by boardpack init)

- council.yaml: settings, boards and sources (commented).
- indicators.csv: one row per indicator. Columns: code, title, service, unit (percent,
  count, days, gbp, rate, score, yesno), polarity (higher, lower, target, none),
  aggregation (sum, mean, last, ratio), frequency (monthly, quarterly, annual), decimals
  (0-3), scale, tolerance, tolerance_type, key (true/false), unit_label (words shown
  with figures, such as weeks) and aliases (other names extracts use, separated by |).
- targets.csv: code, financial_year, period (empty = annual, or Q1-Q4), target. A yes/no
  indicator's target is yes or no.
- extracts/: a small sample return for each source; replace with your departments' files.

Try it: boardpack run --config {folder}
"""


def _months(fy: int, start: int) -> list[str]:
    return [f"{fy_month_start(fy, fm, start):%Y-%m}" for fm in range(1, 13)]


def _figures(fy: int, start: int) -> str:
    label = fy_label(fy)
    rows = ["Code,Period,Value,Numerator,Denominator,Notes"]
    for index, month in enumerate(_months(fy, start)):
        rows.append(f"AC 01,{month},,{40 + index % 5},{50},")
    for quarter, (wait, audit, households, spend) in enumerate(
        [
            (13.5, "yes", 120, 41000),
            (12.8, "yes", 131, 39500),
            (12.1, "no", 126, 44200),
            (11.6, "yes", 118, 36800),
        ],
        start=1,
    ):
        period = f"{label} Q{quarter}"
        rows += [
            f"AC 02,{period},{wait},,,",
            f"AC 03,{period},{audit},,,",
            f"HO 01,{period},{households},,,",
            f'HO 02,{period},{spend},,,"Includes winter placements, see note"',
        ]
    return "\n".join(rows) + "\n"


def _files(folder: Path, today: dt.date) -> dict[str, str]:
    start = 4
    fy = fy_of(today, start) - 1
    label, next_label = fy_label(fy), fy_label(fy + 1)
    return {
        "council.yaml": COUNCIL_YAML.format(folder=folder, next_quarter=f"{next_label} Q1"),
        "indicators.csv": INDICATORS_CSV,
        "targets.csv": (
            "code,financial_year,period,target\n"
            f"AC 01,{label},,85\nAC 02,{label},,12\nAC 03,{label},,yes\n"
            f"HO 01,{label},,120\nHO 02,{label},,160000\nHO 02,{label},Q1,40000\n"
        ),
        "README.md": README.format(name="Example Borough Council", folder=folder),
        "extracts/figures/sample.csv": _figures(fy, start),
        "extracts/targets/sample.csv": (
            f"indicator_code,financial_year,period,target\nAC 02,{next_label},,11.5\n"
        ),
        "extracts/milestones/sample.csv": (
            "ref,service,description,due_date,status,commentary,period\n"
            f"M1,Adult Care,Open the new day centre,{fy + 1}-03-31,on_track,On budget,{label} Q4\n"
            f"M2,Housing,Review the allocations policy,{fy + 1}-01-31,at_risk,"
            f"Consultation extended,{label} Q4\n"
        ),
        "extracts/risks/sample.csv": (
            "ref,service,description,rating,mitigation,progress,period\n"
            f"R1,Housing,Rising demand for temporary accommodation,high,"
            f"Prevention team expanded,Two officers recruited,{label} Q4\n"
        ),
    }


def write_starter(folder: Path, today: dt.date | None = None) -> list[Path]:
    """Write the starter folder; refuses a folder that already has files in it."""
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder}: the folder is not empty; give a new or empty folder")
    written = []
    for name, text in _files(folder, today or dt.date.today()).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    (folder / "returns").mkdir(exist_ok=True)
    return written
