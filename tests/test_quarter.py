"""README "A quarter with boardpack" on the demo council, command by command: the nightly at
the quarter's end, the chase (ELS's Q2 return outstanding), the approval, the final publish
(and the refusal for the board still awaiting approval), and the digest by email."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from tests.test_cli import boardpack
from tests.test_digest import Inbox, plain_text


def test_a_quarter_chase_approve_publish_alert(
    demo_copy: Path,
    tmp_path: Path,
    inbox: Inbox,
) -> None:
    warehouse = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    out = tmp_path / "out"
    common = ["--config", str(demo_copy), "--warehouse", warehouse]
    # The quarter ends: the nightly loads what the departments have sent.
    first = boardpack("run", *common, "--out", str(out), "--as-of", "2026-09-30")
    assert first.returncode == 1  # the demo's planted mistakes
    # Its digest (the first: everything is new) names what is red and what is overdue.
    ((_, first_digest),) = inbox.received
    told = plain_text(first_digest)
    assert (
        "Newly overdue milestones\n- WR M01 Introduce weekly food waste collections (Waste "
        "and Recycling): due 1 April 2026, off track\n" in told
    )
    assert "- Cabinet: FIN 01 Council tax collected is Off target at 2026/27 H1\n" in told
    # Approve: the Director signs off the children's board's figures.
    approved = boardpack(
        "signoff",
        *common,
        "--board",
        "cyp-ppb",
        "--period",
        "2026/27 Q2",
        "--by",
        "Dana Okafor",
        "--role",
        "Director of Children's Services",
    )
    assert approved.returncode == 0, approved.stderr
    # Chase: three weeks on, ELS's quarterly return is outstanding (due 14 October).
    inbox.received.clear()
    chase = boardpack("run", *common, "--out", str(out), "--as-of", "2026-10-20")
    assert chase.returncode == 1, chase.stderr
    assert "1 return(s) late or outstanding" in chase.stdout
    returns = boardpack("export", "returns", *common)
    register = pl.read_csv(io.StringIO(returns.stdout), infer_schema_length=0)
    els = register.filter(
        (pl.col("source_id") == "els-quarterly") & (pl.col("period") == "2026/27 Q2")
    ).row(0, named=True)
    assert els["status"] == "outstanding"
    assert els["due_date"] == "2026-10-14"
    assert els["contact_email"] == "els.returns@brookfield.example"
    assert set(register["status"]) == {"on_time", "outstanding"}
    page = (out / "returns.html").read_text()
    assert "Late: outstanding" in page
    assert "ELS business support manager" in page
    # Alert: the digest names the late return and reaches its contact.
    recipients, message = inbox.received[-1]
    assert "els.returns@brookfield.example" in recipients  # the department's contact
    assert "els.board@brookfield.example" in recipients  # and the board it holds up
    assert (
        "- Employment, Learning and Skills (els-quarterly) 2026/27 Q2: outstanding, due 14 "
        "October 2026; contact ELS business support manager" in plain_text(message)
    )
    # Publish: the approved board's report goes out as final, with its approval line.
    final = ["publish", *common, "--out", str(out), "--period", "2026/27 Q2", "--final"]
    published = boardpack(*final, "--board", "cyp-ppb", "--as-of", "2026-10-20")
    assert published.returncode == 0, published.stderr
    report = (out / "2026-27" / "Q2" / "cyp-ppb.html").read_text()
    assert "Figures approved by Dana Okafor (Director of Children&#x27;s Services) on " in report
    # The ELS board's figures await approval: refused in one line.
    waiting = boardpack(*final, "--board", "els-ppb", "--as-of", "2026-10-20")
    assert waiting.returncode == 2
    assert waiting.stderr == (
        "boardpack: els-ppb 2026/27 Q2: the figures have not been approved; sign them off or "
        "publish --without-approval\n"
    )
