"""Signing off a board's figures: who approved which figures and when; the final report says
so; a figure restated after approval is listed as changed; ``publish --final`` refuses
figures not approved unless told to go ahead, which is recorded."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import polars as pl

from tests.test_cli import boardpack
from tests.test_returns import nightly, send, write_council

Q4 = "2025/26 Q4"


def signoffs(folder: Path, warehouse: str) -> pl.DataFrame:
    result = boardpack("export", "signoffs", "--config", str(folder), "--warehouse", warehouse)
    assert result.returncode == 0, result.stderr
    return pl.read_csv(io.StringIO(result.stdout), infer_schema_length=0)


def publish_final(
    folder: Path, warehouse: str, board: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return boardpack(
        "publish",
        "--config",
        str(folder),
        "--warehouse",
        warehouse,
        "--out",
        str(folder / "out"),
        "--board",
        board,
        "--period",
        Q4,
        "--final",
        "--as-of",
        "2026-05-01",
        *extra,
    )


def approval_in_word(warehouse: str, board: str) -> list[str]:
    """The approval paragraphs of the Word copy of the board's latest report."""
    from docx import Document

    from outputs.board import indicator_rows
    from outputs.documents import report_document
    from outputs.site import page_from_snapshot
    from outputs.word import docx_bytes
    from warehouse import store
    from warehouse.schema import connect

    with connect(warehouse, create=False).connect() as connection:
        latest = store.latest_snapshots(connection).filter(pl.col("board_id") == board)
    page = page_from_snapshot(latest["snapshot"][-1])
    word = Document(io.BytesIO(docx_bytes(report_document(page, indicator_rows(page)))))
    return [p.text for p in word.paragraphs if "pprov" in p.text]


def loaded_council(tmp_path: Path, warehouse: str) -> Path:
    folder = write_council(tmp_path / "council")
    send(folder, "waste", "q4.csv", [("WS 01", Q4, 51.0)])
    send(folder, "housing", "q4.csv", [("HS 01", Q4, 38)])
    nightly(folder, warehouse, "2026-04-20")
    return folder


def test_signoff_is_recorded_shown_on_the_final_report_and_checked_again_after_a_restatement(
    tmp_path: Path, warehouse_url: str
) -> None:
    folder = loaded_council(tmp_path, warehouse_url)
    page = folder / "out" / "2025-26" / "Q4" / "place.html"
    # Not approved: a final publish is refused in one line, exit 2, and nothing recorded.
    refused = publish_final(folder, warehouse_url, "place")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "boardpack: place 2025/26 Q4: the figures have not been approved; sign them off or "
        "publish --without-approval"
    )
    assert signoffs(folder, warehouse_url).is_empty()
    approved = boardpack(
        "signoff",
        "--config",
        str(folder),
        "--warehouse",
        warehouse_url,
        "--board",
        "place",
        "--period",
        Q4,
        "--by",
        "Ann Lee",
        "--role",
        "Head of Place",
        "--comment",
        "Checked against the <b>waste</b> contract return",
    )
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.startswith("place 2025/26 Q4: 2 figures approved by Ann Lee (Head of")
    recorded = signoffs(folder, warehouse_url).row(0, named=True)
    assert recorded["board_id"] == "place"
    assert recorded["period"] == Q4
    assert recorded["decision"] == "approved"
    assert recorded["approver"] == "Ann Lee"
    assert len(recorded["figures_digest"]) == 64
    published = publish_final(folder, warehouse_url, "place")
    assert published.returncode == 0, published.stderr
    html = page.read_text()
    assert "Figures approved by Ann Lee (Head of Place) on " in html
    assert "Changed since approval" not in html
    # The people panel's figures are not approved: its report says nothing of approval.
    assert publish_final(folder, warehouse_url, "people").returncode == 2
    # Housing restates its Q4 figure: the nightly's page and digest list it as changed.
    send(folder, "housing", "q4-restated.csv", [("HS 01", Q4, 41)])
    (folder / "extracts" / "housing" / "q4.csv").unlink()
    out = nightly(folder, warehouse_url, "2026-05-01")
    assert "Digest" in out
    html = page.read_text()
    assert "Figures approved by Ann Lee (Head of Place) on " in html
    assert "Changed since approval: HS 01 Homes brought back into use: approved 38, now 41." in html
    # The Word copy says the same.
    heading, approved_line, changed_line = approval_in_word(warehouse_url, "place")
    assert heading == "Approval"
    assert approved_line.startswith("Figures approved by Ann Lee (Head of Place) on ")
    assert changed_line == (
        "Changed since approval: HS 01 Homes brought back into use: approved 38, now 41."
    )
    refused = publish_final(folder, warehouse_url, "place")
    assert refused.returncode == 2
    assert "figures changed since approval by Ann Lee (Head of Place) on " in refused.stderr
    assert "(HS 01)" in refused.stderr
    # Published regardless when told to, and that is recorded and shown.
    forced = publish_final(folder, warehouse_url, "place", "--without-approval")
    assert forced.returncode == 0, forced.stderr
    decisions = signoffs(folder, warehouse_url)["decision"].to_list()
    assert decisions == ["approved", "published_without_approval"]
    assert "without the figures being approved" in page.read_text()
    # The decisions survive a backfill.
    result = boardpack(
        "backfill",
        "--config",
        str(folder),
        "--warehouse",
        warehouse_url,
        "--out",
        str(folder / "out"),
        "--from",
        Q4,
        "--to",
        Q4,
        "--as-of",
        "2026-05-01",
    )
    assert result.returncode == 0, result.stderr
    assert signoffs(folder, warehouse_url)["decision"].to_list() == decisions


def test_signoff_of_an_unknown_board_or_a_year_is_a_usage_error(tmp_path: Path) -> None:
    warehouse = f"sqlite:///{tmp_path / 'w.sqlite'}"
    folder = loaded_council(tmp_path, warehouse)
    common = ["signoff", "--config", str(folder), "--warehouse", warehouse, "--by", "Ann Lee"]
    bad = boardpack(*common, "--board", "nope", "--period", Q4)
    assert bad.returncode == 2
    assert "--board: no board 'nope'" in bad.stderr
    year = boardpack(*common, "--board", "place", "--period", "2025/26")
    assert year.returncode == 2
    assert "is a year; sign off a quarter or a half" in year.stderr
    assert boardpack(*common, "--board", "place", "--period", "2026/27 Q1").returncode == 2
