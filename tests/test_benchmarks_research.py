"""Published ranks reproduced from real data (SPEC §7).

Scotland's Local Government Benchmarking Framework publishes, for every council, indicator
and quarter, its rank among all 32 councils (``ScotRank``) and within its family group
(``FamilyRank``). Loaded through a ``benchmarks`` source as a department would, boardpack's
ranks must be the published ones, for every council: ties share the best rank ("1224"),
judged on the figures as published (whole percentages, held as fractions to 2 places).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from boardpack.config import load_council
from core.periods import parse_period_labels
from schemas.ingest import ingest_all
from tests.conftest import RESEARCH
from tests.test_warehouse import nightly
from transforms.benchmarks import compute_benchmarks
from warehouse.exports import export_csv

LGBF = RESEARCH / "scotland-lgbf"
QUARTERLY = LGBF / "indicator_data_real_quarterly.csv"
# CORP 09 and 10 are ranked with the environmental, culture, corporate family groups.
FAMILY_TYPE = "Environmental, Culture & Leisure, Economic Development, Corporate and Property"

pytestmark = pytest.mark.skipif(
    not QUARTERLY.exists(), reason="shared/research-data is not beside the repo"
)


def published() -> pl.DataFrame:
    """The published figures and ranks, with each council's family group."""
    rows = pl.read_csv(QUARTERLY, columns=["Code", "LocalAuthority", "Period", "Value"])
    ranks = pl.read_csv(QUARTERLY, columns=["FamilyRank", "ScotRank"])
    periods = parse_period_labels(rows["Period"]).select("fy", "fm")
    return pl.concat([rows, ranks, periods], how="horizontal").join(
        families().select(
            pl.col("area_code").alias("LocalAuthority"), pl.col("group_id").alias("family")
        ),
        on="LocalAuthority",
    )


def families() -> pl.DataFrame:
    groups = pl.read_csv(LGBF / "family_groups.csv")
    return groups.filter(pl.col("Type").str.starts_with(FAMILY_TYPE)).select(
        pl.col("Family_Group").alias("group_id"),
        pl.col("Family_Group").alias("group_name"),
        pl.col("Local_Authority").alias("area_code"),
    )


def lgbf_council(folder: Path, area: str) -> Path:
    """A council that takes the LGBF download as it comes, through a column map."""
    (folder / "extracts").mkdir(parents=True)
    (folder / "groups").mkdir()
    shutil.copy(QUARTERLY, folder / "extracts" / "lgbf.csv")
    councils = families()["area_code"].sort()
    pl.DataFrame({"area_code": councils}).write_csv(folder / "groups" / "scotland.csv")
    family = families().filter(pl.col("area_code") == area)["group_id"].item()
    families().filter(pl.col("group_id") == family).write_csv(folder / "groups" / "family.csv")
    (folder / "indicators.csv").write_text(
        "code,title,service,unit,polarity,aggregation,frequency,decimals\n"
        "CORP 09,Crisis grant decisions within 1 day,Corporate,rate,higher,last,quarterly,2\n"
        "CORP 10,Community care grant decisions within 15 days,Corporate,rate,higher,last,"
        "quarterly,2\n"
    )
    (folder / "council.yaml").write_text(
        f"name: {area}\narea_code: {area}\n"
        "boards:\n  - {id: corporate, name: Corporate, services: [Corporate], cadence: quarterly}\n"
        "comparators:\n"
        "  - {id: scotland, name: All Scottish councils, areas: groups/scotland.csv}\n"
        f"  - {{id: family, name: {family}, areas: groups/family.csv}}\n"
        "sources:\n"
        "  - {id: lgbf, department: Improvement Service, kind: benchmarks, format: csv,\n"
        "     path: extracts/lgbf.csv, columns: {indicator_code: Code, area_code: LocalAuthority,"
        " period: Period, value: Value}}\n"
    )
    return folder


def match_rates(tmp_path: Path) -> dict[str, tuple[int, int]]:
    """(matches, figures) for ScotRank and FamilyRank over every council, from the rows a
    benchmarks source accepted."""
    council = load_council(lgbf_council(tmp_path / "lgbf", "Stirling"))
    batch = ingest_all(council, dt.date(2024, 3, 31), tmp_path)
    assert batch.frame("rejections").is_empty()
    values = batch.frame("benchmarks")
    truth = published()
    assert values.height == truth.height == 1339
    scotland = truth.select(
        pl.lit("scotland").alias("group_id"),
        pl.lit("Scotland").alias("group_name"),
        pl.col("LocalAuthority").unique().alias("area_code"),
    )
    positions = []
    for area in truth["LocalAuthority"].unique().sort():
        own_family = families().filter(
            pl.col("group_id") == truth.filter(pl.col("LocalAuthority") == area)["family"][0]
        )
        groups = pl.concat([scotland, own_family])
        result = compute_benchmarks(values, groups, council.indicators, area)
        positions.append(result.with_columns(LocalAuthority=pl.lit(area)))
    ours = pl.concat(positions).rename({"indicator_code": "Code"})
    compared = truth.join(ours, on=["Code", "LocalAuthority", "fy", "fm"])
    rates = {}
    for name, group in (("ScotRank", pl.col("group_id") == "scotland"), ("FamilyRank", None)):
        chosen = compared.filter(group if group is not None else pl.col("group_id") != "scotland")
        matched = chosen.filter(pl.col("rank") == pl.col(name).cast(pl.Int32)).height
        rates[name] = (matched, chosen.height)
    return rates


