"""Anchors of the change log (变更日志锚点, DESIGN §2.4): the chain head written outside
the database, so that what a role able to write the table could do is still found.

Every hour (Celery beat, ``pension.tasks.change_log_anchor``) the last entry's id and
hash and the count of entries are written, with the time and an HMAC-SHA256 under
``CHANGE_LOG_ANCHOR_KEY`` (from the environment, never in the database), as one JSON
line appended to ``CHANGE_LOG_ANCHOR_FILE`` (under the media volume) and as one line
of the application log (logger ``pension.anchor``, shipped off the machine by the log
collector). ``verify_anchor`` checks the latest anchor's signature and that the entry
it names is still there with the same hash and as many entries up to it:

- deleting the newest rows (up to the anchor) or emptying the table: the entry is gone;
- rewriting rows and recomputing every hash after them (the chain verifies again): the
  anchored entry's hash differs.

Rows written after the latest anchor are protected by the next one; an attacker who
also holds the key and the file, and the shipped log, is out of its reach.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger("pension.anchor")


def _key() -> bytes:
    key = settings.CHANGE_LOG_ANCHOR_KEY
    if not key:
        raise RuntimeError("CHANGE_LOG_ANCHOR_KEY is not set")
    return key.encode("utf-8")


def _signed_text(record: dict) -> str:
    fields = {k: record[k] for k in ("last_id", "row_hash", "count", "at")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def sign(record: dict) -> str:
    return hmac.new(_key(), _signed_text(record).encode("utf-8"), hashlib.sha256).hexdigest()


def anchor_file() -> Path:
    return Path(settings.CHANGE_LOG_ANCHOR_FILE)


def chain_head() -> dict:
    """The last entry's id and hash and the number of entries (in one snapshot)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, row_hash, (SELECT count(*) FROM pension_changelogentry) "
            "FROM pension_changelogentry ORDER BY id DESC LIMIT 1"
        )
        row = cursor.fetchone()
    if row is None:
        return {"last_id": 0, "row_hash": "", "count": 0}
    return {"last_id": row[0], "row_hash": row[1], "count": row[2]}


def anchor_write() -> dict:
    """Write the chain head to the anchor file and the application log, signed."""
    record = {**chain_head(), "at": timezone.now().isoformat()}
    record["hmac"] = sign(record)
    line = json.dumps(record, sort_keys=True, separators=(",", ":"))
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    logger.info("change log anchor %s", line)
    return record


def latest_anchor() -> dict | None:
    """The last line of the anchor file, or None when there is none yet."""
    path = anchor_file()
    if not path.exists():
        return None
    last = ""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                last = line
    return json.loads(last) if last else None


@dataclass(frozen=True)
class AnchorReport:
    anchor: dict | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_anchor(anchor: dict | None = None) -> AnchorReport:
    """Compare the table with the latest (or the given) anchor."""
    anchor = anchor if anchor is not None else latest_anchor()
    if anchor is None:
        return AnchorReport(None, "")
    if not hmac.compare_digest(str(anchor.get("hmac", "")), sign(anchor)):
        return AnchorReport(anchor, "the anchor's signature does not verify (altered anchor)")
    last_id, count = anchor["last_id"], anchor["count"]
    if last_id == 0:
        return AnchorReport(anchor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_hash FROM pension_changelogentry WHERE id = %s", [last_id])
        row = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pension_changelogentry WHERE id <= %s", [last_id])
        present = cursor.fetchone()[0]
    if row is None:
        return AnchorReport(
            anchor, f"entry {last_id}, anchored at {anchor['at']}, is missing (rows deleted)"
        )
    if row[0] != anchor["row_hash"]:
        return AnchorReport(
            anchor,
            f"entry {last_id} has another hash than anchored at {anchor['at']} (rows rewritten)",
        )
    if present != count:
        return AnchorReport(
            anchor,
            f"{present} entries up to {last_id}, {count} anchored at {anchor['at']} (rows deleted)",
        )
    return AnchorReport(anchor)
