"""Registration rules (DESIGN §5.1): bad input is refused with its reason and changes nothing."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from enrollment import services
from enrollment.choices import EmployerStatus, PersonCategory, PersonStatus
from enrollment.models import Employer, Employment, InsuredPerson
from enrollment.tests.helpers import citizen_id, credit_code
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ApprovalStatus, ChangeLogEntry, Region
from pension.periods import Period

pytestmark = pytest.mark.django_db

# A man born 1970-05-12 in 小店区 (sequence 013: odd = man); worked out by hand:
# 1 4 0 1 0 5 1 9 7 0 0 5 1 2 0 1 3 × 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
# = 7+36+0+5+0+20+2+9+42+0+0+45+10+10+0+4+6 = 196; 196 mod 11 = 9 → "10X98765432"[9] = "3"
MAN = "140105197005120133"
WOMAN = citizen_id("140105", "19750301", 24)  # even sequence: a woman


def _counts():
    return (
        InsuredPerson.objects.count(),
        Employer.objects.count(),
        Employment.objects.count(),
        ChangeLogEntry.objects.count(),
    )


@pytest.fixture
def region(demo_tiny):
    return Region.objects.get(code="140105")


def _register(staff, region, number, **kwargs):
    return services.person_register(
        actor=staff["caseworker"],
        id_number=number,
        name=kwargs.pop("name", "张三"),
        category=kwargs.pop("category", PersonCategory.EMPLOYEE),
        region=region,
        **kwargs,
    )


def test_the_hand_worked_id_matches_the_helper():
    assert citizen_id("140105", "19700512", 13) == MAN


def test_a_person_is_registered_with_birth_date_and_sex_from_the_number(staff, region):
    person = _register(staff, region, MAN.lower() if MAN.endswith("X") else MAN)
    assert (person.birth_date, person.sex) == (date(1970, 5, 12), "M")
    assert person.agency == staff["caseworker"].agency
    woman = _register(staff, region, WOMAN, name="李四")
    assert woman.sex == "F"
    assert (
        ChangeLogEntry.objects.filter(
            object_type="enrollment.insuredperson", action="create"
        ).count()
        == 2
    )


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        (MAN[:-1] + "4", "check_character", "does not match the first 17"),
        (MAN[:17], "length", "it has 17"),
        (MAN + "1", "length", "it has 19"),
        ("14010519700512A133", "characters", "only digits"),
        (citizen_id("990105", "19700512", 13), "region", "99"),
        (citizen_id("140105", "19990230", 13), "birth_date", "19990230"),
        (citizen_id("140105", "20991231", 13), "future_birth_date", "2099-12-31"),
    ],
)
def test_invalid_citizen_ids_are_refused_and_nothing_is_written(
    staff, region, number, code, message
):
    before = _counts()
    with pytest.raises(InvalidInput) as excinfo, translation.override("en"):
        _register(staff, region, number)
    assert excinfo.value.code == code
    with translation.override("en"):
        assert message in str(excinfo.value)
    assert excinfo.value.details["field"] == "id_number"
    assert _counts() == before


def test_entered_birth_date_or_sex_that_disagree_with_the_number_are_refused(staff, region):
    before = _counts()
    with pytest.raises(InvalidInput) as excinfo:
        _register(staff, region, MAN, birth_date=date(1970, 5, 13))
    assert excinfo.value.code == "birth_date_mismatch"
    with pytest.raises(InvalidInput) as excinfo:
        _register(staff, region, MAN, sex="F")
    assert excinfo.value.code == "sex_mismatch"
    assert _counts() == before


def test_a_duplicate_number_names_who_has_it(staff, region):
    _register(staff, region, MAN, name="王五")
    before = _counts()
    with pytest.raises(Conflict) as excinfo:
        _register(staff, region, MAN, name="赵六")
    assert excinfo.value.code == "duplicate_id_number"
    assert "王五" in str(excinfo.value) and "小店区社会保险中心" in str(excinfo.value)
    assert _counts() == before
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database says no too
        InsuredPerson.objects.create(
            id_number=MAN, name="x", sex="M", birth_date=date(1970, 5, 12), category="employee",
            region=region, agency=staff["caseworker"].agency,
        )  # fmt: skip


# 91350100M000100Y43: check worked by hand in pension/tests/test_validators.py
@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y44", "check_character"),
        ("91350100M000100Y4", "length"),
        ("91350100M0001O0Y43", "characters"),  # the letter O is not used
        ("913501I0M000100Y43", "characters"),
        ("91AB0100M000100Y4" + "3", "region"),
    ],
)
def test_invalid_credit_codes_are_refused_and_nothing_is_written(staff, region, code, error):
    before = _counts()
    with pytest.raises(InvalidInput) as excinfo:
        services.employer_register(
            actor=staff["caseworker"],
            credit_code=code,
            name="测试公司",
            kind="enterprise",
            region=region,
        )
    assert excinfo.value.code == error
    assert _counts() == before


def _employer(staff, region, body="9114010500000000"):
    return services.employer_register(
        actor=staff["caseworker"],
        credit_code=credit_code(body + "1"),
        name="太原测试有限公司",
        kind="enterprise",
        region=region,
    )


def test_employer_duplicate_and_lower_case_code(staff, region):
    employer = _employer(staff, region)
    with pytest.raises(Conflict) as excinfo:
        services.employer_register(
            actor=staff["caseworker"], credit_code=employer.credit_code.lower(), name="另一家",
            kind="enterprise", region=region,
        )  # fmt: skip
    assert excinfo.value.code == "duplicate_credit_code" and "太原测试有限公司" in str(
        excinfo.value
    )


def test_market_regulation_upsert_never_duplicates(region):
    code = credit_code("91140105MA0000001")
    first, created = services.employer_upsert_from_market_regulation(
        credit_code=code, message_id="m1", name="甲公司", kind="enterprise", region=region
    )
    again, created_again = services.employer_upsert_from_market_regulation(
        credit_code=code, message_id="m2", name="甲公司（更名）", kind="enterprise", region=region
    )
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk and Employer.objects.filter(credit_code=code).count() == 1
    again.refresh_from_db()
    assert (again.name, again.last_message_id) == ("甲公司（更名）", "m2")
    entry = ChangeLogEntry.objects.filter(object_id=str(first.pk), action="update").get()
    assert entry.before["name"] == "甲公司" and entry.after["name"] == "甲公司（更名）"


def test_one_employment_at_a_time(staff, region):
    person = _register(staff, region, MAN)
    a = _employer(staff, region, "9114010500000000")
    b = _employer(staff, region, "9114010500000001")
    services.employment_add(
        actor=staff["caseworker"], employer=a, person=person, start=Period(2024, 1)
    )
    person.refresh_from_db()
    assert person.status == PersonStatus.CONTRIBUTING
    with pytest.raises(Conflict) as excinfo:
        services.employment_add(
            actor=staff["caseworker"], employer=b, person=person, start=Period(2024, 6)
        )
    assert excinfo.value.code == "already_employed"
    employment = person.employments.get()
    services.employment_remove(
        actor=staff["caseworker"], employment=employment, stop=Period(2024, 7), reason="辞职"
    )
    with pytest.raises(Conflict) as excinfo:  # cannot start before the last one ended
        services.employment_add(
            actor=staff["caseworker"], employer=b, person=person, start=Period(2024, 6)
        )
    assert excinfo.value.code == "overlapping_employment"
    services.employment_add(
        actor=staff["caseworker"], employer=b, person=person, start=Period(2024, 7)
    )
    # the database refuses an overlap even when the service is bypassed
    with pytest.raises(IntegrityError), transaction.atomic():
        Employment.objects.create(
            person=person, employer=a, start_period=Period(2024, 3), stop_period=Period(2024, 5)
        )


def test_cancellation_lists_every_reason(staff, region):
    employer = _employer(staff, region)
    person = _register(staff, region, MAN)
    services.employment_add(
        actor=staff["caseworker"], employer=employer, person=person, start=Period(2024, 1)
    )
    with pytest.raises(Conflict) as excinfo:
        services.employer_cancel(actor=staff["caseworker"], employer=employer, reason="注销")
    assert excinfo.value.code == "cancellation_blocked"
    assert len(excinfo.value.details["reasons"]) == 1
    employer.refresh_from_db()
    assert employer.status == EmployerStatus.ACTIVE
    services.employment_remove(
        actor=staff["caseworker"], employment=person.employments.get(), stop=Period(2024, 2)
    )
    services.employer_cancel(actor=staff["caseworker"], employer=employer, reason="注销")
    employer.refresh_from_db()
    assert employer.status == EmployerStatus.CANCELLED


def test_key_data_change_waits_for_approval_and_contact_data_does_not(staff, region):
    person = _register(staff, region, MAN, name="王五")
    with pytest.raises(InvalidInput) as excinfo:
        services.person_update_contact(actor=staff["caseworker"], person=person, name="王伍")
    assert excinfo.value.code == "key_data_needs_approval"
    services.person_update_contact(actor=staff["caseworker"], person=person, phone="13800000000")
    person.refresh_from_db()
    assert person.phone == "13800000000"

    request = services.person_key_data_change_request(
        actor=staff["caseworker"],
        person=person,
        changes={"name": "王伍", "deemed_months": 24, "first_work_date": date(1990, 7, 1)},
        reason="户籍更名",
    )
    person.refresh_from_db()
    assert (person.name, person.deemed_months) == ("王五", 0)  # nothing yet
    assert request.before == {"name": "王五", "deemed_months": 0, "first_work_date": None}
    from pension.approvals import approval_request_approve

    with pytest.raises(NotPermitted):
        approval_request_approve(actor=staff["caseworker"], request_id=request.pk)
    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    person.refresh_from_db()
    assert (person.name, person.deemed_months) == ("王伍", 24)
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED


def test_changing_the_id_number_brings_birth_date_and_sex_along(staff, region):
    person = _register(staff, region, MAN)
    new_number = citizen_id("140105", "19700612", 14)  # a month later, even: a woman
    request = services.person_key_data_change_request(
        actor=staff["caseworker"], person=person, changes={"id_number": new_number}, reason="更正"
    )
    assert request.payload == {"id_number": new_number, "birth_date": "1970-06-12", "sex": "F"}
    from pension.approvals import approval_request_approve

    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)
    person.refresh_from_db()
    assert (person.id_number, person.birth_date, person.sex) == (new_number, date(1970, 6, 12), "F")


def test_a_birth_date_change_alone_must_follow_the_number(staff, region):
    person = _register(staff, region, MAN)
    with pytest.raises(InvalidInput) as excinfo:
        services.person_key_data_change_request(
            actor=staff["caseworker"],
            person=person,
            changes={"birth_date": date(1971, 1, 1)},
            reason="x",
        )
    assert excinfo.value.code == "birth_date_mismatch"
