"""The digest after each nightly, by email through prefect-email to a real SMTP server on
the loopback interface (aiosmtpd): only what is new since the previous nightly, to the
boards' recipients and the departments' contacts; nothing when nothing changed."""

from __future__ import annotations

import email
import email.policy
import os
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.prefect_server import free_port
from tests.test_returns import nightly, send, write_council


@dataclass
class Inbox:
    """Every message the local SMTP server accepted: its envelope recipients and itself."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # SMTP lines end in CRLF


def test_each_nightly_emails_only_what_is_new_and_nothing_when_nothing_changed(
    tmp_path: Path, inbox: Inbox
) -> None:
    folder = write_council(tmp_path / "council")
    warehouse = f"sqlite:///{tmp_path / 'w.sqlite'}"
    # Q3: recycling at 40% against a 50% target (red); 31 homes against 30 to date (green).
    send(folder, "waste", "q3.csv", [("WS 01", "2025/26 Q3", 40)])
    homes = [("HS 01", "2025/26 Q1", 10), ("HS 01", "2025/26 Q2", 10), ("HS 01", "2025/26 Q3", 11)]
    send(folder, "housing", "q3.csv", homes)
    out = nightly(folder, warehouse, "2026-01-15")
    assert "Digest: 1 new item(s) emailed to place.panel@riverside.example" in out
    (recipients, message), *rest = inbox.received
    assert rest == []
    assert recipients == ["place.panel@riverside.example"]
    assert message["From"] == "performance@riverside.example"
    assert message["Subject"] == (
        "Riverside District Council: what changed in the figures, 15 January 2026"
    )
    text = plain_text(message)
    assert (
        "Newly red\n- Place Scrutiny Panel: WS 01 Household waste recycled is Off target at "
        "2025/26 Q3\n" in text
    )
    assert "HS 01" not in text
    # The next night nothing has changed: no digest, no email.
    out = nightly(folder, warehouse, "2026-01-16")
    assert "Digest" not in out
    assert len(inbox.received) == 1
    # 17 April: neither Q4 return has come (due 16 April, after Easter), so the homes total
    # to date covers 3 of 4 quarters (incomplete): told to the boards and to each contact.
    out = nightly(folder, warehouse, "2026-04-17")
    assert len(inbox.received) == 2
    recipients, message = inbox.received[1]
    assert sorted(recipients) == [
        "housing.lead@riverside.example",
        "place.panel@riverside.example",
        "waste.data@riverside.example",
    ]
    text = plain_text(message)
    assert "Late and outstanding returns\n" in text
    assert (
        "- Waste Services (waste) 2025/26 Q4: outstanding, due 16 April 2026; contact Waste "
        "data officer\n" in text
    )
    assert "- Housing Services (housing) 2025/26 Q4: outstanding, due 16 April 2026" in text
    assert "WS 01" not in text  # still red, told already
    assert (
        "Newly incomplete\n- People Scrutiny Panel: HS 01 Homes brought back into use is "
        "Incomplete at 2025/26 Q4\n- Place Scrutiny Panel: HS 01 Homes brought back into use "
        "is Incomplete at 2025/26 Q4\n" in text
    )
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<h2>Late and outstanding returns</h2>" in str(html.get_content())


def test_a_mail_server_that_is_down_leaves_the_run_done_and_the_next_nightly_tells_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inbox: Inbox
) -> None:
    working = os.environ["BOARDPACK_SMTP_PORT"]
    monkeypatch.setenv("BOARDPACK_SMTP_PORT", str(free_port()))  # nothing listens there
    folder = write_council(tmp_path / "council")
    send(folder, "waste", "q3.csv", [("WS 01", "2025/26 Q3", 40)])
    homes = [("HS 01", "2025/26 Q1", 10), ("HS 01", "2025/26 Q2", 10), ("HS 01", "2025/26 Q3", 11)]
    send(folder, "housing", "q3.csv", homes)  # every source has sent: nothing else fails
    warehouse = f"sqlite:///{tmp_path / 'w.sqlite'}"
    out = nightly(folder, warehouse, "2026-01-15")  # exit 0
    assert "Digest: 1 new item(s); NOT emailed: " in out
    assert "the next nightly's digest tells them" in out
    assert (folder / "out" / "2025-26" / "Q3" / "place.html").exists()
    # The server is back the next night: the item that was not sent is, once.
    monkeypatch.setenv("BOARDPACK_SMTP_PORT", working)
    out = nightly(folder, warehouse, "2026-01-16")
    assert "Digest: 1 new item(s) emailed to place.panel@riverside.example" in out
    [(_, message)] = inbox.received
    assert "WS 01 Household waste recycled is Off target at 2025/26 Q3" in plain_text(message)
    assert "Digest" not in nightly(folder, warehouse, "2026-01-17")
    assert len(inbox.received) == 1


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        (
            "BOARDPACK_SMTP_SECURITY",
            "none",
            "$BOARDPACK_SMTP_SECURITY: use STARTTLS, SSL or INSECURE",
        ),
        ("BOARDPACK_SMTP_PORT", "25a", "$BOARDPACK_SMTP_PORT: '25a' is not a port number"),
    ],
)
def test_a_mistake_in_the_mail_settings_is_refused_before_the_run_and_loses_no_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    """Found only when the digest was sent, the run's items were remembered as told, and
    the next nightly, with the setting mended, had nothing new to send."""
    from tests.test_cli import boardpack

    monkeypatch.setenv("BOARDPACK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv(variable, value)
    folder = write_council(tmp_path / "council")
    send(folder, "waste", "q3.csv", [("WS 01", "2025/26 Q3", 40)])
    warehouse = tmp_path / "w.sqlite"
    args = ["run", "--config", str(folder), "--warehouse", f"sqlite:///{warehouse}"]
    refused = boardpack(*args, "--as-of", "2026-01-15")
    assert (refused.returncode, refused.stderr.strip()) == (2, f"boardpack: {said}")
    assert not warehouse.exists()  # nothing was run
