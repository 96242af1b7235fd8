"""The annual pension adjustment (待遇调整, §9.4.1) and individual adjustments (零星调整,
§9.4.2) on the tiny demo province: the components worked out by hand in the comments,
the county-by-county batch against those figures and against the pure function,
re-running, approval by a second reviewer with the back pay of the months already
paid, discarding, the cut-off date, an individual case, and the pages.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import make_person
from benefits.adjustment import adjustments as adjustment
from benefits.adjustment.adjustments import (
    adjustment_event_approve,
    adjustment_event_create,
    adjustment_event_discard,
    adjustment_event_execute,
    adjustment_event_start,
    adjustment_for,
    age_at_year_end,
    individual_adjustment_request,
)
from benefits.choices import BatchStatus, DeterminationStatus, PayrollItem, RetirementKind
from benefits.models import AdjustmentEvent, PayrollDue, PensionAdjustment, PensionDetermination
from pension.approvals import approval_request_approve
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeLogEntry
from pension.periods import Period

pytestmark = pytest.mark.django_db

BANDS = [{"min_age": 70, "amount": "30.00"}, {"min_age": 75, "amount": "40.00"},
         {"min_age": 80, "amount": "50.00"}]  # fmt: skip


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def proof() -> SimpleUploadedFile:
    return SimpleUploadedFile("decision.pdf", b"%PDF-1.4 decision", content_type="application/pdf")


def determination(
    person,
    *,
    parts: tuple[str, str, str, str],
    years: str,
    retired: date,
    paid_through: str | None = "2026-06",
    status: str = DeterminationStatus.IN_PAYMENT,
) -> PensionDetermination:
    """A current determination written directly: total = the sum of ``parts``."""
    basic, account, transitional, extra = (D(p) for p in parts)
    return PensionDetermination.objects.create(
        person=person, region_id=person.region_id, agency_id=person.agency_id,
        kind=RetirementKind.STATUTORY, status=status, retirement_date=retired,
        retirement_month=Period.from_date(retired), statutory_date=retired,
        actual_months=300, deemed_months=60, contribution_years=D(years),
        average_index=D("1.0"), transitional_index=D("1.0"), divisor=D("139.0"),
        account_balance=D("50000.00"), calculation_base=D("7000.00"),
        local_calculation_base=D("7000.00"), calculation_base_year=retired.year,
        basic_pension=basic, account_pension=account, transitional_pension=transitional,
        extra_pension=extra, total=basic + account + transitional + extra,
        paid_through=Period.parse(paid_through) if paid_through else None,
    )  # fmt: skip


# --- the pure calculation -----------------------------------------------------------------


def components(**kwargs) -> tuple:
    c = adjustment_for(
        flat=D("50.00"), per_year=D("2.00"), percentage=D("1.5"), age_bands=BANDS, **kwargs
    )
    return (c.flat_amount, c.per_year_amount, c.percentage_amount, c.age_band_amount,
            c.monthly_amount)  # fmt: skip


def test_no_band_below_70_and_part_years_do_not_count():
    # 35.9167 years → 35 whole: 35 × 2.00 = 70.00; 3000.00 × 1.5 % = 45.00; age 69: no band
    # 50.00 + 70.00 + 45.00 + 0 = 165.00
    assert components(total=D("3000.00"), contribution_years=D("35.9167"), age_years=69) == (
        D("50.00"), D("70.00"), D("45.00"), D("0.00"), D("165.00"),
    )  # fmt: skip


def test_band_70_and_percentage_rounded_to_the_fen():
    # 20 years × 2.00 = 40.00; 2456.78 × 1.5 % = 36.8517 → 36.85; age 70: band 70 → 30.00
    # 50.00 + 40.00 + 36.85 + 30.00 = 156.85
    assert components(total=D("2456.78"), contribution_years=D("20.0000"), age_years=70) == (
        D("50.00"), D("40.00"), D("36.85"), D("30.00"), D("156.85"),
    )  # fmt: skip


def test_band_75_and_percentage_rounded_up():
    # 15.5 years → 15 × 2.00 = 30.00; 1833.30 × 1.5 % = 27.4995 → 27.50; age 77: band 75 → 40
    # 50.00 + 30.00 + 27.50 + 40.00 = 147.50
    assert components(total=D("1833.30"), contribution_years=D("15.5"), age_years=77) == (
        D("50.00"), D("30.00"), D("27.50"), D("40.00"), D("147.50"),
    )  # fmt: skip


def test_band_80_is_the_highest_reached():
    # 9.99 years → 9 × 2.00 = 18.00; 1000.10 × 1.5 % = 15.0015 → 15.00; age 85: band 80 → 50
    # 50.00 + 18.00 + 15.00 + 50.00 = 133.00
    assert components(total=D("1000.10"), contribution_years=D("9.99"), age_years=85) == (
        D("50.00"), D("18.00"), D("15.00"), D("50.00"), D("133.00"),
    )  # fmt: skip


def test_a_half_fen_is_rounded_up_not_to_even():
    # 739.40 × 2.5 % = 18.485 → 18.49 (half-up; half-even would give 18.48)
    c = adjustment_for(
        total=D("739.40"), contribution_years=D("0"), age_years=60, flat=D("0"),
        per_year=D("0"), percentage=D("2.5"), age_bands=[],
    )  # fmt: skip
    assert c.percentage_amount == D("18.49")
    assert c.monthly_amount == D("18.49")


def test_age_is_counted_on_31_december_of_the_year():
    assert age_at_year_end(date(1956, 12, 31), 2026) == 70
    assert age_at_year_end(date(1957, 1, 1), 2026) == 69


# --- the event ------------------------------------------------------------------------------


@pytest.fixture
def retirees(staff):
    """Five retirees in two counties (the caseworker's and the other caseworker's).

    - a: born 1950 (76 at the end of 2026: band 75), 3000.00, 35.9167 years, retired
      2010-03, paid through 2026-06;
    - b: born 1960 (66), 2456.78, 20 years, suspended, paid through 2026-03 (other county);
    - c: born 1946 (80: band 80), 1900.00 and an individual adjustment of 100.00 in force
      from 2025-07 (so 2000.00 for the percentage), 10 years, paid through 2026-06;
    - d: born 1966 (60), 2100.00, 15.25 years, retired 2026-02-10 (first payable month
      2026-03), paid through 2026-06;
    - late: retired 2026-04-30, after the cut-off date 2026-03-31: not adjusted;
    - stopped: a stopped pension: not adjusted.
    """
    home = staff["caseworker"].agency
    other = staff["other_caseworker"].agency
    people = {
        "a": make_person(home, born=date(1950, 3, 1)),
        "b": make_person(other, born=date(1960, 7, 15)),
        "c": make_person(home, born=date(1946, 5, 5)),
        "d": make_person(other, born=date(1966, 2, 1)),
        "late": make_person(home, born=date(1966, 4, 1)),
        "stopped": make_person(home, born=date(1940, 1, 1)),
    }
    dets = {
        "a": determination(people["a"], parts=("1500.00", "500.00", "900.00", "100.00"),
                           years="35.9167", retired=date(2010, 3, 31)),
        "b": determination(people["b"], parts=("1200.00", "456.78", "800.00", "0.00"),
                           years="20.0000", retired=date(2020, 7, 31), paid_through="2026-03",
                           status=DeterminationStatus.SUSPENDED),
        "c": determination(people["c"], parts=("1000.00", "300.00", "600.00", "0.00"),
                           years="10.0000", retired=date(2006, 5, 31)),
        "d": determination(people["d"], parts=("1100.00", "400.00", "600.00", "0.00"),
                           years="15.2500", retired=date(2026, 2, 10)),
        "late": determination(people["late"], parts=("1000.00", "0.00", "0.00", "0.00"),
                              years="30.0000", retired=date(2026, 4, 30)),
        "stopped": determination(people["stopped"], parts=("1000.00", "0.00", "0.00", "0.00"),
                                 years="30.0000", retired=date(2000, 1, 31),
                                 status=DeterminationStatus.STOPPED),
    }  # fmt: skip
    PensionAdjustment.objects.create(
        person=people["c"], determination=dets["c"], flat_amount=D("100.00"),
        monthly_amount=D("100.00"), effective_from=Period(2025, 7), in_force=True,
    )  # fmt: skip
    return dets


def make_event(staff, **kwargs) -> AdjustmentEvent:
    values = {
        "year": 2026, "region": "140000", "name": "2026 年基本养老金调整",
        "flat_amount": D("50.00"), "per_year_amount": D("2.00"), "percentage": D("1.5"),
        "age_bands": BANDS, "cutoff_date": date(2026, 3, 31),
    }  # fmt: skip
    values.update(kwargs)
    actor = values.pop("actor", staff["province_accountant"])
    return adjustment_event_create(actor=actor, **values)


def calculated(staff, starter=None, **kwargs) -> AdjustmentEvent:
    event = make_event(staff, **kwargs)
    adjustment_event_start(actor=starter or staff["province_accountant"], event=event)
    return adjustment_event_execute(event.pk)


def monthly(event) -> dict[int, tuple]:
    return {
        a.determination_id: (a.flat_amount, a.per_year_amount, a.percentage_amount,
                             a.age_band_amount, a.monthly_amount, a.in_force)
        for a in PensionAdjustment.objects.filter(event=event)
    }  # fmt: skip


def test_the_batch_adjusts_each_retiree_as_worked_by_hand(staff, retirees):
    event = calculated(staff)
    assert event.status == BatchStatus.CALCULATED
    f = False
    assert monthly(event) == {
        # a: 50 + 35 × 2 = 70 + 3000.00 × 1.5 % = 45.00 + band 75 40 = 205.00
        retirees["a"].pk: (D("50.00"), D("70.00"), D("45.00"), D("40.00"), D("205.00"), f),
        # b: 50 + 20 × 2 = 40 + 2456.78 × 1.5 % = 36.8517 → 36.85 + 0 = 126.85 (suspended)
        retirees["b"].pk: (D("50.00"), D("40.00"), D("36.85"), D("0.00"), D("126.85"), f),
        # c: 50 + 10 × 2 = 20 + (1900.00 + 100.00) × 1.5 % = 30.00 + band 80 50 = 150.00
        retirees["c"].pk: (D("50.00"), D("20.00"), D("30.00"), D("50.00"), D("150.00"), f),
        # d: 50 + 15 × 2 = 30 + 2100.00 × 1.5 % = 31.50 + 0 = 111.50
        retirees["d"].pk: (D("50.00"), D("30.00"), D("31.50"), D("0.00"), D("111.50"), f),
    }
    # late (after the cut-off date) and stopped: nothing
    assert event.line_count == 4 and event.total_count == 4 and event.processed_count == 4
    # 205.00 + 126.85 + 150.00 + 111.50 = 593.35
    assert event.total_monthly == D("593.35")
    assert event.parameters["totals"]["percentage_amount"] == "143.35"  # 45 + 36.85 + 30 + 31.50
    home, other = staff["caseworker"].agency.region_id, staff["other_caseworker"].agency.region_id
    by_county = {
        row.code: (row.count, row.monthly_amount) for row in adjustment.event_by_county(event)
    }
    # home: a + c = 355.00; other: b + d = 238.35
    assert by_county == {home: (2, D("355.00")), other: (2, D("238.35"))}
    assert sorted(event.parameters["chunks_done"]) == sorted([home, other])


def test_the_sql_gives_what_the_pure_function_gives(staff, retirees):
    event = calculated(staff, percentage=D("2.37"), flat_amount=D("31.00"),
                       per_year_amount=D("1.30"))  # fmt: skip
    rows = PensionAdjustment.objects.filter(event=event).select_related("determination", "person")
    assert rows.count() == 4
    for row in rows:
        d = row.determination
        prior = D("100.00") if d.pk == retirees["c"].pk else D("0")
        c = adjustment_for(
            total=d.total + prior, contribution_years=d.contribution_years,
            age_years=age_at_year_end(row.person.birth_date, 2026), flat=event.flat_amount,
            per_year=event.per_year_amount, percentage=event.percentage, age_bands=event.age_bands,
        )  # fmt: skip
        assert (row.flat_amount, row.per_year_amount, row.percentage_amount,
                row.age_band_amount, row.monthly_amount) == (
            c.flat_amount, c.per_year_amount, c.percentage_amount, c.age_band_amount,
            c.monthly_amount,
        )  # fmt: skip


def test_executing_again_or_a_chunk_redone_adds_nothing(staff, retirees):
    event = calculated(staff)
    again = adjustment_event_execute(event.pk)
    assert again.status == BatchStatus.CALCULATED
    assert PensionAdjustment.objects.filter(event=event).count() == 4
    # a crash after a chunk's rows committed but (say) its record lost: the chunk is redone
    params = event.parameters
    params["chunks_done"] = params["chunks_done"][:1]
    AdjustmentEvent.objects.filter(pk=event.pk).update(
        status=BatchStatus.RUNNING, parameters=params, processed_count=0
    )
    resumed = adjustment_event_execute(event.pk)
    assert resumed.status == BatchStatus.CALCULATED
    assert PensionAdjustment.objects.filter(event=event).count() == 4
    assert resumed.line_count == 4 and resumed.total_monthly == D("593.35")


def test_a_failed_event_resumes_when_started_again(staff, retirees, monkeypatch):
    event = make_event(staff)
    adjustment_event_start(actor=staff["province_accountant"], event=event)
    calls = {"n": 0}
    real = adjustment._adjust_chunk

    def flaky(event, region, heads):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(event, region, heads)

    monkeypatch.setattr(adjustment, "_adjust_chunk", flaky)
    with pytest.raises(RuntimeError):
        adjustment_event_execute(event.pk)
    event.refresh_from_db()
    assert event.status == BatchStatus.FAILED and "disk full" in event.error
    assert len(event.parameters["chunks_done"]) == 1 and event.processed_count == 2
    monkeypatch.setattr(adjustment, "_adjust_chunk", real)
    adjustment_event_start(actor=staff["province_accountant"], event=event)
    event = adjustment_event_execute(event.pk)
    assert event.status == BatchStatus.CALCULATED and event.line_count == 4


def test_approval_by_the_creator_or_starter_or_a_non_reviewer_is_refused(staff, retirees):
    event = calculated(staff, actor=staff["province_reviewer"])
    with pytest.raises(NotPermitted) as refused:
        adjustment_event_approve(actor=staff["province_reviewer"], event=event)
    assert refused.value.code == "self_approval"
    with pytest.raises(NotPermitted) as refused:  # the starter
        adjustment_event_approve(actor=staff["province_accountant"], event=event)
    assert refused.value.code == "self_approval"
    with pytest.raises(NotPermitted) as refused:
        adjustment_event_approve(actor=staff["auditor"], event=event)
    assert refused.value.code == "not_reviewer"
    with pytest.raises(NotPermitted) as refused:
        adjustment_event_approve(actor=staff["city_reviewer"], event=event)
    assert refused.value.code == "outside_region"
    assert not PensionAdjustment.objects.filter(event=event, in_force=True).exists()
    assert not PayrollDue.objects.exists()


def test_approval_puts_in_force_and_back_pays_the_months_paid(staff, retirees):
    event = calculated(staff)
    event = adjustment_event_approve(actor=staff["province_reviewer"], event=event)
    assert event.status == BatchStatus.APPROVED and event.approved_by == staff["province_reviewer"]
    assert all(row[-1] for row in monthly(event).values())
    dues = {
        d.determination_id: (d.item, d.from_month, d.to_month, d.months, d.amount)
        for d in PayrollDue.objects.all()
    }
    item = PayrollItem.ADJUSTMENT_BACK_PAY
    assert dues == {
        # a: 2026-01 … 2026-06, 6 × 205.00 = 1230.00
        retirees["a"].pk: (item, Period(2026, 1), Period(2026, 6), 6, D("1230.00")),
        # b: paid through 2026-03: 3 × 126.85 = 380.55
        retirees["b"].pk: (item, Period(2026, 1), Period(2026, 3), 3, D("380.55")),
        # c: 6 × 150.00 = 900.00
        retirees["c"].pk: (item, Period(2026, 1), Period(2026, 6), 6, D("900.00")),
        # d: first payable 2026-03 … 2026-06: 4 × 111.50 = 446.00
        retirees["d"].pk: (item, Period(2026, 3), Period(2026, 6), 4, D("446.00")),
    }
    due = PayrollDue.objects.get(determination=retirees["d"])
    a = PensionAdjustment.objects.get(event=event, determination=retirees["d"])
    assert due.source == f"adjustment:{a.pk}" and due.run is None
    assert due.details["from_month"] == "2026-03" and due.details["months"] == 4
    assert event.parameters["approval"] == {
        "in_force": 4,
        "back_pay_dues": 4,
        "back_pay_total": "2956.55",  # 1230+380.55+900+446
    }
    with pytest.raises(Conflict):
        adjustment_event_approve(actor=staff["admin"], event=event)
    assert PayrollDue.objects.count() == 4


def test_the_brief_example_75_30_for_six_months_is_451_80(staff):
    # flat 25.30 + 30 whole years × 1.00 = 30.00 + band 70 (age 72) 20.00 = 75.30 a month;
    # paid through 2026-06, effective 2026-01: 6 months × 75.30 = 451.80
    person = make_person(staff["caseworker"].agency, born=date(1954, 6, 1))
    det = determination(person, parts=("2000.00", "0.00", "0.00", "0.00"), years="30.5",
                        retired=date(2014, 6, 30))  # fmt: skip
    band = [{"min_age": 70, "amount": "20.00"}]
    event = calculated(staff, flat_amount=D("25.30"), per_year_amount=D("1.00"),
                       percentage=D("0"), age_bands=band)  # fmt: skip
    adjustment_event_approve(actor=staff["province_reviewer"], event=event)
    due = PayrollDue.objects.get(determination=det)
    assert (due.months, due.amount) == (6, D("451.80"))
    assert PensionAdjustment.objects.get(event=event).monthly_amount == D("75.30")


def test_a_discarded_event_leaves_nothing(staff, retirees):
    event = calculated(staff)
    event = adjustment_event_discard(actor=staff["province_accountant"], event=event)
    assert event.status == BatchStatus.CLOSED
    assert not PensionAdjustment.objects.filter(event=event).exists()
    assert not PayrollDue.objects.exists()
    assert event.parameters["discarded"]["adjustments"] == 4
    with pytest.raises(Conflict):
        adjustment_event_approve(actor=staff["province_reviewer"], event=event)
    # the year is free again
    assert make_event(staff).status == BatchStatus.DRAFT


def test_creation_refusals(staff):
    with pytest.raises(InvalidInput) as refused:
        make_event(staff, region=staff["caseworker"].agency.region_id)
    assert refused.value.code == "not_province"
    with pytest.raises(NotPermitted):
        make_event(staff, actor=staff["caseworker"])
    with pytest.raises(InvalidInput) as refused:
        make_event(staff, age_bands=[{"min_age": 70, "amount": "-1"}])
    assert refused.value.code == "age_bands"
    with pytest.raises(InvalidInput) as refused:
        make_event(staff, percentage=D("150"))
    assert refused.value.code == "percentage"
    with pytest.raises(InvalidInput) as refused:
        make_event(staff, cutoff_date=date(2027, 1, 1))
    assert refused.value.code == "cutoff"
    with pytest.raises(InvalidInput) as refused:
        make_event(staff, flat_amount=0, per_year_amount=0, percentage=0, age_bands=[])
    assert refused.value.code == "nothing"
    assert not AdjustmentEvent.objects.exists()
    first = make_event(staff)
    with pytest.raises(Conflict) as refused:
        make_event(staff)
    assert refused.value.code == "live_event"
    assert str(refused.value) == (
        f"Adjustment event {first.pk} already adjusts 2026; discard it before creating another."
    )
    assert first.effective_from == Period(2026, 1)
    assert ChangeLogEntry.objects.filter(object_type="benefits.adjustmentevent").count() == 1


# --- the individual adjustment case ------------------------------------------------------


def test_individual_adjustment_with_back_pay(staff):
    # 75.30 a month from 2026-01, paid through 2026-06: 6 × 75.30 = 451.80
    person = make_person(staff["caseworker"].agency, born=date(1958, 1, 1))
    det = determination(person, parts=("2000.00", "0.00", "0.00", "0.00"), years="30",
                        retired=date(2018, 1, 31))  # fmt: skip
    request = individual_adjustment_request(
        actor=staff["caseworker"], determination=det, monthly_amount="75.30",
        effective_from="2026-01", reason="劳模待遇", attachments=[proof()],
    )  # fmt: skip
    assert not PensionAdjustment.objects.exists()  # nothing until approved
    assert request.payload["back_pay"] == "451.80"
    with pytest.raises(NotPermitted):
        approval_request_approve(actor=staff["caseworker"], request_id=request.pk)
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    a = PensionAdjustment.objects.get(person=person)
    assert (a.in_force, a.flat_amount, a.monthly_amount, a.effective_from, a.case_id) == (
        True, D("75.30"), D("75.30"), Period(2026, 1), request.pk,
    )  # fmt: skip
    due = PayrollDue.objects.get(person=person)
    assert (due.item, due.months, due.amount, due.source) == (
        PayrollItem.ADJUSTMENT_BACK_PAY, 6, D("451.80"), f"adjustment:{a.pk}",
    )  # fmt: skip


def test_individual_adjustment_in_the_future_has_no_back_pay_and_refusals(staff):
    person = make_person(staff["caseworker"].agency, born=date(1958, 1, 1))
    det = determination(person, parts=("2000.00", "0.00", "0.00", "0.00"), years="30",
                        retired=date(2018, 1, 31))  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        individual_adjustment_request(
            actor=staff["caseworker"], determination=det, monthly_amount="0",
            effective_from="2026-01", reason="x",
        )  # fmt: skip
    assert refused.value.code == "amount"
    with pytest.raises(InvalidInput) as refused:
        individual_adjustment_request(
            actor=staff["caseworker"], determination=det, monthly_amount="10.00",
            effective_from="2018-01", reason="x",
        )  # fmt: skip
    assert refused.value.code == "before_payable"
    request = individual_adjustment_request(
        actor=staff["caseworker"], determination=det, monthly_amount="10.00",
        effective_from="2026-07", reason="x",
    )  # fmt: skip
    with pytest.raises(Conflict):
        individual_adjustment_request(
            actor=staff["caseworker"], determination=det, monthly_amount="10.00",
            effective_from="2026-07", reason="x",
        )  # fmt: skip
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    assert PensionAdjustment.objects.get(person=person).in_force
    assert not PayrollDue.objects.exists()


# --- pages ---------------------------------------------------------------------------------


def test_event_pages_create_show_the_distribution_and_approve(
    client, staff, retirees, django_capture_on_commit_callbacks
):
    client.force_login(staff["province_accountant"])
    response = client.post(
        reverse("benefits:adjustment_event_create"),
        {"year": 2026, "name": "2026 调整", "flat_amount": "50.00", "per_year_amount": "2.00",
         "percentage": "1.5", "age_bands": "70, 30.00\n75, 40.00\n80, 50.00",
         "cutoff_date": "2026-03-31"},
    )  # fmt: skip
    event = AdjustmentEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("benefits:adjustment_event_detail", args=[event.pk])
    assert event.age_bands == BANDS
    adjustment_event_start(actor=staff["province_accountant"], event=event)
    adjustment_event_execute(event.pk)
    page = client.get(reverse("benefits:adjustment_event_detail", args=[event.pk])).content.decode()
    assert "593.35" in page and "355.00" in page and "238.35" in page
    assert 'id="approve"' not in page  # the maker has no approve button
    client.force_login(staff["province_reviewer"])
    page = client.get(reverse("benefits:adjustment_event_detail", args=[event.pk])).content.decode()
    assert 'id="approve"' in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("benefits:adjustment_event_approve", args=[event.pk]))
    assert len(callbacks) == 1  # the approval itself is queued for a worker
    event.refresh_from_db()
    assert event.status == BatchStatus.CALCULATED and "approval_queued" in event.parameters
    assert not PayrollDue.objects.exists()
    page = client.get(reverse("benefits:adjustment_event_detail", args=[event.pk])).content.decode()
    assert 'id="approval-queued"' in page and 'id="approve"' not in page
    assert "every 2s" in page  # the page follows the worker
    from benefits import tasks

    assert tasks.adjustment_event_approve(event.pk, staff["province_reviewer"].pk) == "approved"
    event.refresh_from_db()
    assert event.status == BatchStatus.APPROVED
    assert PayrollDue.objects.count() == 4
    # the page of a maker is refused at once, nothing queued
    client.force_login(staff["province_accountant"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("benefits:adjustment_event_approve", args=[event.pk]))
    assert callbacks == []


def test_approval_from_the_work_queue_is_queued_for_the_worker(
    client, staff, retirees, django_capture_on_commit_callbacks
):
    """The reviewer approves the event's request in the work queue: the posting (a
    province's adjustments in force, its back-pay dues) is queued for the worker like
    the page's approval; the request stays pending until the worker has approved it."""
    from benefits import tasks
    from pension.models import ApprovalRequest, ApprovalStatus

    event = calculated(staff)
    request = ApprovalRequest.objects.get(operation=adjustment.BATCH.approval.operation)
    assert request.status == ApprovalStatus.PENDING
    client.force_login(staff["province_reviewer"])
    url = reverse("approval_approve", args=[request.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, {"reason": "复核无误"})
    assert response.status_code == 302
    assert len(callbacks) == 1  # the task, not the posting
    event.refresh_from_db()
    request.refresh_from_db()
    assert event.status == BatchStatus.CALCULATED and "approval_queued" in event.parameters
    assert request.status == ApprovalStatus.PENDING
    assert not PayrollDue.objects.exists()
    assert not PensionAdjustment.objects.filter(event=event, in_force=True).exists()
    # approving again while queued is refused, nothing more is queued
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url, {"reason": "again"})
    assert callbacks == []
    # the worker approves: in force, the back pay of the hand-worked test above
    assert tasks.adjustment_event_approve(event.pk, staff["province_reviewer"].pk, "复核无误") == (
        "approved"
    )
    event.refresh_from_db()
    request.refresh_from_db()
    assert event.status == BatchStatus.APPROVED
    assert event.approved_by == staff["province_reviewer"]
    assert request.status == ApprovalStatus.APPROVED and request.decision_reason == "复核无误"
    assert request.checker == staff["province_reviewer"]
    assert PayrollDue.objects.count() == 4
    assert event.parameters["approval"]["back_pay_total"] == "2956.55"


