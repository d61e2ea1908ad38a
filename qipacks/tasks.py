"""Thin Celery tasks for QI packs: plain arguments in, call a service.

Which queue each runs on, and when beat runs it, is in ``website/celery.py``.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task


@shared_task(name="qipacks.send_uptake_reminders", ignore_result=True)
def send_uptake_reminders_task(today: str | None = None) -> None:
    """Daily: due, overdue and escalation reminders, each once per due date.

    ``today`` (ISO date) is for tests and catching up; beat passes nothing.
    """
    from . import reminders

    reminders.send_uptake_reminders(dt.date.fromisoformat(today) if today else None)


@shared_task(name="qipacks.reconcile_uptake_rollups", ignore_result=True)
def reconcile_uptake_rollups_task() -> dict:
    """Nightly: rebuild the uptake roll-ups from the records and history, logging
    (as a warning) anything the triggers had let drift."""
    from . import rollups

    return rollups.reconcile()
