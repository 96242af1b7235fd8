"""Django admin of external systems (外部系统接入): their keys, calls and idempotency
records. Imported by ``pension/admin.py``.

A key is shown once, in a warning message, when a system is added and when its key
is rotated; the admin never shows it again (only its prefix). Keys are rotated and
revoked through admin actions, which call the services in ``pension.api.keys``;
systems are never deleted, since their calls and change-log entries refer to them.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pension.api import keys
from pension.errors import ApplicationError
from pension.models import ApiCallLog, ApiClient, IdempotencyRecord

KEY_SHOWN_ONCE = _(
    "The API key of %(name)s is %(key)s. It is shown only this once: hand it to the "
    "system's operator now."
)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "key_prefix", "scopes", "is_active",
                    "created_at", "last_used_at", "rotated_at", "revoked_at")  # fmt: skip
    list_filter = ("kind", "is_active", "region__level")
    search_fields = ("name", "key_prefix", "region__name")
    raw_id_fields = ("region",)
    fields = ("name", "kind", "region", "bank_name", "scopes", "expires_at", "key_prefix",
              "key_hash",
              "is_active", "created_at", "created_by", "rotated_at", "revoked_at",
              "last_used_at")  # fmt: skip
    readonly_fields = ("key_prefix", "key_hash", "is_active", "created_at", "created_by",
                       "rotated_at", "revoked_at", "last_used_at")  # fmt: skip
    actions = ("rotate_key", "revoke")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiClient, form, change: bool) -> None:
        if change:
            keys.api_client_update(
                actor=request.user,
                client=obj,
                name=obj.name,
                kind=obj.kind,
                region=obj.region,
                scopes=obj.scopes,
                bank_name=obj.bank_name,
                expires_at=obj.expires_at,
            )
            return
        client, key = keys.api_client_create(
            actor=request.user,
            name=obj.name,
            kind=obj.kind,
            region=obj.region,
            scopes=obj.scopes,
            bank_name=obj.bank_name,
            expires_at=obj.expires_at,
        )
        # the admin goes on with ``obj`` (its history and redirect): make it the saved row
        for field in ApiClient._meta.concrete_fields:
            setattr(obj, field.attname, getattr(client, field.attname))
        obj._state.adding, obj._state.db = False, client._state.db
        messages.warning(request, str(KEY_SHOWN_ONCE) % {"name": client.name, "key": key})

    @admin.action(description=_("Rotate the key (the old key stops working)"),
                  permissions=["change"])  # fmt: skip
    def rotate_key(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            try:
                key = keys.api_client_rotate(actor=request.user, client=client)
            except ApplicationError as error:
                messages.error(request, f"{client.name}: {error}")
                continue
            messages.warning(request, str(KEY_SHOWN_ONCE) % {"name": client.name, "key": key})

    @admin.action(description=_("Revoke the key"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        revoked = 0
        for client in queryset:
            try:
                keys.api_client_revoke(actor=request.user, client=client)
            except ApplicationError as error:
                messages.error(request, f"{client.name}: {error}")
                continue
            revoked += 1
        if revoked:
            self.message_user(
                request, gettext("Keys revoked: %(count)s.") % {"count": revoked}, messages.SUCCESS
            )


@admin.register(ApiCallLog)
class ApiCallLogAdmin(_ReadOnly):
    list_display = ("id", "occurred_at", "client", "method", "path", "status_code",
                    "client_address", "idempotency_key")  # fmt: skip
    list_filter = ("method", "status_code", "client")
    search_fields = ("path", "idempotency_key", "client__name")
    date_hierarchy = "occurred_at"
    list_select_related = ("client",)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(_ReadOnly):
    list_display = ("id", "created_at", "client", "key", "status_code", "request_hash")
    list_filter = ("status_code", "client")
    search_fields = ("key", "client__name")
    date_hierarchy = "created_at"
    list_select_related = ("client",)
