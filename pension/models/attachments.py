from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    """A digitised document on a case or record (业务档案附件, §14).

    Kept with its SHA-256 checksum, uploader and time; never deleted (a database
    trigger refuses DELETE), only superseded by a newer upload.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    title = models.CharField(_("Title"), max_length=200)
    file = models.FileField(_("File"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("Original file name"), max_length=255)
    media_type = models.CharField(_("Media type"), max_length=100)
    size = models.PositiveBigIntegerField(_("Size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("Uploaded at"), auto_now_add=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("Superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )

    class Meta:
        verbose_name = _("Attachment")
        verbose_name_plural = _("Attachments")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_target")]

    def __str__(self) -> str:
        return self.title
