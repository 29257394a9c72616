"""Passwords stay secret (SPEC §4): URLs come from the environment, and nothing boardpack
prints, logs, stores or writes holds a password. Checked by planting one and searching."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import DEMO, ROOT
from tests.test_cli import boardpack

PASSWORD = "planted-Pa55word"
pytestmark = pytest.mark.postgres


def database(server: str, name: str) -> str:
    """A new database on the test server, its URL carrying the planted password."""
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    url = sa.make_url(server).set(password=PASSWORD, database=name)
    return url.render_as_string(hide_password=False)


def council_reading_from(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The demo council whose community database is a PostgreSQL one named by ${...}."""
    council = tmp_path / "council"
    shutil.copytree(DEMO, council)
    yaml = council / "council.yaml"
    yaml.write_text(
        yaml.read_text().replace(
            "url: sqlite:///extracts/community/community.db", "url: ${COMMUNITY_DB_URL}"
        )
    )
    community = database(postgres_url, "community_secrets")
    with sqlite3.connect(council / "extracts" / "community" / "community.db") as source:
        rows = source.execute("SELECT * FROM kpi_returns ORDER BY rowid").fetchall()
        columns = [c[1] for c in source.execute("PRAGMA table_info(kpi_returns)")]
    engine = sa.create_engine(community)
    with engine.begin() as connection:
        typed = ", ".join(f"{c} TEXT" for c in columns)
        connection.execute(sa.text(f"CREATE TABLE kpi_returns ({typed}, rowid SERIAL)"))
        values = ", ".join(f":{c}" for c in columns)
        insert = f"INSERT INTO kpi_returns ({', '.join(columns)}) VALUES ({values})"
        connection.execute(
            sa.text(insert),
            [
                dict(zip(columns, [None if v is None else str(v) for v in r], strict=True))
                for r in rows
            ],
        )
    engine.dispose()
    monkeypatch.setenv("COMMUNITY_DB_URL", community)
    return council


def everything_in(warehouse: str) -> str:
    """Every row of every table of the warehouse, as text."""
    engine = sa.create_engine(warehouse)
    text = []
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            text += [
                repr(tuple(r)) for r in connection.execute(sa.text(f'SELECT * FROM "{table}"'))
            ]
    engine.dispose()
    return "\n".join(text)


def test_a_planted_password_appears_in_no_output_log_table_or_file(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    council = council_reading_from(postgres_url, tmp_path, monkeypatch)
    warehouse = database(postgres_url, "warehouse_secrets")
    out = tmp_path / "out"
    env = {**os.environ, "BOARDPACK_WAREHOUSE_URL": warehouse}
    run = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "boardpack"),
            "run",
            "--config",
            str(council),
            "--out",
            str(out),
            "--as-of",
            "2026-09-30",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert run.returncode == 1, run.stderr  # the demo's planted mistakes, as ever
    assert "community-db:" in run.stdout
    assert "607 loaded, 2 rejected" in run.stdout
    seen = [run.stdout, run.stderr, everything_in(warehouse)]
    monkeypatch.setenv("BOARDPACK_WAREHOUSE_URL", warehouse)
    for table in ("measures", "summary", "rejections"):
        export = boardpack("export", table, "--config", str(council))
        seen += [export.stdout, export.stderr]
    seen += [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    assert all(PASSWORD not in text for text in seen)
    assert any("***" in text for text in seen)  # the URL is shown, with its password masked


def test_a_database_that_refuses_the_connection_is_named_without_its_password(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boardpack import steps

    council = council_reading_from(postgres_url, tmp_path, monkeypatch)
    down = sa.make_url(os.environ["COMMUNITY_DB_URL"]).set(port=1)  # nothing listens there
    monkeypatch.setenv("COMMUNITY_DB_URL", down.render_as_string(hide_password=False))
    monkeypatch.setattr(steps, "RETRY_DELAYS", (0, 0))
    warehouse = f"sqlite:///{tmp_path / 'w.sqlite'}"
    result = boardpack(
        "run",
        "--config",
        str(council),
        "--warehouse",
        warehouse,
        "--out",
        str(tmp_path / "out"),
        "--as-of",
        "2026-09-30",
    )
    assert result.returncode == 1  # the others loaded; the failed source is named
    assert "community-db: FAILED: the query could not be run" in result.stdout
    texts = [result.stdout, result.stderr, everything_in(warehouse)]
    texts += [p.read_text() for p in (tmp_path / "out").rglob("*.html")]
    assert all(PASSWORD not in text for text in texts)
