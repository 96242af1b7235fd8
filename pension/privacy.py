"""Personal data: masked citizen ID numbers and logged reads of full records.

Every full ID number a user is shown goes through ``citizen_id_for`` (pages, through
the ``{% citizen_id %}`` tag; exports) or ``full_id_number`` (API answers with an
``*.read_id_numbers`` scope), which note it in the request's collector;
``ShownIdNumbersMiddleware`` then writes one change-log ``read`` row per request that
showed any (who, which numbers, where), also after a streamed answer has been sent.
Masked numbers are not logged.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Model

from pension import changelog
from pension.choices import Role
from pension.models import ChangeAction
from pension.validators import mask_citizen_id

# Roles whose work needs the whole number (serving, checking, auditing a person).
FULL_ID_ROLES = frozenset({Role.CASEWORKER, Role.REVIEWER, Role.AUDITOR})


def citizen_id_for(user, number: str, *, export: bool = False) -> str:
    """The number as ``user`` may see it: whole for roles that need it, masked otherwise.

    Exports are always masked unless the role needs the number (same rule); lists call
    this with ``export=False`` and get the same answer, so one rule serves both.
    """
    if not number:
        return ""
    if getattr(user, "is_superuser", False) or (
        getattr(user, "is_authenticated", False) and user.has_role(*FULL_ID_ROLES)
    ):
        return full_id_number(number)
    return mask_citizen_id(number)


# --- logging the full numbers shown ---------------------------------------------------

SHOWN_OBJECT_TYPE = "enrollment.insuredperson"
# at most this many numbers are written in one row; the row counts them all
SHOWN_LOGGED_MAX = 1000
_shown: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "pension_shown_id_numbers", default=None
)


def full_id_number(number: str) -> str:
    """``number``, noted as shown in full (logged at the end of the request)."""
    collected = _shown.get()
    if collected is not None and number:
        collected.add(number)
    return number


@contextmanager
def collecting() -> Iterator[set[str]]:
    """Collect the full numbers shown inside the block."""
    numbers: set[str] = set()
    token = _shown.set(numbers)
    try:
        yield numbers
    finally:
        _shown.reset(token)


def record_shown(*, actor, numbers: set[str], where: str) -> None:
    """One change-log ``read`` row: ``actor`` was shown these full ID numbers."""
    if not numbers:
        return
    from pension.models import StaffUser

    actor = actor if isinstance(actor, StaffUser) else None  # an API client: in context
    listed = sorted(numbers)
    with transaction.atomic():
        changelog.record(
            actor=actor,
            action=ChangeAction.READ,
            object_type=SHOWN_OBJECT_TYPE,
            object_id="",
            object_repr=f"{len(listed)} full citizen ID numbers"[:200],
            after={"id_numbers": listed[:SHOWN_LOGGED_MAX], "count": len(listed), "at": where},
            reason=f"full citizen ID numbers shown: {where}"[:500],
        )


class ShownIdNumbersMiddleware:
    """Log the full ID numbers each request showed (one row per request that showed
    any), after the answer is rendered, or after a streamed answer's last chunk. Goes
    after ``ApiCallLogMiddleware``, so an API client's row names the client."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from pension.context import acting, current

        token = _shown.set(set())
        try:
            response = self.get_response(request)
            numbers = _shown.get()
            ctx = current()
        finally:
            _shown.reset(token)
        user = getattr(request, "user", None)
        where = f"{request.method} {request.path}"[:300]
        if not response.streaming:
            with acting(api_client_id=ctx.api_client_id):
                record_shown(actor=user, numbers=numbers, where=where)
            return response

        def logged(chunks):
            with acting(
                request_id=ctx.request_id,
                client_address=ctx.client_address,
                api_client_id=ctx.api_client_id,
            ):
                inner = _shown.set(numbers)
                try:
                    yield from chunks
                finally:
                    _shown.reset(inner)
                    record_shown(actor=user, numbers=numbers, where=where)

        response.streaming_content = logged(response.streaming_content)
        return response


def record_read(*, actor, instance: Model, reason: str = "") -> None:
    """Log that ``actor`` opened a person's full record (DESIGN §2.4)."""
    changelog.record(actor=actor, action=ChangeAction.READ, instance=instance, reason=reason)
