"""Writing and verifying the change log (DESIGN §2.4).

``record()`` writes one entry in the caller's transaction. Entries are chained:
each carries the previous entry's hash and its own, computed over its content. A
transaction-scoped advisory lock serialises writers from the moment one takes its
place in the chain until its transaction ends, so chain order is commit order and
two writers never link to the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from pension.context import current
from pension.models import ChangeLogEntry

GENESIS = "0" * 64
_CHAIN_LOCK = 7_211_000_001  # pg_advisory_xact_lock key of the chain
_HASHED = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_username",
    "agency_id",
    "api_client_id",
    "client_address",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "reason",
    "prev_hash",
)


def json_safe(value: Any) -> Any:
    """A value as the log stores it: Decimals and dates as text, never floats."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """The instance's concrete field values by attribute name (``agency_id``, not ``agency``)."""
    out = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        if field.attname == "password":
            out[field.attname] = "(hidden)" if getattr(instance, field.attname) else ""
            continue
        out[field.attname] = json_safe(getattr(instance, field.attname))
    return out


def changed(before: dict | None, after: dict | None) -> dict:
    """Only what differs: {field: [before, after]}."""
    before, after = before or {}, after or {}
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def object_type_of(instance: models.Model) -> str:
    return instance._meta.label_lower


def entry_hash(values: dict) -> str:
    payload = {key: values.get(key) for key in _HASHED}
    if isinstance(payload["occurred_at"], datetime):
        payload["occurred_at"] = payload["occurred_at"].astimezone(UTC).isoformat()
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(
    *,
    actor,
    action: str,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    agency=None,
) -> ChangeLogEntry:
    """Append one entry to the change log, in the caller's transaction."""
    if instance is not None:
        object_type = object_type or object_type_of(instance)
        object_id = object_id or instance.pk
        object_repr = object_repr or str(instance)
    ctx = current()
    actor_obj = actor if getattr(actor, "is_authenticated", False) and actor.pk else None
    if agency is None and actor_obj is not None:
        agency = getattr(actor_obj, "agency", None)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
            cursor.execute("SELECT row_hash FROM pension_changelogentry ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
            cursor.execute("SELECT nextval(pg_get_serial_sequence('pension_changelogentry', 'id'))")
            next_id = cursor.fetchone()[0]
        entry = ChangeLogEntry(
            id=next_id,
            occurred_at=timezone.now(),
            actor=actor_obj,
            actor_username=actor_obj.get_username() if actor_obj else "",
            agency=agency,
            api_client_id=ctx.api_client_id,
            client_address=ctx.client_address,
            request_id=ctx.request_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id if object_id is not None else ""),
            object_repr=str(object_repr)[:200],
            before=json_safe(before) if before is not None else None,
            after=json_safe(after) if after is not None else None,
            reason=reason,
            prev_hash=row[0] if row else GENESIS,
        )
        entry.row_hash = entry_hash(_values(entry))
        entry.save(force_insert=True)
    return entry


def _values(entry: ChangeLogEntry) -> dict:
    return {key: getattr(entry, key) for key in _HASHED}


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(*, chunk: int = 5000) -> ChainReport:
    """Walk the chain in id order; name the first entry that does not verify."""
    previous = GENESIS
    checked = 0
    qs = ChangeLogEntry.objects.order_by("id").values(*_HASHED, "row_hash")
    for values in qs.iterator(chunk_size=chunk):
        if values["prev_hash"] != previous:
            return ChainReport(checked, values["id"], "prev_hash does not match the entry before")
        if entry_hash(values) != values["row_hash"]:
            return ChainReport(checked, values["id"], "content does not match its hash")
        previous = values["row_hash"]
        checked += 1
    return ChainReport(checked)
