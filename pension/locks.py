"""Session advisory locks: "this run is being executed", for batches whose tasks may
be delivered twice. Each batch kind has its own key range, so run 5 of one kind never
blocks run 5 of another."""

from __future__ import annotations

from django.db import connection

ASSESSMENT_RUN = 7_211_002 << 32  # contributions.AssessmentRun
ACCOUNT_RUN = 7_211_003 << 32  # accounts.AccountRun


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
