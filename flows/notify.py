"""Failure alerts: a webhook message when a nightly run fails or crashes.

    PREFECT_API_URL=http://127.0.0.1:4200/api \\
      .venv/bin/python -m flows.notify --webhook-url "$BOARDPACK_ALERT_WEBHOOK"

Saves the webhook as the Custom Webhook block ``boardpack-alerts`` (the URL is kept as the
block's secret value, never in the repository) and creates the automation
``boardpack-nightly-failed``, replacing one of that name: run it again to change the URL.
The Prefect server sends ``{"text": "<subject>\\n<body>"}`` to the URL (the JSON that Slack
and Microsoft Teams incoming webhooks accept) whenever a ``boardpack-nightly`` flow run
enters Failed or Crashed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from uuid import UUID

if TYPE_CHECKING:  # prefect takes seconds to import: only when there is work to do
    from prefect.events.schemas.automations import AutomationCore

URL_VARIABLE = "BOARDPACK_ALERT_WEBHOOK"
BLOCK_NAME = "boardpack-alerts"
AUTOMATION_NAME = "boardpack-nightly-failed"
FLOW_NAME = "boardpack-nightly"
ALERT_STATES = ("Failed", "Crashed")
SUBJECT = "boardpack: nightly run {{ flow_run.name }} {{ flow_run.state.name }}"
BODY = (
    "The boardpack nightly run {{ flow_run.name }} ended {{ flow_run.state.name }}: "
    "{{ flow_run.state.message }}\n{{ flow_run|ui_url }}"
)


class UsageError(Exception):
    """The command was called wrongly: exit status 2."""


@dataclass(frozen=True)
class Installed:
    block_id: UUID
    automation_id: UUID


def save_webhook_block(url: str) -> UUID:
    """The webhook as a notification block, its URL held as a secret value."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.types import SecretDict

    block = CustomWebhookNotificationBlock(
        name=BLOCK_NAME,
        url="{{webhook_url}}",
        json_data={"text": "{{subject}}\n{{body}}"},
        headers=None,
        cookies=None,
        secrets=SecretDict({"webhook_url": url}),
    )
    return cast(UUID, block.save(BLOCK_NAME, overwrite=True))  # sync: called outside a loop


def nightly_failed_automation(block_id: UUID) -> AutomationCore:
    """Fire once for every nightly flow run that enters Failed or Crashed."""
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=AUTOMATION_NAME,
        description=f"A webhook message when a {FLOW_NAME} flow run fails or crashes.",
        enabled=True,
        trigger=EventTrigger(
            expect={f"prefect.flow-run.{state}" for state in ALERT_STATES},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": FLOW_NAME},
            posture=Posture.Reactive,
            threshold=1,
            within=dt.timedelta(0),
        ),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)],
    )


def install(url: str) -> Installed:
    """Save the block and (re)create the automation on the server at PREFECT_API_URL."""
    from prefect.client.orchestration import get_client

    block_id = save_webhook_block(url)
    automation = nightly_failed_automation(block_id)
    with get_client(sync_client=True) as client:
        for existing in client.read_automations_by_name(AUTOMATION_NAME):
            client.delete_automation(existing.id)
        automation_id = client.create_automation(automation)
    return Installed(block_id, automation_id)


def webhook_url(given: str | None) -> str:
    url = (given or os.environ.get(URL_VARIABLE) or "").strip()
    if not url:
        raise UsageError(f"no webhook URL: pass --webhook-url or set {URL_VARIABLE}")
    if not url.startswith(("https://", "http://")):
        raise UsageError(f"the webhook URL must start with https:// or http://, not {url[:12]!r}")
    return url


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m flows.notify",
        description="Send a webhook message when a boardpack nightly run fails or crashes.",
    )
    parser.add_argument(
        "--webhook-url", help=f"the incoming webhook's URL (default: ${URL_VARIABLE})"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    api = os.environ.get("PREFECT_API_URL", "")
    try:
        url = webhook_url(args.webhook_url)
        if not api:
            raise UsageError("PREFECT_API_URL is not set: point it at the Prefect server's API")
        installed = install(url)
    except UsageError as error:
        print(f"boardpack notify: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the server unreachable or refusing: one line, no traceback
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"boardpack notify: could not set up the alert on {api}: {message}", file=sys.stderr)
        return 3
    print(
        f"Automation {AUTOMATION_NAME} ({installed.automation_id}) sends to block "
        f"{BLOCK_NAME} ({installed.block_id}) when a {FLOW_NAME} run fails or crashes."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
