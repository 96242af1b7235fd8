"""Kernel Celery tasks: the worker round-trip and the beat heartbeat."""

from __future__ import annotations

import socket

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from pension.models import Region

BEAT_HEARTBEAT_KEY = "beat:heartbeat"


@shared_task(name="pension.tasks.ping")
def ping(tag: str) -> dict:
    """Answer from a worker with its host and a database read, to prove both work."""
    return {
        "tag": tag,
        "worker": socket.gethostname(),
        "regions": Region.objects.count(),
    }


@shared_task(name="pension.tasks.beat_heartbeat")
def beat_heartbeat() -> str:
    """Scheduled every minute by beat; /healthz and the operations page read it."""
    stamp = timezone.now().isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, stamp, timeout=None)
    return stamp


@shared_task(name="pension.tasks.change_log_anchor")
def change_log_anchor() -> dict:
    """Hourly: the change log's head, signed, to the anchor file and the log."""
    from pension.anchor import anchor_write

    return anchor_write()


@shared_task(name="pension.tasks.purge_expired_sessions")
def purge_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(name="pension.tasks.import_job_run")
def import_job_run(job_id: int) -> str:
    """Import a file kept as an ImportJob (a large import, off the request)."""
    from pension.imports import import_job_run as run

    return run(job_id)
