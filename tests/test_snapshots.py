"""Published reports: kept as shown, re-rendered byte for byte, restatements noted later."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from boardpack.config import load_council
from core.errors import UsageError
from outputs import publish as publishing
from tests.conftest import DEMO, DEMO_AS_OF
from tests.test_warehouse import demo_warehouse, nightly
from warehouse import store


def restate(council_dir: Path, old_prefix: str, new_line: str) -> None:
    path = council_dir / "extracts" / "children" / "cyp_returns_2025-26.csv"
    text = path.read_text(encoding="utf-8-sig")
    line = next(x for x in text.splitlines() if x.startswith(old_prefix))
    path.write_text(text.replace(line, new_line), encoding="utf-8-sig")


def test_a_final_report_survives_restatement_and_later_reports_note_it(
    warehouse_url: str, demo_copy: Path, tmp_path: Path
) -> None:
    engine = nightly(warehouse_url, demo_copy)
    council = load_council(demo_copy)
    run_id = store.begin_run(engine, "publish", council.settings.name, DEMO_AS_OF)
    published = publishing.publish(
        engine,
        council,
        tmp_path / "first",
        DEMO_AS_OF,
        {(2025, "Q1")},
        ["cyp-ppb"],
        run_id,
        final=True,
    )
    original = (tmp_path / "first" / published[0]["path"]).read_bytes()
    assert b"Restated figures" not in original

    # Children's Services restate April 2025 for CYP SC 03 (days to assessment) to 99.
    restate(demo_copy, "CYP SC 03,2025-04,", "CYP SC 03,2025-04,99,,,Restated after audit")
    nightly(warehouse_url, demo_copy)

    again = publishing.republish_as_published(
        engine, council, tmp_path / "again", "cyp-ppb", 2025, "Q1"
    )
    assert (tmp_path / "again" / again[0]["path"]).read_bytes() == original

    publishing.publish(engine, council, tmp_path / "next", DEMO_AS_OF, {(2025, "Q2")}, ["cyp-ppb"])
    later = (tmp_path / "next" / "2025-26" / "Q2" / "cyp-ppb.html").read_text()
    assert "Restated figures" in later
    assert "CYP SC 03 2025/26 Q1: published " in later
    assert " days, now " in later


def test_as_published_needs_a_final_report(warehouse_url: str, tmp_path: Path) -> None:
    engine = demo_warehouse(warehouse_url)
    from tests.conftest import DEMO

    with pytest.raises(UsageError, match="has not been published as final"):
        publishing.republish_as_published(
            engine, load_council(DEMO), tmp_path, "cabinet", 2026, "H1"
        )


def test_snapshots_of_hundreds_of_reports_are_kept_a_hundred_at_a_time(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national council's nightly keeps the snapshots of its changed reports a hundred at
    a time (each made as it is stored): every changed one is kept, and an unchanged one is
    not kept again."""
    engine = demo_warehouse(warehouse_url)
    council = load_council(DEMO)
    run_id = store.begin_run(engine, "nightly", council.settings.name, DEMO_AS_OF)
    made: list[int] = []

    def snapshots(count: int, content: str) -> Iterator[dict[str, Any]]:
        for i in range(count):
            made.append(i)
            yield {
                "board_id": f"board-{i:03d}",
                "fy": 2026,
                "period_suffix": "Q2",
                "path": f"2026-27/Q2/board-{i:03d}.html",
                "content_hash": f"{content}-{i}",
                "snapshot": "{}",
            }

    def kept() -> dict[str, str]:
        with engine.connect() as connection:
            latest = store.latest_snapshots(connection, with_text=False)
        rows = latest.filter(pl.col("board_id").str.starts_with("board-")).iter_rows(named=True)
        return {r["board_id"]: r["content_hash"] for r in rows}

    inserted: list[tuple[int, int]] = []  # each insert's rows, and the snapshots made by then
    insert = store._insert

    def counted(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
        inserted.append((len(rows), len(made)))
        insert(connection, table, rows)

    monkeypatch.setattr(store, "_insert", counted)
    with engine.begin() as connection:
        store.record_snapshots(connection, run_id, snapshots(250, "first"), final=False)
    assert len(kept()) == 250
    assert inserted == [(100, 100), (100, 200), (50, 250)]
    inserted.clear()
    made.clear()
    changed = (
        s if s["board_id"] < "board-200" else s | {"content_hash": "new"}
        for s in snapshots(250, "first")
    )
    with engine.begin() as connection:
        store.record_snapshots(connection, run_id, changed, final=False)
    assert inserted == [(50, 250)]  # only the changed reports are kept again
    assert kept()["board-249"] == "new"
    assert kept()["board-000"] == "first-0"
