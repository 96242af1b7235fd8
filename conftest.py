"""Fixtures shared by every app's tests: the tiny demo province, its named users, and
a real Celery worker on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pension.demo import DEMO_PASSWORD, NAMED_USERS


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Chinese): a page request that ran in
    English (the language cookie) leaves its language active in the thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is created and migrated by the owner role (pension/dbroles.py)."""
    from pension import dbroles

    dbroles.use_owner()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then the tests run as the application's role, which owns no table (as in
    production); the owner drops the database at the end."""
    from django.conf import settings

    from pension import dbroles

    if not settings.DATABASE_OWNER:
        yield
        return
    with django_db_blocker.unblock():
        dbroles.use_values(settings.DATABASE_APP)
    yield
    with django_db_blocker.unblock():
        dbroles.use_values(settings.DATABASE_OWNER)


@pytest.fixture
def demo_tiny(db):
    """The tiny demo province: regions, policy parameters, a few agencies, named users,
    employers and people, without history (no bases, assessments or payments: tests
    make their own; ``contributions/tests/test_demo.py`` loads the history)."""
    from pension.demo import load_demo

    return load_demo(scale="tiny", log=lambda message: None, history_years=0)


@pytest.fixture
def staff(demo_tiny):
    """The named demo users by user name (``staff["caseworker"]``)."""
    from pension.models import StaffUser

    users = StaffUser.objects.select_related("agency__region").in_bulk(
        [u for u, *_ in NAMED_USERS], field_name="username"
    )
    return users


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real ``celery worker`` process on the test Redis and the test database."""
    from django.conf import settings
    from django.db import connection

    from pension.celery import app

    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pension.settings.test",
        "PENSION_DATABASE_NAME": connection.settings_dict["NAME"],
    }
    app.control.purge()  # nothing left over from an earlier run
    log_path = os.path.join(settings.BASE_DIR, "var", f"test-worker-{os.getpid()}.log")
    log = open(log_path, "w")  # noqa: SIM115  (closed at teardown)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pension", "worker",
         "-Q", ",".join(settings.CELERY_QUEUES), "--pool", "solo", "-n", name,
         "--without-mingle", "--without-gossip", "-l", "INFO"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
    )  # fmt: skip
    hostname = name.replace("%h", os.uname().nodename)
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[hostname], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            raise RuntimeError("the test worker did not start:\n" + Path(log_path).read_text())
    yield {"process": process, "hostname": hostname, "log": log_path}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
