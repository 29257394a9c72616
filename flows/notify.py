"""Alerts: a webhook message when a boardpack run fails, is cut short, ends with rejections,
or a nightly is late or still running hours after it started.

    PREFECT_API_URL=http://127.0.0.1:4200/api \\
      .venv/bin/python -m flows.notify --webhook-url "$BOARDPACK_ALERT_WEBHOOK" [--overdue-hours 4]

Saves the webhook as the Custom Webhook block ``boardpack-alerts`` (the URL is kept as the
block's secret value, never in the repository) and creates two automations, replacing any
of those names: run it again to change the URL or the hours.

- ``boardpack-run-failed``: a run of any boardpack flow (nightly, backfill, publish, the
  shared service's councils) that ends Failed, Crashed, TimedOut (its deployment's time
  limit) or "Completed with rejections". The message quotes the state's message: each failed
  source and why, and the run's counts.
- ``boardpack-nightly-overdue`` (a proactive trigger): a nightly (or councils) run that has
  not finished ``--overdue-hours`` after it started, or after it was marked Late (no worker
  picked it up).

The Prefect server sends ``{"text": "<subject>\\n<body>"}`` to the URL (the JSON that Slack
and Microsoft Teams incoming webhooks accept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

if TYPE_CHECKING:  # prefect takes seconds to import: only when there is work to do
    from prefect.events.schemas.automations import AutomationCore

URL_VARIABLE = "BOARDPACK_ALERT_WEBHOOK"
BLOCK_NAME = "boardpack-alerts"
AUTOMATION_NAME = "boardpack-run-failed"
OVERDUE_NAME = "boardpack-nightly-overdue"
# Names used by earlier versions of this command: replaced too, so no alert is sent twice.
REPLACED_NAMES = ("boardpack-nightly-failed",)
# Every boardpack flow, so every deployment (and `boardpack run` through Prefect) is covered.
FLOW_NAMES = ("boardpack-nightly", "boardpack-backfill", "boardpack-publish", "boardpack-councils")
NIGHTLY_FLOWS = ("boardpack-nightly", "boardpack-councils")
# "Completed with rejections" is flows/nightly.py's REJECTIONS_STATE (not imported: the
# flows take seconds to import).
ALERT_STATES = ("Failed", "Crashed", "TimedOut", "Completed with rejections")
FINISHED_STATES = ("Completed*", "Failed", "Crashed", "TimedOut", "Cancelled")
OVERDUE_AFTER = ("Running", "Late")
DEFAULT_OVERDUE_HOURS = 4.0
SUBJECT = "boardpack: {{ flow.name }} run {{ flow_run.name }} {{ flow_run.state.name }}"
BODY = (
    "The boardpack run {{ flow_run.name }} ({{ flow.name }}) ended {{ flow_run.state.name }}: "
    "{{ flow_run.state.message }}\n{{ flow_run|ui_url }}"
)
OVERDUE_SUBJECT = "boardpack: {{ flow.name }} run {{ flow_run.name }} has not finished"
OVERDUE_BODY = (
    "The boardpack run {{ flow_run.name }} ({{ flow.name }}) has not finished within "
    "{hours} hours of starting or of being marked late; it is {{ flow_run.state.name }}. "
    'See docs/runbook.md, "A nightly is late".\n{{ flow_run|ui_url }}'
)


class UsageError(Exception):
    """The command was called wrongly: exit status 2."""


@dataclass(frozen=True)
class Installed:
    block_id: UUID
    automation_id: UUID
    overdue_id: UUID


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


def _flow_run_trigger(flows: tuple[str, ...], **options: object) -> Any:
    from prefect.events.schemas.automations import EventTrigger

    return EventTrigger(
        match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related={"prefect.resource.role": "flow", "prefect.resource.name": list(flows)},
        threshold=1,
        **options,  # type: ignore[arg-type]
    )


def run_failed_automation(block_id: UUID) -> AutomationCore:
    """Fire once for every boardpack flow run that ends in one of ALERT_STATES."""
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, Posture

    return AutomationCore(
        name=AUTOMATION_NAME,
        description="A webhook message when a boardpack run fails, is cut short or ends "
        "with rejections.",
        enabled=True,
        trigger=_flow_run_trigger(
            FLOW_NAMES,
            expect={f"prefect.flow-run.{state}" for state in ALERT_STATES},
            posture=Posture.Reactive,
            within=dt.timedelta(0),
        ),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)],
    )


def overdue_automation(block_id: UUID, hours: float) -> AutomationCore:
    """Fire for a nightly run that has not finished ``hours`` after it started running or
    was marked Late: a proactive trigger, one per flow run."""
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, Posture

    body = OVERDUE_BODY.replace("{hours}", f"{hours:g}")
    return AutomationCore(
        name=OVERDUE_NAME,
        description=f"A webhook message when a nightly has not finished {hours:g} hours after "
        "it started or was marked late.",
        enabled=True,
        trigger=_flow_run_trigger(
            NIGHTLY_FLOWS,
            after={f"prefect.flow-run.{state}" for state in OVERDUE_AFTER},
            expect={f"prefect.flow-run.{state}" for state in FINISHED_STATES},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            within=dt.timedelta(hours=hours),
        ),
        actions=[SendNotification(block_document_id=block_id, subject=OVERDUE_SUBJECT, body=body)],
    )


def install(url: str, overdue_hours: float = DEFAULT_OVERDUE_HOURS) -> Installed:
    """Save the block and (re)create the automations on the server at PREFECT_API_URL."""
    from prefect.client.orchestration import get_client

    block_id = save_webhook_block(url)
    automations = [run_failed_automation(block_id), overdue_automation(block_id, overdue_hours)]
    with get_client(sync_client=True) as client:
        for name in (*REPLACED_NAMES, *(a.name for a in automations)):
            for existing in client.read_automations_by_name(name):
                client.delete_automation(existing.id)
        ids = [client.create_automation(a) for a in automations]
    return Installed(block_id, ids[0], ids[1])


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
        description="Send a webhook message when a boardpack run fails, is cut short or ends "
        "with rejections, or a nightly is overdue.",
    )
    parser.add_argument(
        "--webhook-url", help=f"the incoming webhook's URL (default: ${URL_VARIABLE})"
    )
    parser.add_argument(
        "--overdue-hours",
        type=float,
        default=DEFAULT_OVERDUE_HOURS,
        help="alert when a nightly has not finished this many hours after it started or was "
        f"marked late (default {DEFAULT_OVERDUE_HOURS:g})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    api = os.environ.get("PREFECT_API_URL", "")
    try:
        url = webhook_url(args.webhook_url)
        if not api:
            raise UsageError("PREFECT_API_URL is not set: point it at the Prefect server's API")
        if not args.overdue_hours > 0:
            raise UsageError("--overdue-hours must be more than 0")
        installed = install(url, args.overdue_hours)
    except UsageError as error:
        print(f"boardpack notify: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the server unreachable or refusing: one line, no traceback
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"boardpack notify: could not set up the alert on {api}: {message}", file=sys.stderr)
        return 3
    print(
        f"Automation {AUTOMATION_NAME} ({installed.automation_id}) sends to block "
        f"{BLOCK_NAME} ({installed.block_id}) when a boardpack run ends "
        f"{', '.join(ALERT_STATES)}.\n"
        f"Automation {OVERDUE_NAME} ({installed.overdue_id}) sends to it when a nightly has "
        f"not finished {args.overdue_hours:g} hours after it started or was marked late."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
