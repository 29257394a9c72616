"""The command line as the data team uses it: output, one-line errors and exit codes (SPEC §6)."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from boardpack.config import load_council
from tests.conftest import DEMO, ROOT
from tests.test_warehouse import demo_warehouse

BOARDPACK = str(ROOT / ".venv" / "bin" / "boardpack")


def boardpack(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line in this process: the same entry point, output and exit status as the
    installed command (which a few tests below run for real), without a new interpreter."""
    from boardpack.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["boardpack", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    finally:
        sys.argv = argv
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def installed(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The installed ``.venv/bin/boardpack`` as a user runs it."""
    return subprocess.run([BOARDPACK, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_validate_prints_every_problem_and_a_total_and_exits_1() -> None:
    file = DEMO / "extracts" / "corporate" / "corporate_kpis_2025-26.csv"
    result = boardpack(
        "validate",
        "--config",
        str(DEMO),
        "--source",
        "corporate-kpis",
        str(file),
        "--as-of",
        "2026-09-30",
    )
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0] == (
        f"{file}:28: column 'Numerator' value '1,204': not_a_number: '1,204' is not a "
        "plain number: write digits with an optional sign and decimal point, without "
        "thousands separators, currency or percent signs"
    )
    assert lines[-1] == f"1 problem in {file}: 161 rows read, 160 would load, 1 would be rejected."


def test_validate_a_clean_file_exits_0() -> None:
    file = DEMO / "extracts" / "children" / "cyp_returns_2022-23.csv"
    result = boardpack(
        "validate",
        "--config",
        str(DEMO),
        "--source",
        "cyp-returns",
        str(file),
        "--as-of",
        "2026-09-30",
    )
    assert (result.returncode, result.stdout.strip().splitlines()[-1]) == (
        0,
        f"0 problems in {file}: 114 rows read, 114 would load, 0 would be rejected.",
    )


def test_validate_an_export_of_a_database_source(tmp_path: Path) -> None:
    file = tmp_path / "community.csv"
    file.write_text("kpi_code,return_period,actual,num,den,notes\nLS 01,2026-13,5,,,\n")
    result = boardpack(
        "validate",
        "--config",
        str(DEMO),
        "--source",
        "community-db",
        str(file),
        "--as-of",
        "2026-09-30",
    )
    assert result.returncode == 1
    assert ":2: column 'return_period' value '2026-13': bad_period:" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "give either --config (one council) or --councils (a shared service)"),
        (["backfill", "--from", "2025/26 Q1", "--to", "2025/26 Q2"], "Missing option '--config'"),
        (
            ["run", "--config", "/no/such/folder"],
            "/no/such/folder: the configuration folder does not exist",
        ),
        (["validate", "--config", str(DEMO), "--source", "nope", "x.csv"], "no source 'nope'"),
        (
            ["validate", "--config", str(DEMO), "--source", "cyp-returns", "/no/file.csv"],
            "no such file",
        ),
        (
            ["backfill", "--config", str(DEMO), "--from", "2019/20 Q5", "--to", "2019/20 Q4"],
            "--from: '2019/20 Q5' is not a period",
        ),
        (["run", "--config", str(DEMO), "--as-of", "30/09/2026"], "is not a date"),
        (["export", "tables", "--config", str(DEMO)], "tables"),
    ],
)
def test_usage_and_configuration_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = boardpack(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_configuration_row_is_one_line_naming_file_row_and_column(demo_copy: Path) -> None:
    path = demo_copy / "targets.csv"
    path.write_text(path.read_text() + "CYP SC 01,2024/25,Q7,95\n")
    result = boardpack("run", "--config", str(demo_copy))
    assert result.returncode == 2
    assert result.stderr.startswith(f"boardpack: {path}, row ")
    assert "column 'period': 'Q7' is not valid" in result.stderr


def test_export_writes_spec_columns_as_csv(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    demo_warehouse(url)
    measures = boardpack("export", "measures", "--config", str(DEMO), "--warehouse", url)
    assert measures.returncode == 0
    frame = pl.read_csv(measures.stdout.encode())
    assert frame.columns == [
        "indicator_code",
        "period",
        "period_type",
        "financial_year",
        "period_value",
        "ytd_value",
        "ytd_target",
        "previous_ytd_value",
        "months_expected",
        "months_present",
        "rag",
        "direction",
        "forecast_value",
    ]
    assert set(frame["period_type"]) == {"quarter", "half", "year"}
    summary = pl.read_csv(
        boardpack("export", "summary", "--config", str(DEMO), "--warehouse", url).stdout.encode()
    )
    assert summary.columns == [
        "board_id",
        "period",
        "green",
        "amber",
        "red",
        "no_target",
        "no_data",
        "incomplete",
        "green_pct",
        "amber_pct",
        "red_pct",
    ]


def test_run_publish_final_and_as_published_from_the_command_line(tmp_path: Path) -> None:
    """The nightly, publishing and backfill runs from the command line, in-process."""
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    common = [
        "--config",
        str(DEMO),
        "--warehouse",
        url,
        "--out",
        str(tmp_path / "out"),
        "--as-of",
        "2026-09-30",
    ]
    run = boardpack("run", *common)
    assert run.returncode == 1, run.stderr  # the demo's planted mistakes are rejected
    assert "9 rejected" in run.stdout
    assert "Reports written to" in run.stdout
    # A final publish needs the figures signed off (issue 26).
    approval = ["--board", "cabinet", "--period", "2026/27 H1", "--by", "Chief Executive"]
    signoff = boardpack("signoff", "--config", str(DEMO), "--warehouse", url, *approval)
    assert signoff.returncode == 0, signoff.stderr
    final = boardpack("publish", *common, "--board", "cabinet", "--period", "2026/27 H1", "--final")
    assert final.returncode == 0, final.stderr
    page = tmp_path / "out" / "2026-27" / "H1" / "cabinet.html"
    published = page.read_bytes()
    page.unlink()
    again = boardpack(
        "publish", *common, "--board", "cabinet", "--period", "2026/27 H1", "--as-published"
    )
    assert again.returncode == 0, again.stderr
    assert page.read_bytes() == published
    backfill = boardpack(
        "backfill", *common, "--from", "2025/26 Q3", "--to", "2025/26 Q4", "--board", "els-ppb"
    )
    assert backfill.returncode == 0, backfill.stderr
    assert "2 reports" in backfill.stdout  # Q3 and Q4: H2 is not a quarterly board's period


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["backfill", "--config", str(DEMO), "--from", "2025/26 Q4", "--to", "2025/26 Q1"],
            "the range '2025/26 Q4' to '2025/26 Q1' is reversed",
        ),
        (
            ["export", "measures", "--config", str(DEMO), "--warehouse", "sqlite:///typo.sqlite"],
            "there is no warehouse at typo.sqlite: 'boardpack run' creates one",
        ),
        (
            ["publish", "--config", str(DEMO), "--board", "nope", "--period", "2026/27 H1"],
            "--board: no board 'nope'",
        ),
    ],
)
def test_slips_that_used_to_pass_silently_are_usage_errors(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = boardpack(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"boardpack: {message}\n" or (
        message in result.stderr and result.stderr.count("\n") == 1
    )
    assert not (tmp_path / "typo.sqlite").exists()  # nothing was created


def test_a_corrupt_warehouse_is_exit_3_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "w.sqlite"
    broken.write_bytes(b"not a database at all" * 100)
    before = broken.read_bytes()
    result = boardpack(
        "export", "measures", "--config", str(DEMO), "--warehouse", f"sqlite:///{broken}"
    )
    assert result.returncode == 3
    assert result.stderr.startswith(f"boardpack: the warehouse sqlite:///{broken} cannot be used: ")
    assert "file is not a database" in result.stderr
    assert result.stderr.count("\n") == 1
    assert broken.read_bytes() == before  # changed nothing


def test_a_warehouse_from_a_newer_boardpack_is_exit_3_in_one_line(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    demo_warehouse(url)
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    result = boardpack("export", "summary", "--config", str(DEMO), "--warehouse", url)
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "cannot be used" in result.stderr
    assert "0099" in result.stderr


def test_the_installed_command_reports_its_version_and_errors_in_one_line() -> None:
    from importlib.metadata import version

    shown = installed("--version")
    assert shown.returncode == 0
    assert shown.stdout.startswith(f"boardpack {version('boardpack')} (commit ")  # issue 22
    wrong = installed("run", "--config", "/no/such/folder")
    assert wrong.returncode == 2
    assert wrong.stderr == "boardpack: /no/such/folder: the configuration folder does not exist\n"


def test_the_nightly_completes_while_every_core_is_busy(tmp_path: Path) -> None:
    """No temporary Prefect API to time out: the run needs only its own process."""
    import os

    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        run = installed(
            "run",
            "--config",
            str(DEMO),
            "--warehouse",
            f"sqlite:///{tmp_path / 'w.sqlite'}",
            "--out",
            str(tmp_path / "out"),
            "--as-of",
            "2026-09-30",
        )
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert run.returncode == 1, run.stderr  # the demo's planted mistakes are rejected
    # 741 of the rows are the LG Inform benchmarks download, 9 the narrative register.
    assert "3706 rows read, 3697 loaded, 9 rejected; 2350 measures, 66 reports" in run.stdout
    assert (tmp_path / "out" / "index.html").exists()


def test_at_a_terminal_long_steps_show_a_progress_bar_with_counts(tmp_path: Path) -> None:
    import os
    import pty
    import select

    # The demo already loaded and an empty --out: a nightly reads every source (nothing
    # new) and writes the latest quarter's and half's four reports.
    warehouse = f"sqlite:///{tmp_path / 'w.sqlite'}"
    demo_warehouse(warehouse)
    leader, follower = pty.openpty()
    run = subprocess.Popen(
        [
            BOARDPACK,
            "run",
            "--config",
            str(DEMO),
            "--warehouse",
            warehouse,
            "--out",
            str(tmp_path / "out"),
            "--as-of",
            "2026-09-30",
        ],
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(follower)
    screen = b""
    while run.poll() is None or select.select([leader], [], [], 0)[0]:
        if select.select([leader], [], [], 0.2)[0]:
            try:
                screen += os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
    os.close(leader)
    assert run.wait(timeout=300) == 1
    shown = screen.decode(errors="replace")
    assert "Sources" in shown
    assert "Writing reports" in shown
    sources = len(load_council(DEMO).settings.sources)
    assert re.search(rf"\d/{sources}\b", shown)  # the demo's sources, counted
    assert re.search(r"[0-4]/4\b", shown)  # its latest four reports, counted
