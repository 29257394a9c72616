"""``boardpack init``: a starter configuration that runs as it is."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import boardpack


def test_init_writes_a_folder_that_runs_and_reports(tmp_path: Path) -> None:
    folder = tmp_path / "council"
    made = boardpack("init", str(folder))
    assert made.returncode == 0, made.stderr
    assert "# Your own words for the statuses" in (folder / "council.yaml").read_text()
    out = tmp_path / "out"
    ran = boardpack(
        "run",
        "--config",
        str(folder),
        "--warehouse",
        f"sqlite:///{tmp_path / 'w.sqlite'}",
        "--out",
        str(out),
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "32 rows read, 32 loaded, 0 rejected" in ran.stdout
    pages = sorted(out.rglob("people.html"))
    assert [p.parent.name for p in pages] == ["Q1", "Q2", "Q3", "Q4"]
    q4 = pages[-1].read_text(encoding="utf-8")
    assert "12.5 weeks" in q4  # the mean wait so far, in the sample's own words
    assert "Open the new day centre" in q4  # its milestones and high risks reach the page
    assert "Rising demand for temporary accommodation" in q4


def test_the_starter_can_write_its_return_template(tmp_path: Path) -> None:
    folder = tmp_path / "council"
    boardpack("init", str(folder))
    done = boardpack(
        "template",
        "--config",
        str(folder),
        "--all",
        "--period",
        "2030/31 Q1",
        "--out",
        str(tmp_path / "t"),
    )
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["returns-2030-31-Q1.xlsx"]


def test_init_refuses_a_folder_with_files_in_it(tmp_path: Path) -> None:
    (tmp_path / "council.yaml").write_text("name: Mine\n")
    done = boardpack("init", str(tmp_path))
    assert done.returncode == 2
    assert "the folder is not empty" in done.stderr
    assert (tmp_path / "council.yaml").read_text() == "name: Mine\n"
