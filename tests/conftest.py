"""Shared fixtures. Prefect is configured before anything imports it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

if TYPE_CHECKING:
    import sqlalchemy as sa

    from tests.prefect_server import PrefectServer
    from tests.test_digest import Inbox
    from tests.test_sql_sources import SilentServer

_PREFECT_HOME = tempfile.mkdtemp(prefix="boardpack-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
os.environ.pop("BOARDPACK_WAREHOUSE_URL", None)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-council"
RESEARCH = ROOT.parent / "shared" / "research-data"
DEMO_AS_OF = dt.date(2026, 9, 30)

# The files that take longest (Prefect deployments, clusters, whole demo nightlies) are
# started first: make test runs a file on one pytest-xdist worker, and one started last
# would leave the other workers idle until it ends.
_LONGEST_FIRST = (
    "test_deployment.py",
    "test_flows.py",
    "test_cluster.py",
    "test_cli.py",
    "test_faults.py",
    "test_secrets.py",
    "test_approval_flow.py",
    "test_migrations.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(_LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: else as found


def indicator(code: str = "X 01", **overrides: object) -> dict[str, object]:
    """One resolved indicator row with sensible defaults for worked examples."""
    row: dict[str, object] = {
        "code": code,
        "title": f"Indicator {code}",
        "service": "Service A",
        "unit": "count",
        "polarity": "higher",
        "aggregation": "sum",
        "frequency": "monthly",
        "decimals": 0,
        "scale": 1.0,
        "tolerance": 0.05,
        "tolerance_type": "relative",
        "key": False,
    }
    row.update(overrides)
    return row


def observations(
    rows: list[tuple[str, int, int, float | None]], ratio: list[tuple[float, float]] | None = None
) -> pl.DataFrame:
    """(code, fy, fm, value) rows; optional numerator/denominator pairs, one per row."""
    parts = ratio or [(None, None)] * len(rows)  # type: ignore[list-item]
    return pl.DataFrame(
        {
            "code": [r[0] for r in rows],
            "fy": [r[1] for r in rows],
            "fm": [r[2] for r in rows],
            "value": [r[3] for r in rows],
            "numerator": [p[0] for p in parts],
            "denominator": [p[1] for p in parts],
        },
        schema={
            "code": pl.String,
            "fy": pl.Int32,
            "fm": pl.Int32,
            "value": pl.Float64,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
        },
    )


def targets(rows: list[tuple[str, int, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"code": pl.String, "fy": pl.Int32, "period": pl.String, "target": pl.Float64},
        orient="row",
    )


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    """Where a test's batches stage their rows (a run's staging area), removed with it."""
    folder = tmp_path / "staging"
    folder.mkdir()
    return folder


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo council that a test may change."""
    target = tmp_path / "council"
    shutil.copytree(DEMO, target)
    return target


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    """The demo council loaded at its as-of date, for the tests that only read it."""
    from tests.test_warehouse import demo_warehouse

    return demo_warehouse(f"sqlite:///{tmp_path_factory.mktemp('warehouse') / 'w.sqlite'}")


@pytest.fixture(scope="session")
def demo_site(demo_engine: sa.Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's reports as a first nightly publishes them (every period, the latest with
    their Word and PDF documents): published once a session, for the tests that only read
    them (a publish of the demo takes half a minute)."""
    from boardpack.config import load_council
    from outputs import publish as publishing

    out = tmp_path_factory.mktemp("site") / "out"
    publishing.publish(demo_engine, load_council(DEMO), out, DEMO_AS_OF)
    return out


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1 at a free port (aiosmtpd), and boardpack told to use it."""
    from aiosmtpd.controller import Controller

    from tests.prefect_server import free_port
    from tests.test_digest import Inbox

    mailbox = Inbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("BOARDPACK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BOARDPACK_SMTP_PORT", str(port))
    monkeypatch.setenv("BOARDPACK_SMTP_SECURITY", "INSECURE")
    monkeypatch.setenv("BOARDPACK_DIGEST_FROM", "performance@riverside.example")
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A loopback server that accepts every connection and never answers."""
    from tests.test_sql_sources import SilentServer

    server = SilentServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    from tests.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each warehouse test runs on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    import sqlalchemy as sa

    server: str = request.getfixturevalue("postgres_url")
    name = f"t_{abs(hash(request.node.nodeid)) % 10**12}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def prefect_api(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str
) -> Iterator[PrefectServer]:
    """A real Prefect server for the session, as a council would run one: its database on
    PostgreSQL (no temporary API to time out, no SQLite lock on a busy machine)."""
    import sqlalchemy as sa

    from tests.prefect_server import prefect_server

    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("DROP DATABASE IF EXISTS prefect_server"))
        connection.execute(sa.text("CREATE DATABASE prefect_server"))
    engine.dispose()
    database = sa.make_url(postgres_url).set(
        drivername="postgresql+asyncpg", database="prefect_server"
    )
    url = database.render_as_string(hide_password=False)
    with prefect_server(tmp_path_factory.mktemp("prefect-server"), url) as running:
        yield running
