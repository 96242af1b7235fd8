"""The beat calendar names only tasks that exist (a renamed task would otherwise be
scheduled into the void, silently)."""

from pension.celery import app
from pension.schedule import BEAT_SCHEDULE


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    missing = {name: entry["task"] for name, entry in BEAT_SCHEDULE.items()}
    missing = {name: task for name, task in missing.items() if task not in app.tasks}
    assert not missing, f"scheduled but not registered: {missing}"
    assert {"account-crediting-monthly", "interest-rate-watch"} <= set(BEAT_SCHEDULE)
