"""Registration checks of the work history and key data changed only through the
key-data case (DESIGN §5.1, §6.2.2): first work date not before 16 nor in the future,
deemed months not beyond the account start month of the profile (Shanxi 1997-07, Jilin
1995-07), refused at registration and at a key-data change; occupation kind, first
insured date and owning region are key data. Figures by hand in the comments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from enrollment import services
from enrollment.choices import OccupationKind, PersonCategory
from enrollment.models import InsuredPerson
from enrollment.tests.helpers import citizen_id
from pension.approvals import approval_request_approve
from pension.errors import InvalidInput
from pension.models import Agency, ApprovalRequest, ChangeLogEntry, Region

pytestmark = pytest.mark.django_db

# a woman born 1972-01-20 in 小店区 (even sequence)
WOMAN = citizen_id("140105", "19720120", 42)


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def _counts() -> tuple[int, int, int]:
    return (
        InsuredPerson.objects.count(),
        ApprovalRequest.objects.count(),
        ChangeLogEntry.objects.count(),
    )


def _register(staff, number=WOMAN, region="140105", **kwargs):
    return services.person_register(
        actor=staff["caseworker"] if region.startswith("14") else None,
        id_number=number,
        name=kwargs.pop("name", "赵工人"),
        category=PersonCategory.EMPLOYEE,
        region=Region.objects.get(code=region),
        **kwargs,
    )


def _refused(call, code: str, message: str) -> None:
    before = _counts()
    with pytest.raises(InvalidInput) as error:
        call()
    assert (error.value.code, str(error.value)) == (code, message)
    assert _counts() == before


def test_first_work_date_not_before_16_nor_in_the_future(staff):
    # born 1972-01: 16 in 1988-01; 1987-12-31 is a month early
    _refused(
        lambda: _register(staff, first_work_date=date(1987, 12, 31)),
        "first_work_before_16",
        "参加工作时间1987-12-31早于本人年满16周岁的月份（1988-01）。",
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    _refused(
        lambda: _register(staff, first_work_date=tomorrow),
        "first_work_future",
        f"参加工作时间{tomorrow.isoformat()}晚于今天。",
    )
    person = _register(staff, first_work_date=date(1988, 1, 1))
    assert person.first_work_date == date(1988, 1, 1)


def test_deemed_months_at_most_to_the_shanxi_account_start(staff):
    # Shanxi: accounts from 1997-07; first work 1990-07 → 1997-07 − 1990-07 = 7 × 12 = 84
    _refused(
        lambda: _register(staff, first_work_date=date(1990, 7, 1), deemed_months=85),
        "deemed_months_too_many",
        "视同缴费85个月，超过从参加工作时间1990-07-01到建立个人账户（1997-07）之间的84个月。",
    )
    _refused(
        lambda: _register(staff, deemed_months=12),
        "deemed_without_first_work",
        "有视同缴费月数的，须填写参加工作时间。",
    )
    person = _register(staff, first_work_date=date(1990, 7, 1), deemed_months=84)
    assert person.deemed_months == 84


def test_deemed_months_at_most_to_the_jilin_account_start(staff):
    # Jilin (南关区, 长春): accounts from 1995-07; first work 1990-07 → 5 × 12 = 60
    Agency.objects.create(code="22010200", name="南关区社会保险中心", region_id="220102")
    number = citizen_id("220102", "19720120", 42)
    _refused(
        lambda: _register(
            staff, number, region="220102", first_work_date=date(1990, 7, 1), deemed_months=61
        ),
        "deemed_months_too_many",
        "视同缴费61个月，超过从参加工作时间1990-07-01到建立个人账户（1995-07）之间的60个月。",
    )
    person = _register(
        staff, number, region="220102", first_work_date=date(1990, 7, 1), deemed_months=60
    )
    assert person.deemed_months == 60


def test_the_key_data_change_checks_the_work_history_as_it_would_stand(staff):
    person = _register(staff, first_work_date=date(1990, 7, 1), deemed_months=84)
    caseworker = staff["caseworker"]
    # more deemed months than 84
    _refused(
        lambda: services.person_key_data_change_request(
            actor=caseworker, person=person, changes={"deemed_months": 90}, reason="补档"
        ),
        "deemed_months_too_many",
        "视同缴费90个月，超过从参加工作时间1990-07-01到建立个人账户（1997-07）之间的84个月。",
    )
    # a later first work date with the 84 deemed months: 1997-07 − 1991-07 = 72 < 84
    _refused(
        lambda: services.person_key_data_change_request(
            actor=caseworker,
            person=person,
            changes={"first_work_date": date(1991, 7, 1)},
            reason="更正",
        ),
        "deemed_months_too_many",
        "视同缴费84个月，超过从参加工作时间1991-07-01到建立个人账户（1997-07）之间的72个月。",
    )
    # an earlier one before 16
    _refused(
        lambda: services.person_key_data_change_request(
            actor=caseworker,
            person=person,
            changes={"first_work_date": date(1987, 6, 1)},
            reason="更正",
        ),
        "first_work_before_16",
        "参加工作时间1987-06-01早于本人年满16周岁的月份（1988-01）。",
    )


def test_occupation_first_insured_and_region_are_key_data(staff):
    person = _register(staff, first_insured_date=date(2000, 1, 1))
    caseworker = staff["caseworker"]
    assert person.occupation_kind == OccupationKind.WORKER
    # no direct change through the contact service (used by the contact form)
    for field, value in (
        ("occupation_kind", OccupationKind.CADRE),
        ("first_insured_date", date(1999, 1, 1)),
        ("region", Region.objects.get(code="140106")),
    ):
        before = _counts()
        with pytest.raises(InvalidInput) as error:
            services.person_update_contact(actor=caseworker, person=person, **{field: value})
        assert error.value.code == "key_data_needs_approval"
        assert _counts() == before
    _refused(
        lambda: services.person_key_data_change_request(
            actor=caseworker, person=person, changes={"region": "149999"}, reason="迁移"
        ),
        "unknown_region",
        "149999不是有效的行政区划代码。",
    )
    # through the case: a woman cadre (retires at 55, not 50), first insured 1999-01-01,
    # moved to 迎泽区 (140106): the owning agency follows the region
    request = services.person_key_data_change_request(
        actor=caseworker,
        person=person,
        changes={
            "occupation_kind": OccupationKind.CADRE,
            "first_insured_date": date(1999, 1, 1),
            "region": "140106",
        },
        reason="档案更正",
    )
    person.refresh_from_db()
    assert (person.occupation_kind, person.region_id) == (OccupationKind.WORKER, "140105")
    assert request.payload == {
        "occupation_kind": "cadre",
        "first_insured_date": "1999-01-01",
        "region": "140106",
    }
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    person.refresh_from_db()
    assert (person.occupation_kind, person.first_insured_date, person.region_id) == (
        OccupationKind.CADRE,
        date(1999, 1, 1),
        "140106",
    )
    assert person.agency == services.owning_agency(Region.objects.get(code="140106"))
