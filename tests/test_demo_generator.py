"""The committed demo council is exactly what its generator writes from examples/demo-data.

If this fails after editing examples/demo-data or examples/generate_demo.py, regenerate
(`.venv/bin/python examples/generate_demo.py`) and commit examples/demo-council with it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT

GENERATOR = ROOT / "examples" / "generate_demo.py"


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def sqlite_contents(path: Path) -> list[str]:
    """Schema and rows as SQL: the file's header records which SQLite library wrote it,
    so a database is compared by what it holds, not byte for byte."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def generate_into(out: Path) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo-council"
    generate_into(out)
    return out


def test_the_generator_writes_the_same_files_as_the_committed_demo(regenerated: Path) -> None:
    assert files_under(regenerated) == files_under(DEMO)


@pytest.mark.parametrize("name", files_under(DEMO))
def test_each_generated_file_equals_the_committed_one(regenerated: Path, name: str) -> None:
    generated, committed = regenerated / name, DEMO / name
    if name.endswith(".db"):
        assert sqlite_contents(generated) == sqlite_contents(committed)
    else:
        assert generated.read_bytes() == committed.read_bytes()


def test_the_generator_will_not_wipe_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    stranger = tmp_path / "someone-elses"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(subprocess.CalledProcessError) as failure:
        generate_into(stranger)
    assert "not overwriting" in failure.value.stderr
    assert (stranger / "notes.txt").read_text(encoding="utf-8") == "keep me"
