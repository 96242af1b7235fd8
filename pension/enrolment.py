"""Second-factor enrolment links (动态口令绑定链接, DESIGN §2.4).

An administrator never creates a TOTP device for another user (the admin offers no
"add device"). Instead ``enrolment_link_issue`` gives a one-time link, valid
``ENROLMENT_LINK_HOURS`` (24) hours, which the administrator hands to the user; the user
signs in with their password and opens it; enrolling their own app uses it up. With
``SECOND_FACTOR_ENROL_NEEDS_LINK`` (on in production) a user without a device cannot
enrol one with the password alone. Issuing and using a link are in the change log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from pension import changelog
from pension.errors import InvalidInput, NotPermitted
from pension.models import ChangeAction, EnrolmentLink, StaffUser

ENROLMENT_LINK_HOURS = 24
LINK_INVALID = _(
    "This enrolment link is not valid: it was used already, has expired, or is for "
    "another user. Ask your administrator for a new one."
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def enrolment_link_issue(*, actor: StaffUser, user: StaffUser) -> tuple[EnrolmentLink, str]:
    """A one-time enrolment link for ``user``; returns it and its token (shown once)."""
    if actor.pk == user.pk:
        raise NotPermitted(
            _("Another administrator must issue your own enrolment link."), code="own_link"
        )
    if not user.is_active:
        raise InvalidInput(_("This user is not active."), code="inactive_user")
    token = secrets.token_urlsafe(32)
    link = EnrolmentLink(
        user=user,
        token_hash=_hash(token),
        created_by=actor,
        expires_at=timezone.now() + timedelta(hours=ENROLMENT_LINK_HOURS),
    )
    link.full_clean()
    link.save()
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=link,
        after={"user": user.pk, "expires_at": link.expires_at},
        reason=gettext_noop("second-factor enrolment link issued"),
    )
    return link, token


def enrolment_link_valid(*, user: StaffUser, token: str) -> EnrolmentLink | None:
    """The user's unused, unexpired link with this token, or None."""
    if not token:
        return None
    return EnrolmentLink.objects.filter(
        token_hash=_hash(token), user=user, used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


@transaction.atomic
def enrolment_link_use(*, user: StaffUser, link_id: int) -> bool:
    """Use the link up (the device is confirmed in the same transaction); False when
    it was used meanwhile or has expired."""
    used = EnrolmentLink.objects.filter(
        pk=link_id, user=user, used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    if used:
        changelog.record(
            actor=user,
            action=ChangeAction.UPDATE,
            object_type="pension.enrolmentlink",
            object_id=link_id,
            object_repr=f"{user}",
            after={"used": True},
            reason=gettext_noop("second-factor enrolment link used"),
        )
    return bool(used)