def test_every_published_scotrank_and_familyrank_is_reproduced(tmp_path: Path) -> None:
    rates = match_rates(tmp_path)
    # 32 councils × 2 indicators × 21 quarters, less 5 figures the LGBF does not publish.
    assert rates == {"ScotRank": (1339, 1339), "FamilyRank": (1339, 1339)}


def test_a_council_run_exports_its_published_ranks(tmp_path: Path) -> None:
    council = lgbf_council(tmp_path / "lgbf", "Stirling")
    engine = nightly(f"sqlite:///{tmp_path / 'w.sqlite'}", council, dt.date(2024, 3, 31))
    exported = pl.read_csv(export_csv(engine, "benchmarks").encode())
    truth = published().filter(pl.col("LocalAuthority") == "Stirling")
    labels = {
        r["Period"]: f"{r['Period'][:4]}/{r['Period'][5:7]} {r['Period'][-2:]}"
        for r in truth.iter_rows(named=True)
    }
    expected = truth.select(
        pl.col("Code").alias("indicator_code"),
        pl.col("Period").replace_strict(labels).alias("period"),
        pl.col("ScotRank").cast(pl.Int64).alias("scotland"),
        pl.col("FamilyRank").cast(pl.Int64).alias("family"),
    )
    ours = exported.pivot("group_id", index=["indicator_code", "period"], values="rank")
    assert (
        ours.sort("indicator_code", "period").rows()
        == expected.sort("indicator_code", "period").select(ours.columns).rows()
    )
    assert set(exported.filter(pl.col("group_id") == "scotland")["areas"]) <= {31, 32}


TRAFFORD = RESEARCH / "trafford-lginform"
PLANNING = {
    "PLAN 01": ("planning_applications_major.csv", 0),
    "PLAN 02": ("planning_applications_non-major.csv", 1),
}


def trafford_council(folder: Path) -> Path:
    """Trafford (E08000009) against its CIPFA nearest neighbours, LG Inform downloads as
    they come but for the indicator, which LG Inform names in words: the data team puts
    the council's own code in a column ``code`` (the README shows this step)."""
    (folder / "extracts").mkdir(parents=True)
    (folder / "groups").mkdir()
    shutil.copy(TRAFFORD / "cipfalga0724.csv", folder / "groups" / "cipfa.csv")
    for code, (name, _) in PLANNING.items():
        download = pl.read_csv(TRAFFORD / name, infer_schema=False)
        download.with_columns(code=pl.lit(code)).write_csv(folder / "extracts" / name)
    (folder / "indicators.csv").write_text(
        "code,title,service,unit,polarity,aggregation,frequency,decimals\n"
        "PLAN 01,Major applications decided in time,Planning,percent,higher,last,quarterly,0\n"
        "PLAN 02,Non-major applications decided in time,Planning,percent,higher,last,quarterly,1\n"
    )
    (folder / "council.yaml").write_text(
        "name: Trafford\narea_code: E08000009\n"
        "boards:\n  - {id: planning, name: Planning, services: [Planning], cadence: quarterly}\n"
        "comparators:\n  - {id: cipfa, name: CIPFA nearest neighbours, areas: groups/cipfa.csv}\n"
        "sources:\n"
        "  - {id: lginform, department: Policy, kind: benchmarks, format: csv,\n"
        "     path: 'extracts/planning_*.csv', columns: {indicator_code: code}}\n"
    )
    return folder


def test_trafford_among_its_cipfa_neighbours(tmp_path: Path) -> None:
    """LG Inform publishes no ranks, so each of Trafford's positions is checked against the
    ranks of the whole group computed independently (polars' "min" rank on the rounded
    figures) and against the group's median."""
    council = trafford_council(tmp_path / "trafford")
    engine = nightly(f"sqlite:///{tmp_path / 'w.sqlite'}", council, dt.date(2026, 1, 31))
    assert export_csv(engine, "rejections").splitlines()[1:] == []
    ours = pl.read_csv(export_csv(engine, "benchmarks").encode())
    members = set(pl.read_csv(TRAFFORD / "cipfalga0724.csv")["area_code"]) | {"E08000009"}
    checked = 0
    for code, (name, decimals) in PLANNING.items():
        download = pl.read_csv(TRAFFORD / name).filter(pl.col("area_code").is_in(members))
        independent = download.with_columns(
            rank=pl.col("value")
            .round(decimals)
            .rank("min", descending=True)
            .over("period")
            .cast(pl.Int64),
            median=pl.col("value").median().over("period"),
            areas=pl.len().over("period"),
        ).filter(pl.col("area_code") == "E08000009")
        mine = ours.filter(pl.col("indicator_code") == code).sort("period")
        assert (
            mine.select("period", "value", "rank", "areas").rows()
            == independent.sort("period")
            .select("period", pl.col("value").cast(pl.Float64), "rank", "areas")
            .rows()
        )
        assert mine["median"].to_list() == pytest.approx(independent.sort("period")["median"])
        assert set(mine["areas"]) == {16}  # Trafford and its 15 neighbours, every quarter
        checked += mine.height
    assert checked == 13 + 8
