"""Django admin of the kernel: regions, agencies, staff users, policy parameters.

Policy parameters are never edited in place: saving a changed value in the admin
enters it as the next version (``policy_parameter_revise``), so every calculation
that cited the old version can still show it.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from pension import (
    admin_api_clients,  # noqa: F401  (registers the external systems' admin)
    changelog,
    services,
)
from pension.models import (
    Agency,
    ApprovalRequest,
    Attachment,
    ChangeAction,
    ChangeLogEntry,
    ImportJob,
    PolicyParameter,
    PolicyProfile,
    Region,
    StaffUser,
)
from pension.security import ThrottledAdminAuthenticationForm

# the admin's own sign-in page counts failures and locks out like the staff one
admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = _("Pension pooling back office administration")
admin.site.site_title = _("Pension pooling back office")


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits go into the change log like every other write (DESIGN §2.4)."""

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = changelog.snapshot(type(obj).objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)
        after = changelog.snapshot(obj)
        changelog.record(
            actor=request.user,
            action=ChangeAction.UPDATE if change else ChangeAction.CREATE,
            instance=obj,
            before=before,
            after=after,
            reason="admin",
        )

    def delete_model(self, request, obj):
        before = changelog.snapshot(obj)
        pk, label, text = obj.pk, changelog.object_type_of(obj), str(obj)
        super().delete_model(request, obj)
        changelog.record(
            actor=request.user,
            action=ChangeAction.DELETE,
            object_type=label,
            object_id=pk,
            object_repr=text,
            before=before,
            reason="admin",
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "parent", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ("code", "name", "region", "is_active")
    list_filter = ("region__level", "is_active")
    search_fields = ("code", "name", "region__name")
    raw_id_fields = ("region",)


@admin.register(StaffUser)
class StaffUserAdmin(AuditedAdmin, UserAdmin):
    list_display = ("username", "full_name", "agency", "roles", "is_active", "last_login")
    list_filter = ("is_active", "is_staff", "agency__region__level")
    search_fields = ("username", "full_name", "agency__name")
    raw_id_fields = ("agency",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Staff user"), {"fields": ("full_name", "agency", "roles", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "agency", "roles", "password1", "password2"),
            },
        ),
    )


@admin.register(PolicyProfile)
class PolicyProfileAdmin(AuditedAdmin):
    list_display = ("code", "name", "province")


@admin.register(PolicyParameter)
class PolicyParameterAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "profile",
        "region",
        "effective_from",
        "version",
        "value",
        "reference_year",
        "published_on",
    )
    list_filter = ("profile", "key")
    search_fields = ("key", "source", "notes")
    date_hierarchy = "effective_from"
    raw_id_fields = ("region",)
    readonly_fields = ("created_at", "created_by")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # the scope and date identify the value; a change is a new version of it
        return (*self.readonly_fields, "profile", "key", "region", "effective_from", "version")

    def save_model(self, request, obj, form, change):
        if not change:
            services.policy_parameter_create(
                actor=request.user,
                key=obj.key,
                effective_from=obj.effective_from,
                value=obj.value,
                profile=obj.profile,
                region=obj.region,
                reference_year=obj.reference_year,
                published_on=obj.published_on,
                source=obj.source,
                notes=obj.notes,
            )
            return
        original = PolicyParameter.objects.get(pk=obj.pk)
        revised = services.policy_parameter_revise(
            actor=request.user,
            parameter=original,
            value=form.cleaned_data["value"],
            notes=form.cleaned_data.get("notes", ""),
            published_on=form.cleaned_data.get("published_on"),
        )
        obj.pk = revised.pk  # the admin's redirect shows the new version
        self.message_user(request, _("Saved as a new version; the earlier version is kept."))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "occurred_at", "actor_username", "agency", "action", "object_type",
                    "object_id", "object_repr", "client_address")  # fmt: skip
    list_filter = ("action", "object_type")
    search_fields = ("actor_username", "object_id", "object_repr", "request_id", "reason")
    date_hierarchy = "occurred_at"


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "operation", "summary", "agency", "amount", "status", "maker", "checker",
                    "created_at")  # fmt: skip
    list_filter = ("status", "operation", "required_level")
    search_fields = ("summary", "object_repr")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "content_type", "object_id", "size", "sha256", "uploaded_by",
                    "uploaded_at", "superseded_by")  # fmt: skip
    search_fields = ("title", "sha256", "object_id")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "file_name", "status", "processed_count", "total_count",
                    "error_count", "created_by", "created_at", "finished_at")  # fmt: skip
    list_filter = ("kind", "status")
    search_fields = ("file_name",)
