"""SQL sources that cannot hang a run (issue 22): connect and statement timeouts per source,
tries as council.yaml says, and a missing SQLite file that is "file not found", never made.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from boardpack.config import load_council
from boardpack.runs import nightly
from boardpack.starter import write_starter
from core.errors import ConfigError
from core.settings import SqlTimeouts
from sources.readers import SourceUnavailable, read_sql
from warehouse.lock import exclusive_run
from warehouse.schema import connect

_COLUMNS = {"indicator_code": "code", "period": "period", "value": "value"}


class SilentServer:
    """A loopback server that accepts every connection and never says a word."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.accepted.append(connection)  # held open, never answered

    def close(self) -> None:
        self._socket.close()
        for connection in self.accepted:
            connection.close()


def council_with_sql_source(folder: Path, **sql_source: Any) -> Path:
    """The starter council (small, quick) with one more source, a SQL one."""
    write_starter(folder)
    settings = yaml.safe_load((folder / "council.yaml").read_text())
    settings["sources"].append(
        {
            "id": "community-db",
            "department": "Community Services",
            "kind": "observations",
            "format": "sql",
            "query": "SELECT code, period, value FROM kpi_returns",
            "columns": _COLUMNS,
            **sql_source,
        }
    )
    (folder / "council.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return folder


def test_a_sql_source_that_never_answers_fails_alone_and_the_run_finishes(
    tmp_path: Path, silent_server: SilentServer
) -> None:
    council = council_with_sql_source(
        tmp_path / "council",
        url=f"postgresql+psycopg://kpi@127.0.0.1:{silent_server.port}/returns",
        timeout={"connect": 1, "statement": 5},
        retries={"attempts": 2, "wait": [0]},
    )
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    outcome = nightly(council, url, tmp_path / "out")

    assert list(outcome.failed_sources) == ["community-db"]
    assert "connect timeout of 1 s" in outcome.failed_sources["community-db"]
    assert len(silent_server.accepted) == 2  # tried as often as council.yaml says
    assert outcome.exit_code == 1
    assert sum(f.rows_loaded for f in outcome.files) > 0  # the other sources loaded
    assert outcome.reports  # and the reports were published
    assert (tmp_path / "out" / "index.html").is_file()
    engine = connect(url)
    with engine.connect() as connection:
        status = connection.execute(sa.text("SELECT status FROM runs")).scalar()
    assert status == "partial"  # recorded, not left 'running'
    with exclusive_run(engine):  # and the warehouse is free again
        pass
    engine.dispose()


def test_the_statement_timeout_stops_a_slow_sqlite_query(tmp_path: Path) -> None:
    database = tmp_path / "slow.db"
    sa.create_engine(f"sqlite:///{database}").connect().close()
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT max(i) AS code FROM n"
    )
    with pytest.raises(SourceUnavailable, match=r"statement timeout of 0\.2 s"):
        read_sql(f"sqlite:///{database}", endless, SqlTimeouts(statement=0.2))


@pytest.mark.postgres
def test_the_statement_timeout_stops_a_slow_postgresql_query(postgres_url: str) -> None:
    slow = "SELECT 'ABC 01' AS code, pg_sleep(3) AS waited"
    with pytest.raises(SourceUnavailable, match=r"statement timeout of 0\.5 s"):
        read_sql(postgres_url, slow, SqlTimeouts(statement=0.5))
    quick = read_sql(postgres_url, "SELECT 'ABC 01' AS code", SqlTimeouts(statement=0.5))
    assert quick.frame["code"].to_list() == ["ABC 01"]


def test_a_missing_sqlite_source_is_file_not_found_and_never_created(tmp_path: Path) -> None:
    council = council_with_sql_source(
        tmp_path / "council", url="sqlite:///missing.db", retries={"attempts": 1}
    )
    outcome = nightly(council, f"sqlite:///{tmp_path / 'warehouse.sqlite'}", tmp_path / "out")
    missing = council / "missing.db"
    assert outcome.failed_sources == {"community-db": f"file not found: {missing}"}
    assert not missing.exists()


def test_a_sqlite_source_is_only_read(tmp_path: Path) -> None:
    database = tmp_path / "returns.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (code TEXT)"))
    engine.dispose()
    with pytest.raises(SourceUnavailable, match="readonly"):
        read_sql(f"sqlite:///{database}", "INSERT INTO t VALUES ('x') RETURNING code")


def test_timeouts_and_tries_are_checked_when_the_configuration_loads(tmp_path: Path) -> None:
    council = council_with_sql_source(tmp_path / "a", url="sqlite:///x.db", retries={"attempts": 0})
    with pytest.raises(ConfigError, match="attempts"):
        load_council(council)
    council = council_with_sql_source(tmp_path / "b", url="sqlite:///x.db", timeout={"connect": -1})
    with pytest.raises(ConfigError, match="connect"):
        load_council(council)
    settings = yaml.safe_load((council / "council.yaml").read_text())
    settings["sources"][-1].pop("timeout")
    settings["sources"][0]["timeout"] = {"statement": 10}  # a CSV source
    (council / "council.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    with pytest.raises(ConfigError, match="'timeout' is for sql sources"):
        load_council(council)
    settings["sources"][0].pop("timeout")
    (council / "council.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    source = load_council(council).settings.sources[-1]
    assert (source.timeout.connect, source.timeout.statement) == (10, 300)
    assert source.retries.delays() == [2, 10]
