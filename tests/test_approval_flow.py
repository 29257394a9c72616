"""A final publish under Prefect waits for approval (pause_flow_run with a typed RunInput)
on the session's real Prefect server, and is resumed through the API as the UI would."""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.prefect_server import poll
from tests.test_flows import harness, worker_warehouse  # noqa: F401 - fixtures
from tests.test_signoff import Q4, loaded_council, signoffs

pytestmark = pytest.mark.prefect


def paused_publish_run() -> uuid.UUID | None:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["boardpack-publish"])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
            ),
        )
    return runs[0].id if runs else None


def publish_in_background(folder: Path, board: str) -> tuple[threading.Thread, dict[str, Any]]:
    from flows.nightly import publish_report

    result: dict[str, Any] = {}

    def run() -> None:
        result["state"] = publish_report(
            str(folder),
            board,
            Q4,
            out=str(folder / "out"),
            as_of=dt.date(2026, 5, 1),
            final=True,
            return_state=True,
        )

    # The thread sees this test's Prefect settings (the session's server), as the test does.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True)
    thread.start()
    return thread, result


def test_a_final_publish_waits_for_approval_and_is_resumed_through_the_api(
    harness: None,  # noqa: F811
    tmp_path: Path,
    worker_warehouse: str,  # noqa: F811
) -> None:
    from prefect.flow_runs import resume_flow_run

    folder = loaded_council(tmp_path, worker_warehouse)
    page = folder / "out" / "2025-26" / "Q4" / "place.html"
    thread, result = publish_in_background(folder, "place")
    flow_run_id = poll("the publish flow run to pause for approval", paused_publish_run, 240)
    assert signoffs(folder, worker_warehouse).is_empty()  # nothing decided while it waits
    resume_flow_run(
        flow_run_id,
        run_input={
            "approver": "Ann Lee",
            "role": "Head of Place",
            "decision": "approve",
            "comment": "As reported to the panel",
        },
    )
    thread.join(300)
    assert not thread.is_alive()
    assert result["state"].is_completed(), result["state"]
    recorded = signoffs(folder, worker_warehouse).row(0, named=True)
    assert recorded["decision"] == "approved"
    assert recorded["approver"] == "Ann Lee"
    assert recorded["via"] == "prefect"
    assert "Figures approved by Ann Lee (Head of Place) on " in page.read_text()
    # Returned for correction: nothing is published as final, and the decision is kept.
    thread, result = publish_in_background(folder, "people")
    flow_run_id = poll("the second publish to pause", paused_publish_run, 240)
    resume_flow_run(
        flow_run_id,
        run_input={"approver": "Raj Patel", "decision": "return", "comment": "HS 01 looks low"},
    )
    thread.join(300)
    state = result["state"]
    assert state.is_cancelled(), state
    assert "figures returned for correction by Raj Patel" in (state.message or "")
    decisions = signoffs(folder, worker_warehouse)
    assert decisions["decision"].to_list() == ["approved", "rejected"]
    assert (
        not (folder / "out" / "2025-26" / "Q4" / "people.html")
        .read_text()
        .count("Figures approved")
    )