def test_the_work_queue_refuses_the_maker_at_once_and_queues_nothing(
    client, staff, retirees, django_capture_on_commit_callbacks
):
    from pension.models import ApprovalRequest, ApprovalStatus

    event = calculated(staff)
    request = ApprovalRequest.objects.get(operation=adjustment.BATCH.approval.operation)
    client.force_login(staff["province_accountant"])  # created and started it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("approval_approve", args=[request.pk]))
    assert callbacks == []
    event.refresh_from_db()
    request.refresh_from_db()
    assert "approval_queued" not in event.parameters
    assert request.status == ApprovalStatus.PENDING


def test_individual_adjustment_page_makes_a_request(client, staff):
    person = make_person(staff["caseworker"].agency, born=date(1958, 1, 1))
    det = determination(person, parts=("2000.00", "0.00", "0.00", "0.00"), years="30",
                        retired=date(2018, 1, 31))  # fmt: skip
    client.force_login(staff["caseworker"])
    url = reverse("benefits:individual_adjustment", args=[det.pk])
    assert "2,000.00" in client.get(url).content.decode()
    response = client.post(
        url, {"monthly_amount": "75.30", "effective_from": "2026-01", "reason": "劳模",
              "attachment": proof()},
    )  # fmt: skip
    assert response.status_code == 302
    assert not PensionAdjustment.objects.exists()
    from pension.models import ApprovalRequest

    request = ApprovalRequest.objects.get(operation=adjustment.INDIVIDUAL_ADJUSTMENT)
    assert request.amount == D("75.30") and request.payload["back_pay_months"] == 6


