"""Django admin of the kernel: regions, agencies, staff users, policy parameters.

No administrator defeats maker-checker here (DESIGN §2.4, docs/architecture.md):

- a staff user's roles and agency (their region) changed in the admin become approval
  requests (``pension.staff_roles_change``, ``pension.staff_agency_change``); the rest
  of the form is saved, and logged, at once;
- a policy parameter entered or changed in the admin becomes an approval request
  (``pension.policy_parameter_change``); approved, it is entered as a new value or the
  next version (``policy_parameter_revise``), so every calculation that cited the old
  version can still show it;
- passwords set on the admin's password page, superuser and staff flags, deleted
  second-factor devices and API clients are in the change log (``pension.watch``);
- no second-factor device is created here: the admin issues a one-time enrolment link
  (``pension.enrolment``) that the user opens after signing in.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from pension import (
    admin_api_clients,  # noqa: F401  (registers the external systems' admin)
    approvals,
    changelog,
    enrolment,
    watch,
)
from pension.errors import ApplicationError
from pension.models import (
    Agency,
    ApprovalRequest,
    Attachment,
    ChangeAction,
    ChangeLogEntry,
    EnrolmentLink,
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
        super().save_model(request, watch.mark_logged(obj), form, change)
        after = changelog.snapshot(obj)
        changelog.record(
            actor=request.user,
            action=ChangeAction.UPDATE if change else ChangeAction.CREATE,
            instance=obj,
            before=before,
            after=after,
            reason=gettext_noop("admin"),
        )

    def delete_model(self, request, obj):
        before = changelog.snapshot(obj)
        pk, label, text = obj.pk, changelog.object_type_of(obj), str(obj)
        super().delete_model(request, watch.mark_logged(obj))
        changelog.record(
            actor=request.user,
            action=ChangeAction.DELETE,
            object_type=label,
            object_id=pk,
            object_repr=text,
            before=before,
            reason=gettext_noop("admin"),
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

    def get_readonly_fields(self, request, obj=None):
        # moving an agency would move every one of its users' region: never in place
        return ("region",) if obj is not None else ()


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
    actions = ("issue_enrolment_link",)

    def save_model(self, request, obj, form, change):
        """Roles and agency go to a second person; everything else is saved (and
        logged) now. A new user starts without roles; their roles are a request."""
        roles, agency = list(obj.roles or []), obj.agency
        if change:
            current = StaffUser.objects.get(pk=obj.pk)
            obj.roles, obj.agency = current.roles, current.agency
        else:
            current = None
            obj.roles = []
        super().save_model(request, obj, form, change)
        reason = gettext("Changed in the administration by %(user)s") % {"user": request.user}
        wanted = []
        if sorted(set(roles)) != sorted(set(obj.roles)):
            wanted.append(
                lambda: approvals.staff_roles_change_request(
                    actor=request.user, user=obj, roles=roles, reason=reason
                )
            )
        if agency is not None and agency != obj.agency and current is not None:
            wanted.append(
                lambda: approvals.staff_agency_change_request(
                    actor=request.user, user=obj, agency=agency, reason=reason
                )
            )
        for make in wanted:
            try:
                made = make()
            except ApplicationError as error:
                messages.error(request, str(error))
                continue
            messages.warning(
                request,
                gettext("The change waits for a second person: approval request #%(id)s.")
                % {"id": made.pk},
            )

    def user_change_password(self, request, id, form_url=""):
        # the password page saves without save_model: the watch logs it in our name
        with watch.acting_user(request.user):
            return super().user_change_password(request, id, form_url)

    @admin.action(description=_("Issue a second-factor enrolment link"), permissions=["change"])
    def issue_enrolment_link(self, request, queryset):
        for user in queryset:
            try:
                _link, token = enrolment.enrolment_link_issue(actor=request.user, user=user)
            except ApplicationError as error:
                messages.error(request, f"{user}: {error}")
                continue
            url = request.build_absolute_uri(reverse("second_factor_enrol")) + f"?link={token}"
            messages.warning(
                request,
                gettext(
                    "Enrolment link for %(user)s, valid once for 24 hours; it is shown only "
                    "this once: %(url)s"
                )
                % {"user": user, "url": url},
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
        """Nothing is entered now: the value waits for a second person."""
        original = PolicyParameter.objects.get(pk=obj.pk) if change else obj
        obj._approval_request = None
        try:
            made = approvals.policy_parameter_change_request(
                actor=request.user,
                key=original.key,
                effective_from=original.effective_from,
                value=form.cleaned_data["value"],
                profile=original.profile,
                region=original.region,
                reference_year=form.cleaned_data.get("reference_year", original.reference_year),
                published_on=form.cleaned_data.get("published_on"),
                source=form.cleaned_data.get("source", original.source) or "",
                notes=form.cleaned_data.get("notes", "") or "",
            )
        except ApplicationError as error:
            messages.error(request, str(error))
            return
        obj._approval_request = made
        messages.warning(
            request,
            gettext(
                "Nothing is entered yet: the value waits for a second person "
                "(approval request #%(id)s); approved, it is saved as a new version."
            )
            % {"id": made.pk},
        )

    def save_related(self, request, form, formsets, change):
        pass  # nothing saved yet

    def log_addition(self, request, obj, message):
        pass  # the change log has the request; the admin's own log would name no row

    def log_change(self, request, obj, message):
        pass

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:pension_policyparameter_changelist"))

    def response_change(self, request, obj):
        return HttpResponseRedirect(reverse("admin:pension_policyparameter_changelist"))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EnrolmentLink)
class EnrolmentLinkAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "created_by", "created_at", "expires_at", "used_at")
    search_fields = ("user__username",)


# Second-factor devices: seen and deleted (a reset, logged), never added or edited here
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "last_used_at")
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        with watch.acting_user(request.user):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


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
