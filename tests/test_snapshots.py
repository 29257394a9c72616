"""Published reports: kept as shown, re-rendered byte for byte, restatements noted later."""

from __future__ import annotations

from pathlib import Path

import pytest

from boardpack.config import load_council
from core.errors import UsageError
from outputs import publish as publishing
from tests.conftest import DEMO_AS_OF
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