# --- the benchmark's synthetic retirees ---------------------------------------------------


def test_make_retirees_writes_retirees_the_batch_adjusts_like_the_pure_function(staff):
    from benefits.bench_data import make_retirees

    home, other = staff["caseworker"].agency.region_id, staff["other_caseworker"].agency.region_id
    assert make_retirees(40, region_codes=[home, other], log=lambda message: None) == 40
    assert make_retirees(10, region_codes=[home], log=lambda message: None) == 10  # more
    dets = PensionDetermination.objects.filter(inputs__bench=True).select_related("person")
    assert dets.count() == 50 and dets.values("person").distinct().count() == 50
    for d in dets:
        assert d.person.bank_name and d.person.bank_account and d.person.status == "retired"
        assert d.region_id in (home, other) and d.superseded_by_id is None
        assert d.paid_through is not None and d.retirement_month < d.paid_through
    event = calculated(staff, cutoff_date=date(2025, 12, 31))
    rows = PensionAdjustment.objects.filter(event=event).select_related("determination", "person")
    assert rows.count() == 50
    for row in rows:
        c = adjustment_for(
            total=row.determination.total, contribution_years=row.determination.contribution_years,
            age_years=age_at_year_end(row.person.birth_date, 2026), flat=D("50.00"),
            per_year=D("2.00"), percentage=D("1.5"), age_bands=BANDS,
        )  # fmt: skip
        assert row.monthly_amount == c.monthly_amount
        assert row.percentage_amount == c.percentage_amount
