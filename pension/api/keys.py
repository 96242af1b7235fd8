"""API keys of external systems (接口密钥): create, rotate, revoke.

A key reads ``<prefix>.<secret>``: the prefix (8 URL-safe characters) finds the
``ApiClient`` row, the secret (``secrets.token_urlsafe(32)``) proves the caller holds
it. Only SHA-256 of the whole key is stored; the plaintext is returned once, by
``api_client_create`` and ``api_client_rotate``, and never written to the change log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from pension import changelog
from pension.errors import Conflict, InvalidInput
from pension.models import ApiClient, ChangeAction, Region
from pension.watch import mark_logged

PREFIX_LENGTH = 8
SEPARATOR = "."
HIDDEN = "(hidden)"
_SECRET_FIELDS = ("key_hash",)

ERROR_REVOKED = _("This external system's key has been revoked; nothing was changed.")


def hash_key(key: str) -> str:
    """SHA-256 (hex) of the whole key, as ``ApiClient.key_hash`` stores it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(client: ApiClient, key: str) -> bool:
    """Whether ``key`` is the client's current key (constant-time comparison)."""
    return hmac.compare_digest(hash_key(key), client.key_hash)


def split_key(key: str) -> tuple[str, str]:
    """``(prefix, secret)``; empty strings when the key has no separator."""
    prefix, sep, secret = key.partition(SEPARATOR)
    return (prefix, secret) if sep else ("", "")


def _new_key() -> tuple[str, str]:
    """A fresh ``(prefix, key)`` whose prefix no client uses yet."""
    while True:
        # token_urlsafe(6) is 8 characters of [A-Za-z0-9_-]; never contains the dot
        prefix = secrets.token_urlsafe(6)[:PREFIX_LENGTH]
        if not ApiClient.objects.filter(key_prefix=prefix).exists():
            return prefix, f"{prefix}{SEPARATOR}{secrets.token_urlsafe(32)}"


# ``api_client_update(expires_at=UNCHANGED)``: the expiry stays as it is
UNCHANGED = object()


def _loggable(client: ApiClient) -> dict:
    """The client as the change log shows it: the key's hash is never written."""
    values = changelog.snapshot(client)
    for field in _SECRET_FIELDS:
        values[field] = HIDDEN
    return values


def _full_clean(client: ApiClient) -> None:
    """``full_clean`` with the first error as ``InvalidInput`` (a bank without its name…)."""
    try:
        client.full_clean()
    except ValidationError as error:
        field, errors = next(iter(error.message_dict.items()))
        code = "bank_name_required" if field == "bank_name" else "invalid"
        raise InvalidInput(errors[0], code=code, details={"field": field}) from None


def _normalised_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted({scope.strip() for scope in scopes if scope and scope.strip()})


@transaction.atomic
def api_client_create(
    *,
    actor,
    name: str,
    kind: str,
    region: Region,
    scopes: Iterable[str],
    bank_name: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiClient, str]:
    """Register an external system; returns it and its key, which is shown only now.
    A bank's system names its bank (``bank_name``): it then sees only that bank's files."""
    prefix, key = _new_key()
    client = ApiClient(
        name=name,
        kind=kind,
        region=region,
        bank_name=bank_name.strip(),
        expires_at=expires_at,
        scopes=_normalised_scopes(scopes),
        key_prefix=prefix,
        key_hash=hash_key(key),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _full_clean(client)
    mark_logged(client).save()
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=client,
        after=_loggable(client),
    )
    return client, key


@transaction.atomic
def api_client_update(
    *,
    actor,
    client: ApiClient,
    name: str,
    kind: str,
    region: Region,
    scopes: Iterable[str],
    bank_name: str | None = None,
    expires_at: datetime | object | None = UNCHANGED,
) -> ApiClient:
    """Change a system's name, kind, region, scopes or bank (``None``: the bank stays);
    its key stays as it is."""
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    before = _loggable(locked)
    locked.name, locked.kind, locked.region = name, kind, region
    locked.scopes = _normalised_scopes(scopes)
    if bank_name is not None:
        locked.bank_name = bank_name.strip()
    if expires_at is not UNCHANGED:
        locked.expires_at = expires_at
    _full_clean(locked)
    mark_logged(locked).save(
        update_fields=["name", "kind", "region", "scopes", "bank_name", "expires_at"]
    )
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=locked,
        before=before,
        after=_loggable(locked),
    )
    return locked


@transaction.atomic
def api_client_rotate(*, actor, client: ApiClient) -> str:
    """Give the system a new key; the old one stops working when this commits."""
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    if not locked.is_active or locked.revoked_at is not None:
        raise Conflict(ERROR_REVOKED, code="api_client_revoked")
    before = _loggable(locked)
    prefix, key = _new_key()
    locked.key_prefix, locked.key_hash = prefix, hash_key(key)
    locked.rotated_at = timezone.now()
    mark_logged(locked).save(update_fields=["key_prefix", "key_hash", "rotated_at"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=locked,
        before=before,
        after=_loggable(locked),
        reason=gettext_noop("key rotated"),
    )
    client.key_prefix, client.key_hash, client.rotated_at = (
        locked.key_prefix,
        locked.key_hash,
        locked.rotated_at,
    )
    return key


@transaction.atomic
def api_client_revoke(*, actor, client: ApiClient) -> ApiClient:
    """Switch the system's key off for good (a new key needs a new system)."""
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    if not locked.is_active or locked.revoked_at is not None:
        raise Conflict(ERROR_REVOKED, code="api_client_revoked")
    before = _loggable(locked)
    locked.is_active = False
    locked.revoked_at = timezone.now()
    mark_logged(locked).save(update_fields=["is_active", "revoked_at"])
    changelog.record(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=locked,
        before=before,
        after=_loggable(locked),
        reason=gettext_noop("key revoked"),
    )
    client.is_active, client.revoked_at = locked.is_active, locked.revoked_at
    return locked
