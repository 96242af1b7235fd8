"""Attachments (业务档案, §14): digitised documents on any case or record."""

from __future__ import annotations

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from pension import changelog
from pension.errors import InvalidInput
from pension.models import Attachment, ChangeAction, StaffUser

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ALLOWED_MEDIA_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/tiff", "application/octet-stream"}
)


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def attachment_add(
    *, actor: StaffUser, target: models.Model, upload, title: str = ""
) -> Attachment:
    """Keep an uploaded document with its checksum, uploader and time."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(
            _("An attachment may be at most %(mb)d MB."),
            code="attachment_too_large",
            params={"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        )
    media_type = getattr(upload, "content_type", "") or "application/octet-stream"
    if media_type not in ALLOWED_MEDIA_TYPES:
        raise InvalidInput(
            _("Attachments must be PDF or images (JPEG, PNG, TIFF)."),
            code="attachment_type",
        )
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        title=(title or upload.name)[:200],
        original_name=upload.name[:255],
        media_type=media_type,
        size=upload.size,
        sha256=_sha256(upload),
        uploaded_by=actor,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=attachment,
        after=changelog.snapshot(attachment),
    )
    return attachment


@transaction.atomic
def attachment_supersede(
    *, actor: StaffUser, attachment: Attachment, upload, title: str = ""
) -> Attachment:
    """A newer version of a document; the old one stays, marked as superseded."""
    target = attachment.target
    newer = attachment_add(
        actor=actor, target=target, upload=upload, title=title or attachment.title
    )
    Attachment.objects.filter(pk=attachment.pk).update(superseded_by=newer)
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=attachment,
        before={"superseded_by_id": None},
        after={"superseded_by_id": newer.pk},
    )
    return newer


def attachments_of(target: models.Model):
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk)
    ).select_related("uploaded_by")
