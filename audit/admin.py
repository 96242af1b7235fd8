"""Django admin of audit and internal control (稽核与内控): the business archives read
only (volumes are filed and handed over through ``audit.archives``, each step in the
change log; the material types and retention rules are seeded by migration)."""

from django.contrib import admin

from audit.models import HandoverList, MaterialType, RetentionRule, Volume
from pension.admin import ReadOnlyAdmin


@admin.register(MaterialType)
class MaterialTypeAdmin(ReadOnlyAdmin):
    list_display = ["position", "code", "name", "clause"]


@admin.register(RetentionRule)
class RetentionRuleAdmin(ReadOnlyAdmin):
    list_display = ["case_kind", "retention", "source"]


@admin.register(Volume)
class VolumeAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "case_kind", "year", "retention", "retain_until",
                    "filed_by", "handed_over_at"]  # fmt: skip
    list_filter = ["year", "retention"]
    search_fields = ["number", "region__code"]


@admin.register(HandoverList)
class HandoverListAdmin(ReadOnlyAdmin):
    list_display = ["number", "agency", "receiver", "made_by", "confirmed_by", "confirmed_at"]
    search_fields = ["number"]
