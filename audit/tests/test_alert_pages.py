"""The alert queue and inspections (DESIGN §5.7): an auditor assigns an alert and opens
an inspection from it; a finding becomes a back-payment case; region and role refusals
change nothing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from audit import services
from audit.choices import AlertStatus, FindingStatus, InspectionKind
from audit.models import Alert, Finding, Inspection
from enrollment.models import Employer
from pension.errors import NotPermitted
from pension.models import ApprovalRequest, ChangeLogEntry, StaffUser

pytestmark = pytest.mark.django_db


def _alert(person=None, employer=None, region="140105") -> Alert:
    key = f"person:{person.pk}" if person else f"employer:{employer.pk}"
    return Alert.objects.create(
        rule="implausible_dates",
        subject_key=key,
        subject_label="测试",
        person=person,
        employer=employer,
        region_id=region,
    )


def _county_auditor(staff, name="county_auditor", source="caseworker") -> StaffUser:
    return StaffUser.objects.create(
        username=name, full_name="县稽核", roles=["auditor"], agency=staff[source].agency
    )


def test_auditor_assigns_and_opens_an_inspection(client, staff):
    employer = Employer.objects.filter(region__code__startswith="1401").order_by("id").first()
    alert = _alert(employer=employer, region=employer.region_id)
    client.force_login(staff["auditor"])
    page = client.get("/audit/alerts/").content.decode()
    assert f'data-alert="{alert.pk}"' in page and "年龄或参加工作时间异常" in page
    client.post(f"/audit/alerts/{alert.pk}/assign", {"owner": staff["auditor"].pk})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ASSIGNED and alert.owner == staff["auditor"]
    assert ChangeLogEntry.objects.filter(
        object_type="audit.alert", object_id=str(alert.pk)
    ).exists()
    response = client.post(f"/audit/alerts/{alert.pk}/inspect")
    inspection = Inspection.objects.get(alert=alert)
    assert response.url == f"/audit/inspections/{inspection.pk}/"
    assert inspection.kind == InspectionKind.EMPLOYER and inspection.employer == employer
    assert inspection.risk_score == 1


def test_other_county_and_wrong_role_are_refused(client, staff):
    alert = _alert(person=None, employer=Employer.objects.filter(region_id="140105").first())
    other = _county_auditor(staff, "other_auditor", "other_caseworker")
    client.force_login(other)
    assert client.get(f"/audit/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/audit/alerts/{alert.pk}/assign", {"owner": other.pk}).status_code == 404
    client.force_login(staff["caseworker"])
    assert client.get("/audit/alerts/").status_code == 403
    assert client.post(f"/audit/alerts/{alert.pk}/inspect").status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.owner is None
    assert not Inspection.objects.exists()


def test_a_finding_becomes_a_back_payment_case(staff):
    from accounts.tests.factories import make_person

    employer = Employer.objects.filter(region_id="140105").order_by("id").first()
    person = make_person(staff["caseworker"].agency, category="employee")
    alert = _alert(employer=employer, region="140105")
    inspection = services.inspection_open_from_alert(actor=staff["auditor"], alert=alert)
    finding = services.finding_record(
        actor=staff["auditor"],
        inspection=inspection,
        kind="back_payment",
        description="工资表显示2026年3月在职未申报",
        amount="1200.00",
        person=person,
        months=[{"period": "2026-03", "base": "5000.00"}],
    )
    # an auditor never prepares the case
    with pytest.raises(NotPermitted):
        services.finding_refer(actor=staff["auditor"], finding=finding)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RECORDED
    services.finding_refer(actor=staff["county_head"], finding=finding)
    finding.refresh_from_db()
    case = ApprovalRequest.objects.get(pk=finding.case_id)
    assert finding.status == FindingStatus.REFERRED
    assert case.operation == "contributions.back_payment"
    # 2026-03: employer 16 % + individual 8 % of 5000.00 = 800.00 + 400.00
    assert case.amount == D("1200.00")
    assert case.payload["lines"][0]["period"] == "2026-03"
    assert Finding.objects.count() == 1


def test_an_overpaid_benefit_finding_becomes_a_recovery_in_instalments(client, staff):
    from benefits.tests.factories import retiree

    determination = retiree(staff["caseworker"].agency, paid_through="2026-07")  # 3200.00
    person = determination.person
    alert = _alert(person=person, region=person.region_id)
    inspection = services.inspection_open_from_alert(actor=staff["auditor"], alert=alert)
    finding = services.finding_record(
        actor=staff["auditor"],
        inspection=inspection,
        kind="overpaid_benefit",
        description="2026年3月至5月重复领取",
        amount="5000.00",
        person=person,
        months=[],
    )
    client.force_login(staff["county_head"])
    page = client.get(f"/audit/inspections/{inspection.pk}/").content.decode()
    assert 'name="instalment"' in page and 'name="months"' in page
    # an instalment as large as the pension is refused, nothing opened
    client.post(f"/audit/findings/{finding.pk}/refer", {"instalment": "3200.00"})
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RECORDED and finding.case_id is None
    client.post(f"/audit/findings/{finding.pk}/refer", {"instalment": "1200.00"})
    finding.refresh_from_db()
    case = ApprovalRequest.objects.get(pk=finding.case_id)
    assert case.operation == "benefits.overpayment_recovery"
    # 5000.00 at 1200.00: 4 × 1200.00 = 4800.00, then the rest 200.00
    assert (case.payload["instalment"], case.payload["instalments"]) == ("1200.00", 5)
    assert case.payload["last_instalment"] == "200.00"
