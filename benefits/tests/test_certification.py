"""Life certification (§9.6), the monthly sweep (§9.3.3) and the pages, on the tiny
demo province. Determinations are made directly (see test_suspension.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import make_person
from benefits.choices import (
    CertificationMethod,
    DeterminationStatus,
    SuspensionReason,
)
from benefits.models import DataMatchImport, LifeCertification, PayrollDue, Suspension
from benefits.suspension import certification, suspensions
from benefits.tests.test_suspension import determination_for
from enrollment.choices import PersonStatus
from enrollment.models import Employer, Employment
from pension.approvals import approval_request_approve
from pension.errors import Conflict, InvalidInput
from pension.models import ApprovalRequest, ApprovalStatus
from pension.periods import Period

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def retiree(staff, name: str, **kwargs):
    person = make_person(staff["caseworker"].agency, born=date(1963, 5, 2), name=name)
    return determination_for(person, **kwargs)


def test_certification_moves_the_due_date(staff):
    d = retiree(staff, "钱认证", retirement_month="2025-04")
    person = d.person
    # never certified: the retirement date 2025-04-01 + 12 months (certification.interval_months)
    assert certification.last_certified_on(person) == date(2025, 4, 1)
    assert certification.certification_due_on(person) == date(2026, 4, 1)
    recorded = certification.life_certification_record(
        actor=staff["caseworker"], person=person, certified_on=date(2026, 3, 10),
        method=CertificationMethod.HALL, note="本人到大厅", today=date(2026, 3, 10),
    )  # fmt: skip
    assert recorded.resumption is None
    assert recorded.certification.recorded_by == staff["caseworker"]
    assert certification.last_certified_on(person) == date(2026, 3, 10)
    assert certification.certification_due_on(person) == date(2027, 3, 10)


def test_certification_refusals(staff):
    d = retiree(staff, "孙认证")
    caseworker = staff["caseworker"]
    with pytest.raises(InvalidInput) as refusal:
        certification.life_certification_record(
            actor=caseworker, person=d.person, certified_on=date(2026, 3, 11),
            method=CertificationMethod.VIDEO, today=date(2026, 3, 10),
        )  # fmt: skip
    assert str(refusal.value) == "The certification date 2026-03-11 is after today."
    not_retired = make_person(caseworker.agency, name="李在职")
    with pytest.raises(Conflict) as refusal:
        certification.life_certification_record(
            actor=caseworker, person=not_retired, certified_on=date(2026, 3, 1),
            method=CertificationMethod.HALL, today=date(2026, 3, 10),
        )  # fmt: skip
    assert refusal.value.code == "no_determination"
    suspensions.record_death(
        actor=caseworker, person=d.person, death_date=date(2026, 2, 1), source="test",
        reason="x", today=date(2026, 3, 10),
    )  # fmt: skip
    d.person.refresh_from_db()
    with pytest.raises(Conflict) as refusal:
        certification.life_certification_record(
            actor=caseworker, person=d.person, certified_on=date(2026, 3, 1),
            method=CertificationMethod.HALL, today=date(2026, 3, 10),
        )  # fmt: skip
    assert refusal.value.code == "deceased"
    assert not LifeCertification.objects.filter(person__in=[d.person, not_retired]).exists()


def test_the_sweep_suspends_only_the_overdue_once(staff):
    # retired 2025-04, never certified: due 2026-04-01, overdue on 2026-06-02
    overdue = retiree(staff, "周逾期", retirement_month="2025-04", paid_through="2026-05")
    # certified 2026-01-10: due 2027-01-10
    fresh = retiree(staff, "吴按时", retirement_month="2025-04", paid_through="2026-05")
    LifeCertification.objects.create(
        person=fresh.person, certified_on=date(2026, 1, 10), method=CertificationMethod.HALL
    )
    # due exactly today (2025-06-02 + 12 months = 2026-06-02): not before today, kept
    edge = retiree(staff, "郑当天", retirement_month="2025-06", paid_through="2026-05")
    LifeCertification.objects.create(
        person=edge.person, certified_on=date(2025, 6, 2), method=CertificationMethod.HALL
    )
    # overdue too, but suspended already for another reason: not in payment, untouched
    jailed = retiree(staff, "王服刑", status=DeterminationStatus.SUSPENDED)
    Suspension.objects.create(
        person=jailed.person, determination=jailed, reason=SuspensionReason.IMPRISONED,
        from_month=Period(2026, 1),
    )  # fmt: skip

    result = certification.certification_sweep(today=date(2026, 6, 2))
    mine = {overdue.person_id, fresh.person_id, edge.person_id, jailed.person_id}
    assert set(result["people"]) & mine == {overdue.person_id}
    suspension = Suspension.objects.get(person=overdue.person)
    assert (suspension.reason, suspension.from_month, suspension.back_pay) == (
        SuspensionReason.CERTIFICATION_MISSING,
        Period(2026, 6),
        True,
    )
    assert suspension.created_by is None
    assert suspension.details["last_certified_on"] == "2025-04-01"
    assert suspension.details["paid_through_at_suspension"] == "2026-05"
    overdue.refresh_from_db()
    fresh.refresh_from_db()
    assert overdue.status == DeterminationStatus.SUSPENDED
    assert fresh.status == DeterminationStatus.IN_PAYMENT
    assert Suspension.objects.filter(person=jailed.person).count() == 1

    again = certification.certification_sweep(today=date(2026, 6, 2))
    assert again["count"] == 0
    assert Suspension.objects.filter(person=overdue.person).count() == 1


def test_a_certification_after_the_sweep_prepares_the_resumption(staff):
    # paid through March; the sweep of 2026-06-02 suspends from June (April and May were
    # not paid because of... nothing: say their payrolls had not run) → resumed from
    # July: April..June not paid = 3 × 3000.00 = 9000.00
    d = retiree(
        staff, "冯补发", total="3000.00", retirement_month="2025-04", paid_through="2026-03"
    )
    certification.certification_sweep(today=date(2026, 6, 2))
    suspension = Suspension.objects.get(person=d.person)
    recorded = certification.life_certification_record(
        actor=staff["caseworker"], person=d.person, certified_on=date(2026, 7, 3),
        method=CertificationMethod.HOME_VISIT, note="上门认证", today=date(2026, 7, 3),
    )  # fmt: skip
    request = recorded.resumption
    assert request is not None and request.status == ApprovalStatus.PENDING
    assert request.payload["resumed_from"] == "2026-07"
    assert request.payload["suspension_id"] == suspension.pk
    # a second certification finds the same case waiting
    again = certification.life_certification_record(
        actor=staff["caseworker"], person=d.person, certified_on=date(2026, 7, 3),
        method=CertificationMethod.SELF_SERVICE, today=date(2026, 7, 3),
    )  # fmt: skip
    assert again.resumption.pk == request.pk
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    d.refresh_from_db()
    assert (d.status, d.paid_through) == (DeterminationStatus.IN_PAYMENT, Period(2026, 6))
    due = PayrollDue.objects.get(source=f"suspension:{suspension.pk}")
    assert (due.amount, due.months) == (D("9000.00"), 3)
    assert (due.from_month, due.to_month) == (Period(2026, 4), Period(2026, 6))


def test_overdue_people_are_listed_by_employer_or_county(staff):
    caseworker = staff["caseworker"]
    employed = retiree(staff, "陈单位", retirement_month="2025-04")
    alone = retiree(staff, "褚社区", retirement_month="2025-04")
    employer = Employer.objects.filter(
        region__code__startswith=caseworker.region.scope_prefix
    ).first()
    assert employer is not None
    Employment.objects.create(
        person=employed.person, employer=employer, start_period=Period(2010, 1),
        stop_period=Period(2025, 4),
    )  # fmt: skip
    certification.certification_sweep(today=date(2026, 6, 2))
    groups = certification.overdue_by_notifier(caseworker.region.scope_prefix)
    by_person = {
        p["person"]: (g["kind"], g["key"]) for g in groups for p in g["people"]
    }  # fmt: skip
    assert by_person[employed.person_id] == ("employer", employer.pk)
    assert by_person[alone.person_id] == ("county", alone.person.region_id)


def test_the_certification_page_records_a_certification(client, staff):
    d = retiree(staff, "蒋页面", retirement_month="2025-04")
    client.force_login(staff["caseworker"])
    url = reverse("benefits:certification_person", args=[d.person_id])
    response = client.post(
        url, {"certified_on": date.today().isoformat(), "method": "hall", "note": "大厅认证"}
    )
    assert response.status_code == 302
    record = LifeCertification.objects.get(person=d.person)
    assert (record.method, record.note, record.recorded_by) == (
        "hall",
        "大厅认证",
        staff["caseworker"],
    )
    page = client.get(url)
    assert "大厅认证" in page.content.decode()
    assert d.person.status == PersonStatus.RETIRED


def test_the_suspension_page_makes_a_request_and_the_resumption_page_too(client, staff):
    d = retiree(staff, "韩暂停", retirement_month="2025-04")
    client.force_login(staff["caseworker"])
    url = reverse("benefits:suspension_request", args=[d.pk])
    # death is not offered: the form refuses it
    response = client.post(url, {"reason": "death", "from_month": "2026-03", "note": "x"})
    assert response.status_code == 200
    assert 'data-field="reason"' in response.content.decode()
    response = client.post(url, {"reason": "imprisoned", "from_month": "2026-03", "note": "判刑"})
    request = ApprovalRequest.objects.get(operation=suspensions.SUSPENSION)
    assert response.status_code == 302 and response["Location"].endswith(f"/{request.pk}/")
    assert request.payload["from_month"] == "2026-03"
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    suspension = Suspension.objects.get(person=d.person)
    page = client.get(reverse("benefits:resumption_request", args=[suspension.pk]))
    assert "2026-03" in page.content.decode()
    month = Period.from_date(date.today())
    client.post(
        reverse("benefits:resumption_request", args=[suspension.pk]),
        {"resumed_from": str(month), "note": "刑满释放"},
    )
    resumption = ApprovalRequest.objects.get(operation=suspensions.RESUMPTION)
    assert resumption.payload["resumed_from"] == str(month)
    assert resumption.payload["back_pay"] is False


def test_the_import_page_shows_the_row_errors(client, staff):
    client.force_login(staff["caseworker"])
    upload = SimpleUploadedFile(
        "bad.csv", "公民身份号码,姓名,日期\n123,某人,2026-01-01\n".encode(), content_type="text/csv"
    )
    response = client.post(
        reverse("benefits:data_match_import"), {"kind": "hospital", "file": upload}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="row-errors"' in body
    # the page speaks the user's language (Chinese): row 2, the ID column, its value
    assert '<td class="num">2</td><td>公民身份号码</td><td>123</td>' in body
    assert not DataMatchImport.objects.exists()


def test_the_overdue_page_lists_the_suspended_by_county(client, staff):
    d = retiree(staff, "卫逾期", retirement_month="2025-04")
    certification.certification_sweep(today=date(2026, 6, 2))
    client.force_login(staff["caseworker"])
    body = client.get(reverse("benefits:certification_overdue")).content.decode()
    assert f'id="notifier-county-{d.person.region_id}"' in body
    assert "卫逾期" in body
    # a caseworker of another county does not see them
    client.force_login(staff["other_caseworker"])
    body = client.get(reverse("benefits:certification_overdue")).content.decode()
    assert "卫逾期" not in body


def test_falling_due_lists_only_the_next_month_not_the_long_overdue(staff):
    prefix = staff["caseworker"].region.scope_prefix
    # retired 2025-04, never certified: due 2026-04-01
    due = retiree(staff, "孙将到期", retirement_month="2025-04")
    # retired 2010-01, never certified: due 2011-01-01, long overdue (the sweep's)
    retiree(staff, "李早过期", retirement_month="2010-01")
    soon = certification.overdue_not_suspended(prefix, today=date(2026, 3, 15))
    # from 2026-03-15 up to (not including) 2026-04-15: only 孙将到期
    assert [(r["name"], r["due_on"]) for r in soon] == [("孙将到期", date(2026, 4, 1))]
    assert due.person_id == soon[0]["person"]


def test_the_overdue_page_is_paged(client, staff):
    for n in range(52):
        retiree(staff, f"逾期{n:02d}", retirement_month="2025-04")
    certification.certification_sweep(today=date(2026, 6, 2))
    client.force_login(staff["caseworker"])
    url = reverse("benefits:certification_overdue")
    first = client.get(url).content.decode()
    assert first.count("逾期") >= 50 and "逾期51" not in first
    assert "共 52 条" in first or "52 rows" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "逾期51" in second and "逾期00" not in second


def test_the_overdue_page_is_filtered_by_name_id_number_and_region(client, staff):
    wei = retiree(staff, "卫筛选", retirement_month="2025-04")
    retiree(staff, "蒋筛选", retirement_month="2025-04")
    certification.certification_sweep(today=date(2026, 6, 2))
    client.force_login(staff["caseworker"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("benefits:certification_overdue")
    body = client.get(url, {"name": "卫筛选"}).content.decode()
    assert "卫筛选" in body and "蒋筛选" not in body
    assert '<span class="count">1 row</span>' in body
    body = client.get(url, {"id_number": wei.person.id_number.lower()}).content.decode()
    assert "卫筛选" in body and "蒋筛选" not in body
    # a region outside the caseworker's county narrows nothing beyond their scope: none
    body = client.get(url, {"region": "1402", "name": "筛选"}).content.decode()
    assert "卫筛选" not in body and "蒋筛选" not in body
    body = client.get(url, {"region": wei.person.region_id, "name": "筛选"}).content.decode()
    assert "卫筛选" in body and "蒋筛选" in body
    # a wrong region code: its message, that filter unused
    body = client.get(url, {"region": "1x"}).content.decode()
    assert 'class="error"' in body and "卫筛选" in body
