"""The change log's safety net for the records that let one person defeat the controls
(DESIGN §2.4): staff users (password, roles, agency, superuser and staff flags),
second-factor devices, API clients and policy parameters.

Services log their own writes and mark the instance (``mark_logged``); any other save
or delete of these records (the Django admin's password page, a device deleted in the
admin, ``manage.py changepassword`` or ``createsuperuser``, a shell) is written to the
hash-chained change log here, with the acting administrator when one is known
(``acting_user``).

``QuerySet.update`` (and ``bulk_update``, which runs on it) and ``bulk_create`` send no
signal, so ``connect`` wraps them: an ``update`` that sets a watched field of these
models reads the rows' watched values before and after, in one transaction, and logs
every row that changed; a ``bulk_create`` logs each row it creates, and one that
would overwrite or skip existing rows (``update_conflicts``, ``ignore_conflicts``) is
refused, since it cannot say which rows it wrote. ``QuerySet.delete`` sends
``post_delete`` per row (below). Raw SQL needs database access, which the anchored
log and the database roles answer (docs/operations.md).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Model
from django.db.models.query import QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.translation import gettext_noop

from pension import changelog
from pension.models import ChangeAction

# model label -> the fields whose change must leave a change-log row (None: every field)
WATCHED: dict[str, tuple[str, ...] | None] = {
    "pension.staffuser": (
        "username", "password", "roles", "agency", "is_superuser", "is_staff", "is_active",
    ),
    "pension.apiclient": (
        "name", "kind", "region", "bank_name", "scopes", "key_hash", "is_active", "revoked_at",
        "expires_at",
    ),
    "pension.policyparameter": None,
    "otp_totp.totpdevice": ("user", "key", "confirmed", "name"),
}  # fmt: skip
_SECRET = {"password", "key", "key_hash"}
# what a secret's value is logged as (msgids: the change-log pages translate them)
HIDDEN = gettext_noop("(hidden)")
CHANGED = gettext_noop("(changed)")
_FLAG = "_changelog_recorded"
_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("pension_watch_actor", default=None)


@contextmanager
def acting_user(user: Any):
    """Saves in this block that no service logged are logged in ``user``'s name."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def mark_logged(instance: Model) -> Model:
    """The caller writes this save's change-log row itself: the net stays silent once."""
    setattr(instance, _FLAG, True)
    return instance


def _label(sender) -> str:
    return sender._meta.label_lower


def _attnames(sender) -> list[str]:
    fields = WATCHED[_label(sender)]
    return [
        f.attname
        for f in sender._meta.concrete_fields
        if fields is None or f.name in fields or f.attname in fields
    ]


def _shown(name: str, value: Any) -> Any:
    if name in _SECRET:
        return HIDDEN if value else ""
    return changelog.json_safe(value)


def _pre_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or _label(sender) not in WATCHED or instance._state.adding or instance.pk is None:
        return
    names = _attnames(sender)
    if update_fields is not None and not {
        sender._meta.get_field(f).attname for f in update_fields
    } & set(names):
        instance._watch_old = None  # last_login, last_used_at …: nothing watched
        return
    instance._watch_old = sender._default_manager.filter(pk=instance.pk).values(*names).first()


# The reasons this net writes, by (an administrator acting?, how): each a msgid whole,
# so that the change-log pages show it translated (``{% translate entry.reason %}``);
# the wording is kept as the rows of earlier releases have it.
REASONS: dict[tuple[bool, str], str] = {
    (True, ""): gettext_noop("admin"),
    (False, ""): gettext_noop("outside the services (command line or shell)"),
    (True, "QuerySet.update"): gettext_noop("admin, QuerySet.update"),
    (False, "QuerySet.update"): gettext_noop(
        "outside the services (command line or shell), QuerySet.update"
    ),
    (True, "QuerySet.bulk_create"): gettext_noop("admin, QuerySet.bulk_create"),
    (False, "QuerySet.bulk_create"): gettext_noop(
        "outside the services (command line or shell), QuerySet.bulk_create"
    ),
}


