"""Session advisory locks: "this run is being executed", for batches whose tasks may
be delivered twice. Each batch kind has its own key range, so run 5 of one kind never
blocks run 5 of another."""

from __future__ import annotations

import os
import signal

from django.conf import settings
from django.db import connection

ASSESSMENT_RUN = 7_211_002 << 32  # contributions.AssessmentRun
ACCOUNT_RUN = 7_211_003 << 32  # accounts.AccountRun

# test hook of the chunked batches: SIGKILL the executing process after this many chunks
CRASH_AFTER_CHUNKS_ENV = "PENSION_TEST_CRASH_AFTER_CHUNKS"


def crash_after_chunks(committed: int, env: str = CRASH_AFTER_CHUNKS_ENV) -> None:
    """Test hook of every chunked batch: with ``<env>=N`` under the test settings the
    process kills itself (SIGKILL, no cleanup: a worker lost mid-run) once N chunks of
    this execution have committed; the worker tests then resume the run."""
    crash_after = os.environ.get(env)
    testing = settings.SETTINGS_MODULE == "pension.settings.test"
    if crash_after and testing and committed >= int(crash_after):
        os.kill(os.getpid(), signal.SIGKILL)


class RunLock:
    """``with RunLock(ACCOUNT_RUN, run_id) as mine:`` tries the lock and says whether
    this session holds it; it is released on exit, or by the server when the holder's
    connection dies."""

    def __init__(self, base: int, run_id: int) -> None:
        self.key = base + run_id
        self.held = False

    def __enter__(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc: object) -> None:
        if not self.held:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.key])
        except Exception:  # the connection is gone, and the lock with it
            pass
