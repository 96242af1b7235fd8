"""Internal-control reports (DESIGN §5.7): approvals by user, decisions above the owning
agency, refused requests, changes out of hours, and the chain verification with its
alert when the chain is broken."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from audit import controls, selectors
from audit.choices import RiskRule
from audit.models import Alert, ChainVerification
from pension import changelog
from pension.errors import NotPermitted
from pension.models import ApprovalRequest, ChangeLogEntry

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _decided(staff, checker, status, *, when=datetime(2026, 11, 3, 10, tzinfo=SHANGHAI)):
    return ApprovalRequest.objects.create(
        operation="enrollment.person_key_data_change", object_type="enrollment.insuredperson",
        object_id="1", summary="案件", payload={}, agency=staff["caseworker"].agency,
        status=status, maker=staff["caseworker"], checker=checker, decided_at=when,
        decision_reason="不符" if status == "rejected" else "",
    )  # fmt: skip


def test_approvals_by_user_above_and_refused(staff):
    _decided(staff, staff["reviewer"], "approved")
    _decided(staff, staff["reviewer"], "approved")
    refused = _decided(staff, staff["reviewer"], "rejected")
    above = _decided(staff, staff["province_reviewer"], "approved")
    _decided(staff, staff["reviewer"], "approved", when=datetime(2026, 10, 1, 10, tzinfo=SHANGHAI))
    november = {"since": datetime(2026, 11, 1).date(), "until": datetime(2026, 11, 30).date()}
    rows = {
        r["checker__username"]: r for r in selectors.approvals_by_user(staff["auditor"], **november)
    }
    reviewer = rows["reviewer"]
    assert (reviewer["approved"], reviewer["rejected"], reviewer["above"]) == (2, 1, 0)
    assert (rows["province_reviewer"]["approved"], rows["province_reviewer"]["above"]) == (1, 1)
    assert above in selectors.decided_above(staff["auditor"], **november)
    assert refused not in selectors.decided_above(staff["auditor"], **november)
    assert refused in selectors.refused_requests(staff["auditor"], **november)
    # another county's auditor reads none of it
    other = staff["other_caseworker"]
    other.roles = ["auditor"]
    other.save()
    assert not selectors.refused_requests(other, **november).filter(pk=refused.pk).exists()


def test_out_of_hours_changes(staff):
    """Entries get the time of writing: moved to a Saturday noon, a Monday 07:59 and
    18:00 and a Tuesday 10:00 (local) in the filter's own terms by reading them with
    the entries' time set on creation (the log is append-only)."""
    from django.utils import timezone

    times = {
        "saturday": datetime(2026, 11, 7, 12, tzinfo=SHANGHAI),
        "early": datetime(2026, 11, 9, 7, 59, tzinfo=SHANGHAI),
        "evening": datetime(2026, 11, 9, 18, 0, tzinfo=SHANGHAI),
        "office": datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI),
    }
    entries = {}
    for name, when in times.items():
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(timezone, "now", lambda when=when: when)
            entries[name] = changelog.record(
                actor=staff["caseworker"], action="update", object_type="x.y", object_id=name
            )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: times["saturday"])
        read = changelog.record(actor=staff["caseworker"], action="read", object_type="x.y")
    found = set(
        selectors.out_of_hours_changes(
            staff["auditor"],
            since=datetime(2026, 11, 1).date(),
            until=datetime(2026, 11, 30).date(),
        ).values_list("pk", flat=True)
    )
    mine = {e.pk for e in entries.values()} | {read.pk}
    assert found & mine == {entries["saturday"].pk, entries["early"].pk, entries["evening"].pk}


def test_chain_verification_intact_then_broken_raises_one_alert(staff, monkeypatch):
    result = controls.chain_verify(actor=staff["auditor"])
    assert result.ok and result.checked == ChangeLogEntry.objects.count() - 1
    assert not Alert.objects.filter(rule=RiskRule.CHAIN_BROKEN).exists()
    # a broken chain (pension/tests/test_changelog.py tampers with it as the owner and
    # shows verify_chain names the entry): here its report
    victim = ChangeLogEntry.objects.order_by("id").first()
    report = changelog.ChainReport(3, victim.pk, "content does not match its hash")
    monkeypatch.setattr(changelog, "verify_chain", lambda: report)
    broken = controls.chain_verify(actor=None)
    assert not broken.ok and broken.first_bad_id == victim.pk and broken.checked == 3
    [alert] = Alert.objects.filter(rule=RiskRule.CHAIN_BROKEN)
    assert alert.subject_key == f"chain:{victim.pk}" and alert.region_id == "140000"
    assert alert.details["verification"] == broken.pk
    controls.chain_verify(actor=None)  # found again: no second alert
    assert Alert.objects.filter(rule=RiskRule.CHAIN_BROKEN).count() == 1
    assert ChainVerification.objects.count() == 3


def test_chain_verification_refused_to_county_staff(staff):
    with pytest.raises(NotPermitted):
        controls.chain_verify(actor=staff["county_head"])


def test_report_pages(client, staff):
    refused = _decided(staff, staff["reviewer"], "rejected")
    controls.chain_verify(actor=None)
    client.force_login(staff["auditor"])
    page = client.get("/audit/controls/?report=refused").content.decode()
    assert f'data-request="{refused.pk}"' in page and "内控" in page
    page = client.get("/audit/controls/?report=chain").content.decode()
    assert "data-verification=" in page
    assert client.get("/audit/controls/?report=approvals").status_code == 200
    assert 'data-checker="reviewer"' in client.get("/audit/controls/").content.decode()
    client.force_login(staff["caseworker"])
    assert client.get("/audit/controls/").status_code == 403