def _record(instance, action: str, before: dict | None, after: dict | None, how: str = "") -> None:
    actor = _actor.get()
    changelog.record(
        actor=actor,
        action=action,
        instance=instance,
        before=before,
        after=after,
        reason=REASONS[(actor is not None, how)],
    )


def _post_save(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw or _label(sender) not in WATCHED:
        return
    if getattr(instance, _FLAG, False):
        setattr(instance, _FLAG, False)
        return
    names = _attnames(sender)
    now = {n: getattr(instance, n) for n in names}
    if created:
        _record(instance, ChangeAction.CREATE, None, {n: _shown(n, v) for n, v in now.items()})
        return
    old = getattr(instance, "_watch_old", None)
    instance._watch_old = None
    if old is None:
        return
    differ = [n for n in names if changelog.json_safe(old[n]) != changelog.json_safe(now[n])]
    if not differ:
        return
    before = {n: _shown(n, old[n]) for n in differ}
    after = {n: (CHANGED if n in _SECRET else _shown(n, now[n])) for n in differ}
    _record(instance, ChangeAction.UPDATE, before, after)


def _post_delete(sender, instance, **kwargs) -> None:
    if _label(sender) not in WATCHED or getattr(instance, _FLAG, False):
        return
    names = _attnames(sender)
    before = {n: _shown(n, getattr(instance, n)) for n in names}
    _record(instance, ChangeAction.DELETE, before, None)


def _watched(model) -> bool:
    # historical models of migrations (their own app registry) are left alone
    return model._meta.label_lower in WATCHED and model._meta.apps is apps


_queryset_update = QuerySet.update
_queryset_bulk_create = QuerySet.bulk_create


def _update(self: QuerySet, **kwargs):
    model = self.model
    if not _watched(model):
        return _queryset_update(self, **kwargs)
    names = _attnames(model)
    touched = {model._meta.get_field(name).attname for name in kwargs}
    if not touched & set(names):
        return _queryset_update(self, **kwargs)  # last_used_at …: nothing watched
    with transaction.atomic(using=self.db):
        old = {row["pk"]: row for row in self.select_for_update(of=("self",)).values("pk", *names)}
        count = _queryset_update(self, **kwargs)
        rows = model._base_manager.using(self.db).filter(pk__in=list(old))
        for instance in rows.order_by("pk"):
            before = old[instance.pk]
            differ = [
                n
                for n in names
                if changelog.json_safe(before[n]) != changelog.json_safe(getattr(instance, n))
            ]
            if differ:
                _record(
                    instance,
                    ChangeAction.UPDATE,
                    {n: _shown(n, before[n]) for n in differ},
                    {
                        n: (CHANGED if n in _SECRET else _shown(n, getattr(instance, n)))
                        for n in differ
                    },
                    how="QuerySet.update",
                )
    return count


class WatchedBulkCreateRefused(ValueError):
    """``bulk_create`` with ``update_conflicts`` or ``ignore_conflicts`` on a watched
    model."""


def _bulk_create(self: QuerySet, objs, *args, **kwargs):
    model = self.model
    if not _watched(model):
        return _queryset_bulk_create(self, objs, *args, **kwargs)
    if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
        raise WatchedBulkCreateRefused(
            f"{model._meta.label}: bulk_create with update_conflicts or ignore_conflicts "
            "cannot say which rows it created or overwrote; save them one by one"
        )
    names = _attnames(model)
    with transaction.atomic(using=self.db):
        made = _queryset_bulk_create(self, objs, *args, **kwargs)
        for instance in made:
            after = {n: _shown(n, getattr(instance, n)) for n in names}
            _record(instance, ChangeAction.CREATE, None, after, how="QuerySet.bulk_create")
    return made


def connect() -> None:
    """Called from ``PensionConfig.ready``."""
    QuerySet.update = _update
    QuerySet.bulk_create = _bulk_create
    pre_save.connect(_pre_save, dispatch_uid="pension.watch.pre_save")
    post_save.connect(_post_save, dispatch_uid="pension.watch.post_save")
    post_delete.connect(_post_delete, dispatch_uid="pension.watch.post_delete")
