"""The Celery application. Queues and routes are in settings (``CELERY_*``); the
beat calendar is in ``pension.schedule``, the one place where it is defined."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pension.settings.dev")

app = Celery("pension")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **kwargs) -> None:
    from pension.schedule import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE
