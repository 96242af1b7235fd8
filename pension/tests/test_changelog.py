"""The change log: written with every change, append-only in the database, verifiable."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from pension import changelog
from pension.context import acting
from pension.models import ChangeAction, ChangeLogEntry, PolicyParameter, Region

pytestmark = pytest.mark.django_db


def _entries(n, actor=None):
    region = Region.objects.get(code="140105")
    return [
        changelog.record(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=region,
            before={"name": f"n{i}"},
            after={"name": f"n{i + 1}"},
            reason=f"step {i}",
        )
        for i in range(n)
    ]


def test_an_entry_records_who_for_which_agency_from_where_and_why(demo_tiny, staff):
    with acting(request_id="req-123", client_address="10.1.2.3"):
        (entry,) = _entries(1, actor=staff["caseworker"])
    entry.refresh_from_db()
    assert entry.actor == staff["caseworker"]
    assert entry.actor_username == "caseworker"
    assert entry.agency == staff["caseworker"].agency
    assert (entry.request_id, entry.client_address) == ("req-123", "10.1.2.3")
    assert (entry.object_type, entry.object_id) == ("pension.region", "140105")
    assert entry.before == {"name": "n0"} and entry.after == {"name": "n1"}
    assert entry.reason == "step 0"


def test_entries_are_chained(demo_tiny):
    first, second, third = _entries(3)
    assert first.prev_hash == changelog.GENESIS or first.prev_hash  # may follow earlier rows
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    assert changelog.verify_chain().ok


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE pension_changelogentry SET reason = 'edited'",
        "DELETE FROM pension_changelogentry",
        "TRUNCATE pension_changelogentry",
    ],
)
def test_the_database_refuses_update_delete_and_truncate(demo_tiny, sql):
    _entries(2)
    with connection.cursor() as cursor:
        # the test connection may TRUNCATE (test flushes); this statement may not
        cursor.execute("SET LOCAL pension.allow_truncate = 'off'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the inserts' FK checks
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(sql)
    assert ChangeLogEntry.objects.filter(reason="edited").count() == 0
    assert ChangeLogEntry.objects.count() >= 2


def test_tampering_with_the_trigger_disabled_is_found_by_verify(demo_tiny):
    entries = _entries(4)
    victim = entries[2]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the inserts' FK checks
        # what a privileged attacker could do: switch the trigger off and edit a row
        cursor.execute("ALTER TABLE pension_changelogentry DISABLE TRIGGER changelog_no_update")
        cursor.execute(
            'UPDATE pension_changelogentry SET after = \'{"name": "forged"}\' WHERE id = %s',
            [victim.pk],
        )
        cursor.execute("ALTER TABLE pension_changelogentry ENABLE TRIGGER changelog_no_update")
    report = changelog.verify_chain()
    assert (report.ok, report.first_bad_id) == (False, victim.pk)
    with pytest.raises(CommandError, match=f"entry {victim.pk} does not verify"):
        call_command("verify_change_log")


def test_deleting_a_row_with_the_trigger_disabled_breaks_the_chain_at_the_next(demo_tiny):
    entries = _entries(3)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE pension_changelogentry DISABLE TRIGGER changelog_no_update")
        cursor.execute("DELETE FROM pension_changelogentry WHERE id = %s", [entries[1].pk])
        cursor.execute("ALTER TABLE pension_changelogentry ENABLE TRIGGER changelog_no_update")
    assert changelog.verify_chain().first_bad_id == entries[2].pk


def test_a_policy_revision_is_logged_with_before_and_after(demo_tiny, staff):
    from pension.services import policy_parameter_revise

    parameter = PolicyParameter.objects.get(key="contribution.payment_due_day", profile="shanxi")
    revised = policy_parameter_revise(
        actor=staff["admin"], parameter=parameter, value=20, notes="due day moved"
    )
    entry = ChangeLogEntry.objects.get(
        object_type="pension.policyparameter", object_id=str(revised.pk)
    )
    assert entry.before["value"] == 15 and entry.after["value"] == 20
    assert entry.after["version"] == 2 and entry.reason == "due day moved"


def test_admin_edits_are_logged(client, demo_tiny, staff):
    client.force_login(staff["admin"])
    region = Region.objects.get(code="140105")
    response = client.post(
        f"/admin/pension/region/{region.pk}/change/",
        {
            "code": "140105",
            "name": "小店区（改）",
            "level": "county",
            "parent": "140100",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = ChangeLogEntry.objects.filter(object_type="pension.region", object_id="140105").latest(
        "id"
    )
    assert entry.actor == staff["admin"]
    assert entry.before["name"] == "小店区" and entry.after["name"] == "小店区（改）"
    assert entry.reason == "admin"


# --- the anchor: tampering done as the table's owner, as an attacker with DB access ---


@pytest.fixture
def anchored(demo_tiny, staff, settings, tmp_path):
    """Three entries, then an anchor in a file of the test's own."""
    from pension import anchor

    settings.CHANGE_LOG_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    for n in range(3):
        changelog.record(actor=staff["admin"], action=ChangeAction.UPDATE,
                         object_type="test.thing", object_id=n, after={"n": n})  # fmt: skip
    record = anchor.anchor_write()
    assert anchor.verify_anchor().ok
    return record


def _as_owner(sql: str, params=None) -> None:
    """What the table's owner can do: switch its triggers off, change rows, switch them on."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks
        cursor.execute("ALTER TABLE pension_changelogentry DISABLE TRIGGER USER")
        cursor.execute(sql, params or [])
        cursor.execute("ALTER TABLE pension_changelogentry ENABLE TRIGGER USER")


def test_the_anchor_finds_the_newest_rows_deleted(anchored):
    from pension import anchor

    _as_owner("DELETE FROM pension_changelogentry WHERE id > %s", [anchored["last_id"] - 2])
    assert changelog.verify_chain().ok  # the chain alone cannot tell
    report = anchor.verify_anchor()
    assert not report.ok and "missing" in report.problem


def test_the_anchor_finds_the_table_emptied(anchored):
    from pension import anchor

    _as_owner("DELETE FROM pension_changelogentry")
    assert changelog.verify_chain().ok and changelog.verify_chain().checked == 0
    assert not anchor.verify_anchor().ok


def test_the_anchor_finds_rows_rewritten_and_rehashed(anchored):
    from pension import anchor

    rows = list(ChangeLogEntry.objects.order_by("id").values())
    victim = rows[-2]
    _as_owner(
        "UPDATE pension_changelogentry SET after = %s WHERE id = %s",
        ['{"n": 999}', victim["id"]],
    )
    # rehash from the victim on, as a careful attacker would
    previous = rows[-3]["row_hash"] if len(rows) > 2 else changelog.GENESIS
    for values in ChangeLogEntry.objects.filter(id__gte=victim["id"]).order_by("id").values():
        values["prev_hash"] = previous
        new_hash = changelog.entry_hash(values)
        _as_owner(
            "UPDATE pension_changelogentry SET prev_hash = %s, row_hash = %s WHERE id = %s",
            [previous, new_hash, values["id"]],
        )
        previous = new_hash
    assert changelog.verify_chain().ok  # the chain verifies again
    report = anchor.verify_anchor()
    assert not report.ok and "another hash" in report.problem


def test_an_altered_anchor_is_refused(anchored, settings):
    import json

    from pension import anchor

    forged = {**anchored, "count": anchored["count"] - 1}
    assert "signature" in anchor.verify_anchor(forged).problem
    line = json.loads(settings.CHANGE_LOG_ANCHOR_FILE.read_text().splitlines()[-1])
    assert line == anchored


def test_verify_change_log_command_fails_on_a_tampered_table(anchored):
    from django.core.management import CommandError, call_command

    _as_owner("DELETE FROM pension_changelogentry")
    with pytest.raises(CommandError, match="latest anchor"):
        call_command("verify_change_log")
