"""The Celery beat calendar: the one place where periodic work is scheduled.

Later batches add their entries here (assessment at month start, payroll by the pay
day, interest when the year's rate is entered, the certification sweep monthly, risk
scans nightly)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "beat-heartbeat": {
        "task": "pension.tasks.beat_heartbeat",
        "schedule": 60.0,
    },
    "purge-expired-sessions": {
        "task": "pension.tasks.purge_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}
