"""Business archives (业务档案, operations standard §14, DESIGN §5.8): the types of
material (档案材料类型, a reference table from the standard's lists), how long each
kind of case is kept (保管期限), the volumes a closed case is filed into (立卷) with
its documents, and the hand-over lists (移交清单) of volumes from an agency to the
archive, confirmed by a second person (maker-checker)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.choices import RetentionPeriod

__all__ = ["HandoverItem", "HandoverList", "MaterialType", "RetentionRule", "Volume", "VolumeItem"]


def _user(verbose_name, **kwargs) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=models.PROTECT,
        related_name="+", **kwargs,
    )  # fmt: skip


class MaterialType(models.Model):
    """A type of archive material (档案材料类型): the materials the operations standard
    names for its procedures (§7.4, §8.4.3, §9.1.4, §9.5.1, §14.2), seeded by a data
    migration; ``clause`` says where the standard names it."""

    code = models.CharField(_("Code"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=100)
    clause = models.CharField(_("Clause of the standard"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(_("Order"), default=0)

    class Meta:
        verbose_name = _("Archive material type")
        verbose_name_plural = _("Archive material types")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class RetentionRule(models.Model):
    """How long the volumes of one kind of case are kept (保管期限): ``case_kind`` is the
    maker-checker operation of the case; the row with an empty kind applies to every
    kind without a row of its own."""

    case_kind = models.CharField(_("Case kind"), max_length=64, unique=True, blank=True)
    retention = models.CharField(
        _("Retention period"), max_length=16, choices=RetentionPeriod.choices
    )
    source = models.CharField(_("Source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Retention rule")
        verbose_name_plural = _("Retention rules")
        ordering = ["case_kind"]

    def __str__(self) -> str:
        return f"{self.case_kind or '*'}: {self.retention}"


class HandoverList(models.Model):
    """A hand-over list (移交清单) of volumes from an agency to the archive: made by one
    person, confirmed by a second (the approval request ``approval``); until then the
    volumes on it are reserved, and a rejected or withdrawn list frees them."""

    number = models.CharField(_("Hand-over list number"), max_length=40, unique=True)
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Handing-over agency"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("Year"))
    sequence = models.PositiveIntegerField(_("Sequence"))
    receiver = models.CharField(_("Receiving archive"), max_length=200)
    note = models.TextField(_("Note"), blank=True)
    approval = models.OneToOneField(
        "pension.ApprovalRequest", verbose_name=_("Approval request"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    made_by = _user(_("Handed over by"))
    made_at = models.DateTimeField(_("Made at"), auto_now_add=True)
    confirmed_by = _user(_("Received by"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("Received at"), null=True, blank=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Hand-over list")
        verbose_name_plural = _("Hand-over lists")
        ordering = ["-made_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "sequence"], name="handover_number_once"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | ~Q(confirmed_by=models.F("made_by")),
                name="handover_confirmed_by_another",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Volume(models.Model):
    """A filing volume (案卷) of one closed case (立卷): its documents (``items``), kept
    for the retention period of the case's kind, counted from 1 January of the year
    after the case was decided (归档年度 ``year``); ``retain_until`` is empty when kept
    for ever. ``handed_over_at`` is set when a hand-over list with it is confirmed."""

    number = models.CharField(_("Volume number"), max_length=40, unique=True)
    case = models.OneToOneField(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    case_kind = models.CharField(_("Case kind"), max_length=64)
    title = models.CharField(_("Title"), max_length=200)
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Agency"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("Filing year"))
    sequence = models.PositiveIntegerField(_("Sequence"))
    retention = models.CharField(
        _("Retention period"), max_length=16, choices=RetentionPeriod.choices
    )
    retain_until = models.DateField(_("Kept until"), null=True, blank=True)
    filed_by = _user(_("Filed by"))
    filed_at = models.DateTimeField(_("Filed at"), auto_now_add=True)
    handed_over_at = models.DateTimeField(_("Handed over at"), null=True, blank=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Filing volume")
        verbose_name_plural = _("Filing volumes")
        ordering = ["-year", "region", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "sequence"], name="volume_number_once"
            ),
            models.CheckConstraint(
                condition=Q(retention=RetentionPeriod.PERMANENT, retain_until__isnull=True)
                | (~Q(retention=RetentionPeriod.PERMANENT) & Q(retain_until__isnull=False)),
                name="volume_retain_until_by_period",
            ),
        ]
        indexes = [models.Index(fields=["region", "year"], name="volume_region_year")]

    def __str__(self) -> str:
        return self.number


class VolumeItem(models.Model):
    """A document in a volume (卷内文件): one attachment of the case, its place in the
    volume (件号) and its material type."""

    volume = models.ForeignKey(
        Volume, verbose_name=_("Filing volume"), on_delete=models.PROTECT, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("Item number"))
    attachment = models.ForeignKey(
        "pension.Attachment", verbose_name=_("Attachment"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    material_type = models.ForeignKey(
        MaterialType, verbose_name=_("Material type"), on_delete=models.PROTECT, related_name="+"
    )

    scope_region_path = "volume__region"

    class Meta:
        verbose_name = _("Volume item")
        verbose_name_plural = _("Volume items")
        ordering = ["volume", "position"]
        constraints = [
            models.UniqueConstraint(fields=["volume", "position"], name="volumeitem_position_once"),
            models.UniqueConstraint(fields=["attachment"], name="volumeitem_attachment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.volume} {self.position}"


class HandoverItem(models.Model):
    """A volume on a hand-over list."""

    handover = models.ForeignKey(
        HandoverList, verbose_name=_("Hand-over list"), on_delete=models.PROTECT,
        related_name="items",
    )  # fmt: skip
    volume = models.ForeignKey(
        Volume, verbose_name=_("Filing volume"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("Number on the list"))

    class Meta:
        verbose_name = _("Hand-over item")
        verbose_name_plural = _("Hand-over items")
        ordering = ["handover", "position"]
        constraints = [
            models.UniqueConstraint(fields=["handover", "volume"], name="handoveritem_once"),
        ]

    def __str__(self) -> str:
        return f"{self.handover_id} {self.position}"
