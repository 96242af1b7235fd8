"""Kept for older imports: the advisory locks and the crash hook of the batches are
``pension.batches`` (``RunLock``, ``LOCK_SPACES``, ``crash_after_chunks``)."""

from pension.batches import (  # noqa: F401
    CRASH_AFTER_CHUNKS_ENV,
    LOCK_SPACES,
    RunLock,
    crash_after_chunks,
)
