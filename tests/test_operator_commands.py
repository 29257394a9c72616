"""The data team's operator commands (issue 22): check, run --dry-run, run --source, log
options, --version with the commit, export runs and export rejections --detail."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import polars as pl
import pytest
import yaml

from boardpack.starter import write_starter
from tests.conftest import ROOT
from tests.test_cli import boardpack

AS_OF = "2026-09-30"


@pytest.fixture
def council(tmp_path: Path) -> Path:
    """The starter council: small and quick, every kind of file source."""
    folder = tmp_path / "council"
    write_starter(folder)
    return folder


def _run(council: Path, url: str, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return boardpack(
        "run", "--no-prefect", "--config", str(council), "--warehouse", url,
        "--out", str(out), "--as-of", AS_OF, *options,
    )  # fmt: skip


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edit_a_figure(csv: Path) -> None:
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    column = header.index("Numerator")
    row[column] = str(int(row[column]) + 1)
    lines[1] = ",".join(row)
    csv.write_text("\n".join(lines) + "\n")


def test_check_passes_a_good_configuration_and_names_what_a_nightly_would_refuse(
    council: Path,
) -> None:
    good = boardpack("check", "--config", str(council))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "figures: ok (1 file(s))" in good.stdout
    assert "returns: ok ('returns/*.xlsx' matches no files yet)" in good.stdout

    (council / "extracts" / "figures" / "elsewhere.csv").symlink_to(ROOT / "README.md")
    settings = yaml.safe_load((council / "council.yaml").read_text())
    settings["sources"].append(
        {
            "id": "community-db",
            "department": "Community",
            "kind": "observations",
            "format": "sql",
            "url": "sqlite:///community.db",
            "query": "SELECT 1",
            "columns": {"indicator_code": "a", "period": "b", "value": "c"},
        }
    )
    (council / "council.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    bad = boardpack("check", "--config", str(council))
    assert bad.returncode == 2
    assert "figures: PROBLEM: " in bad.stdout
    assert "links outside the configuration folder" in bad.stdout
    assert f"community-db: PROBLEM: file not found: {council / 'community.db'}" in bad.stdout
    assert not (council / "community.db").exists()  # reached for, never created
    assert "2 problem(s)" in bad.stdout


def test_dry_run_says_what_the_nightly_would_do_and_writes_nothing(
    council: Path, tmp_path: Path
) -> None:
    database = tmp_path / "warehouse.sqlite"
    url = f"sqlite:///{database}"
    first = _run(council, url, tmp_path / "plan", "--dry-run")
    assert first.returncode == 0, first.stderr
    assert "none yet (the run would create it)" in first.stdout
    assert "figures: 1 new, 0 changed, 0 unchanged" in first.stdout
    assert not database.exists()
    assert not (tmp_path / "plan").exists()

    assert _run(council, url, tmp_path / "out").returncode in (0, 1)
    before = _digest(database)
    reports = sorted(p.name for p in (tmp_path / "out").rglob("*"))
    _edit_a_figure(council / "extracts" / "figures" / "sample.csv")
    plan = _run(council, url, tmp_path / "out", "--dry-run")
    assert plan.returncode == 0
    assert "figures: 0 new, 1 changed, 0 unchanged (skipped)" in plan.stdout
    assert "targets: 0 new, 0 changed, 1 unchanged (skipped)" in plan.stdout
    assert "Would republish (if the figures changed): " in plan.stdout
    assert "Nothing was written (dry run)." in plan.stdout
    assert _digest(database) == before
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == reports


def test_run_source_re_reads_that_source_alone(council: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    assert _run(council, url, tmp_path / "out").returncode in (0, 1)
    _edit_a_figure(council / "extracts" / "figures" / "sample.csv")

    unknown = _run(council, url, tmp_path / "out", "--source", "nope")
    assert unknown.returncode == 2
    assert "--source: no source 'nope'" in unknown.stderr

    only = _run(council, url, tmp_path / "out", "--source", "targets")
    assert only.returncode in (0, 1), only.stderr
    assert "  targets: " in only.stdout  # re-read, although loaded before
    assert "unchanged, skipped" not in only.stdout
    assert "  figures: " not in only.stdout  # the other sources are not read
    plan = _run(council, url, tmp_path / "out", "--dry-run")
    assert "figures: 0 new, 1 changed" in plan.stdout  # still waiting for the nightly


def test_json_logs_are_one_object_per_line(council: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    done = boardpack(
        "--log-level", "info", "--log-format", "json", "run", "--no-prefect",
        "--config", str(council), "--warehouse", url, "--out", str(tmp_path / "out"),
        "--as-of", AS_OF,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    entries = [json.loads(line) for line in done.stderr.splitlines()]
    assert entries
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e["message"].startswith("Reading ") for e in entries)
    assert any(e["message"].startswith("run 1 ") for e in entries)
    assert all(e["level"] in ("info", "warning", "error") for e in entries)
    quiet = _run(council, url, tmp_path / "out")  # the default: warnings only, as text
    assert not any(line.startswith("{") for line in quiet.stderr.splitlines())


def test_version_names_the_commit() -> None:
    shown = boardpack("--version")
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown.returncode == 0
    assert shown.stdout.startswith("boardpack ")
    assert f"(commit {commit}" in shown.stdout


def test_export_runs_and_rejections_in_detail(council: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    figures = council / "extracts" / "figures" / "sample.csv"
    figures.write_text(figures.read_text().rstrip("\n") + "\nAC 01,2025-06,,abc,50,\n")
    assert _run(council, url, tmp_path / "out").returncode == 1
    _run(council, url, tmp_path / "out")

    runs = pl.read_csv(
        boardpack("export", "runs", "--config", str(council), "--warehouse", url).stdout.encode()
    )
    assert runs.columns == [
        "run_id", "kind", "status", "started_at", "finished_at", "as_of",
        "rows_read", "rows_loaded", "rows_rejected", "files_skipped", "message",
    ]  # fmt: skip
    assert runs["run_id"].to_list() == [1, 2]
    assert runs["status"].to_list() == ["partial", "succeeded"]
    assert runs["as_of"].to_list() == [AS_OF, AS_OF]
    assert runs["files_skipped"][1] > 0

    plain = boardpack("export", "rejections", "--config", str(council), "--warehouse", url)
    assert plain.stdout.splitlines()[0] == "source_id,file,row_number,column,reason_code,message"
    detail = pl.read_csv(
        boardpack(
            "export", "rejections", "--detail", "--config", str(council), "--warehouse", url
        ).stdout.encode(),
        infer_schema=False,
    )
    assert detail.columns[:6] == plain.stdout.splitlines()[0].split(",")
    assert detail.columns[6:] == ["value", "run_id", "rejected_at"]
    assert set(detail["run_id"]) == {"1"}
    assert "abc" in detail["value"].to_list()
    assert detail["rejected_at"][0] == runs["started_at"][0]
    wrong = boardpack("export", "runs", "--detail", "--config", str(council), "--warehouse", url)
    assert wrong.returncode == 2
