from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pension.choices import ImportJobStatus


class ImportJob(models.Model):
    """An import run on a worker (后台导入任务, DESIGN §2.5): a file of more than
    ``IMPORT_WORKER_FROM_ROWS`` rows is kept here and imported by a Celery task, the
    page showing its progress. The importer of ``kind`` is registered with
    ``pension.imports.register_import``; its own record (e.g. the data-match import)
    is made in the same transaction that marks the job done."""

    kind = models.CharField(_("Kind"), max_length=40)
    params = models.JSONField(_("Parameters"), default=dict, blank=True)
    file = models.FileField(_("File"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("File name"), max_length=255)
    size = models.PositiveBigIntegerField(_("Size in bytes"))
    status = models.CharField(
        _("Status"), max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    # the progress bar's figures once done (while running they are in the cache)
    processed_count = models.PositiveIntegerField(_("Processed"), default=0)
    total_count = models.PositiveIntegerField(_("Total"), default=0)
    result = models.JSONField(_("Result"), default=dict, blank=True)
    message = models.TextField(_("Message"), blank=True)
    errors = models.JSONField(_("Row errors"), default=list, blank=True)  # the first 1000
    error_count = models.PositiveIntegerField(_("Error count"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("Started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Import job")
        verbose_name_plural = _("Import job")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(processed_count__lte=models.F("total_count"))
                | models.Q(total_count=0),
                name="importjob_processed_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True)
                | models.Q(status__in=[ImportJobStatus.DONE, ImportJobStatus.FAILED]),
                name="importjob_finished_only_when_done_or_failed",
            ),
        ]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_by_user")]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"
