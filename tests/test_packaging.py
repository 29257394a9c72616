"""The package as a council installs it (issue 21): the wheel and sdist built from the
checkout, the wheel installed into a new virtual environment with the locked dependencies
and no checkout on the path, and the demo council's nightly run from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DEMO, DEMO_AS_OF, ROOT
from tests.test_layers import LAYERS

pytestmark = pytest.mark.package
UV = ["python3", "-m", "uv"]  # as the Makefile runs it


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A command outside the checkout, with nothing of the checkout on its path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def shipped_files() -> list[str]:
    """Every file of the packages the project ships (its layers), as the checkout holds them."""
    tracked = run("git", "ls-files", *LAYERS, cwd=ROOT).stdout.split()
    return [f for f in tracked if "__pycache__" not in f]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("dist")
    result = run(*UV, "build", "--out-dir", folder, ROOT, cwd=folder)
    assert result.returncode == 0, result.stderr
    return {
        "wheel": next(folder.glob("boardpack-*.whl")),
        "sdist": next(folder.glob("boardpack-*.tar.gz")),
    }


def test_the_wheel_and_the_sdist_hold_every_shipped_module_and_data_file(
    built: dict[str, Path],
) -> None:
    """The wheel left out `core`: installed, `boardpack --version` failed on its import."""
    wheel = set(zipfile.ZipFile(built["wheel"]).namelist())
    with tarfile.open(built["sdist"]) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        source = {name.removeprefix(f"{top}/") for name in sdist.getnames()}
    files = shipped_files()
    assert "warehouse/migrations/script.py.mako" in files
    assert [f for f in files if f not in wheel] == []
    assert [f for f in files if f not in source] == []
    assert {"pyproject.toml", "README.md", "uv.lock"} <= source


def test_the_installed_wheel_runs_the_demo_nightly_outside_the_checkout(
    built: dict[str, Path], tmp_path: Path
) -> None:
    locked = tmp_path / "requirements.txt"
    exported = run(
        *UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
        "--project", ROOT, "-o", locked, cwd=tmp_path,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    venv = tmp_path / "venv"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert run(*UV, "venv", "--quiet", "--python", python, venv, cwd=tmp_path).returncode == 0
    installed = run(
        *UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python",
        "-r", locked, built["wheel"], cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    boardpack = venv / "bin" / "boardpack"

    version = run(boardpack, "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    # Installed outside a checkout, the version says so rather than naming a commit.
    assert version.stdout.strip().startswith("boardpack 0.1.0"), version.stdout
    where = run(venv / "bin" / "python", "-c", "import core; print(core.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(venv)

    config = tmp_path / "demo-council"
    shutil.copytree(DEMO, config)
    out = tmp_path / "out"
    nightly = run(
        boardpack, "run", "--config", config, "--warehouse", f"sqlite:///{tmp_path / 'w.sqlite'}",
        "--out", out, "--as-of", DEMO_AS_OF.isoformat(), cwd=tmp_path,
    )  # fmt: skip
    assert nightly.returncode == 1, nightly.stderr  # the demo's planted mistakes
    assert "Traceback" not in nightly.stderr
    assert (out / "index.html").is_file()
    assert (out / "data-quality.html").is_file()
    assert len(list(out.rglob("*.html"))) > 10
