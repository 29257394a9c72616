"""Data flows one way (README, "Development"): no module imports a layer above its own.

core → sources → schemas → transforms → warehouse → outputs → boardpack (configuration, runs)
→ flows → the command line. Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = ["core", "sources", "schemas", "transforms", "warehouse", "outputs", "boardpack", "flows"]
TOP = "boardpack.cli"  # wires everything, may import any layer


def layer(module: str) -> int | None:
    if module == TOP or module.startswith(TOP + "."):
        return len(LAYERS)
    first = module.split(".")[0]
    return LAYERS.index(first) if first in LAYERS else None


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found.append((name, path))
    return found


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_no_module_imports_a_layer_above_its_own(module: str, path: Path) -> None:
    own = layer(module)
    assert own is not None
    above = sorted(
        name for name in imported(path) if (rank := layer(name)) is not None and rank > own
    )
    assert above == [], f"{module} imports {above}"


def test_core_imports_no_other_boardpack_package() -> None:
    for module, path in modules():
        if module.startswith("core"):
            others = {n.split(".")[0] for n in imported(path)} & set(LAYERS[1:])
            assert not others, f"{module} imports {others}"


def heavy_modules_loaded_by(*modules: str) -> set[str]:
    """Which of the slow-to-import libraries importing ``modules`` pulls in (a new process)."""
    import subprocess
    import sys

    heavy = ("pandera", "great_tables", "prefect", "pyarrow", "pandas", "adbc_driver_manager")
    heavy += ("alembic.command", "alembic.script")
    code = f"import sys, {', '.join(modules)}; print(*(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_checking_a_file_does_not_load_the_report_renderer() -> None:
    """`boardpack validate` answers fast: it never imports great-tables or Prefect."""
    # pandera brings pandas (and pyarrow through it): the rules need it. Never the bulk loader.
    loaded = heavy_modules_loaded_by("boardpack.validate", "boardpack.cli")
    assert loaded <= {"pandera", "pandas", "pyarrow"}
    assert "pandera" in loaded


def test_exporting_does_not_load_the_validation_rules_or_the_renderer() -> None:
    """`boardpack export` reads the warehouse only: no pandera, great-tables or Prefect, and
    neither the bulk loader's ADBC driver (pyarrow, pandas) nor Alembic's upgrade machinery
    (the schema's revision is checked without them)."""
    modules = ("boardpack.cli", "warehouse.exports", "warehouse.schema", "core.settings")
    assert heavy_modules_loaded_by(*modules) == set()


def test_an_export_run_loads_neither_the_bulk_loader_nor_alembic(tmp_path: Path) -> None:
    """Not only at import: running `boardpack export` (schema check included) never pulls in
    pyarrow, pandas, the ADBC driver or Alembic."""
    import subprocess
    import sys

    from warehouse.schema import connect

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    connect(url).dispose()
    code = (
        "import sys, io, contextlib\n"
        f"sys.argv = ['boardpack', 'export', 'measures', '--config', 'examples/demo-council',"
        f" '--warehouse', {url!r}]\n"
        "from boardpack.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit as done:\n        assert done.code == 0\n"
        "heavy = ('pyarrow', 'pandas', 'adbc_driver_manager', 'alembic', 'pandera', 'prefect')\n"
        "print(*(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == []
