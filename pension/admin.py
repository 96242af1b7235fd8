"""Django admin of the kernel: regions, agencies, staff users, policy parameters.

Policy parameters are never edited in place: saving a changed value in the admin
enters it as the next version (``policy_parameter_revise``), so every calculation
that cited the old version can still show it.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from pension import services
from pension.models import Agency, PolicyParameter, PolicyProfile, Region, StaffUser


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "is_active")
    list_filter = ("region__level", "is_active")
    search_fields = ("code", "name", "region__name")
    raw_id_fields = ("region",)


@admin.register(StaffUser)
class StaffUserAdmin(UserAdmin):
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
class PolicyProfileAdmin(admin.ModelAdmin):
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
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
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
