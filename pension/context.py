"""Who is acting, from where, in which request: set by ``RequestContextMiddleware``
for pages and API calls, and by batch tasks for themselves; read by the change log."""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ActorContext:
    request_id: str = ""
    client_address: str | None = None
    api_client_id: int | None = None


_current: contextvars.ContextVar[ActorContext] = contextvars.ContextVar(
    "pension_actor_context",
    default=ActorContext(),  # noqa: B039  (frozen, so immutable)
)


def current() -> ActorContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def acting(**values):
    """Run a block with these context values (request id, client address, API client)."""
    token = _current.set(replace(_current.get(), **values))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
