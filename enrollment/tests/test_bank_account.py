"""The bank account pensions are paid to is key data (§6.2.2.3): it changes only through
a case prepared in the owning region and approved by a second person; no page, form or
service changes it directly."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from enrollment import services
from enrollment.choices import PersonCategory
from enrollment.tests.helpers import citizen_id
from pension.approvals import approval_request_approve
from pension.errors import InvalidInput, NotPermitted
from pension.models import ApprovalRequest, Attachment, ChangeLogEntry, Region

pytestmark = pytest.mark.django_db

OLD_ACCOUNT = "6222020000000001"
NEW_ACCOUNT = "6217000000000002"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def person(staff):
    return services.person_register(
        actor=staff["caseworker"],
        id_number=citizen_id("140105", "19600101", 11),
        name="钱多",
        category=PersonCategory.EMPLOYEE,
        region=Region.objects.get(code=staff["caseworker"].agency.region_id),
        bank_name="中国工商银行",
        bank_account=OLD_ACCOUNT,
    )


def _scan():
    return SimpleUploadedFile("card.pdf", b"%PDF-1.4 card", content_type="application/pdf")


def _bank(person):
    person.refresh_from_db()
    return person.bank_name, person.bank_account


def test_the_contact_service_refuses_the_bank_account(staff, person):
    logged = ChangeLogEntry.objects.count()
    for field, value in (("bank_account", NEW_ACCOUNT), ("bank_name", "中国银行")):
        with pytest.raises(InvalidInput) as refused:
            services.person_update_contact(
                actor=staff["caseworker"], person=person, **{field: value}
            )
        assert refused.value.code == "bank_account_needs_approval"
    assert _bank(person) == ("中国工商银行", OLD_ACCOUNT)
    assert ChangeLogEntry.objects.count() == logged


def test_the_contact_page_no_longer_changes_the_bank_account(client, staff, person):
    client.force_login(staff["caseworker"])
    response = client.post(
        f"/enrollment/people/{person.pk}/contact/",
        {"phone": "13800000000", "address": "", "card_number": "",
         "bank_name": "中国银行", "bank_account": NEW_ACCOUNT},
    )  # fmt: skip
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "13800000000"  # the contact data changed
    assert _bank(person) == ("中国工商银行", OLD_ACCOUNT)  # the account did not


def test_a_change_waits_for_a_second_person_and_is_logged(staff, person):
    request = services.person_bank_account_change_request(
        actor=staff["caseworker"], person=person, bank_name="中国银行",
        bank_account="6217 0000 0000 0002", reason="换卡", attachments=[_scan()],
    )  # fmt: skip
    assert request.payload == {"bank_name": "中国银行", "bank_account": NEW_ACCOUNT}
    assert request.before == {"bank_name": "中国工商银行", "bank_account": OLD_ACCOUNT}
    assert _bank(person) == ("中国工商银行", OLD_ACCOUNT)  # nothing until approved
    with pytest.raises(NotPermitted) as refused:
        approval_request_approve(actor=staff["caseworker"], request_id=request.pk)
    assert refused.value.code == "self_approval"
    with pytest.raises(NotPermitted) as refused:  # a reviewer of another county
        approval_request_approve(actor=staff["other_reviewer"], request_id=request.pk)
    assert refused.value.code == "outside_region"

    approval_request_approve(actor=staff["reviewer"], request_id=request.pk)

    assert _bank(person) == ("中国银行", NEW_ACCOUNT)
    entry = ChangeLogEntry.objects.filter(
        object_type="enrollment.insuredperson", object_id=str(person.pk), action="update"
    ).latest("id")
    assert entry.before == {"bank_name": "中国工商银行", "bank_account": OLD_ACCOUNT}
    assert entry.after == {"bank_name": "中国银行", "bank_account": NEW_ACCOUNT}
    assert entry.actor_id == staff["reviewer"].pk


def test_only_the_owning_region_prepares_a_change(staff, person):
    cases = ApprovalRequest.objects.count()
    with pytest.raises(NotPermitted) as refused:
        services.person_bank_account_change_request(
            actor=staff["other_caseworker"], person=person, bank_name="中国银行",
            bank_account=NEW_ACCOUNT, reason="换卡",
        )  # fmt: skip
    assert refused.value.code == "outside_region"
    assert ApprovalRequest.objects.count() == cases


@pytest.mark.parametrize(
    ("bank_name", "account", "code"),
    [
        ("", NEW_ACCOUNT, "bank_name_required"),
        ("中国银行", "62170000000000０2", "bank_account_form"),  # a full-width digit
        ("中国银行", "1234567", "bank_account_form"),  # 7 digits
        ("中国工商银行", OLD_ACCOUNT, "no_change"),
    ],
)
def test_a_bad_proposal_is_refused(staff, person, bank_name, account, code):
    cases = ApprovalRequest.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.person_bank_account_change_request(
            actor=staff["caseworker"], person=person, bank_name=bank_name,
            bank_account=account, reason="换卡",
        )  # fmt: skip
    assert refused.value.code == code
    assert ApprovalRequest.objects.count() == cases


def test_the_bank_account_page_makes_a_case_in_the_owning_region_only(client, staff, person):
    url = f"/enrollment/people/{person.pk}/bank-account/"
    form = {"bank_name": "中国银行", "bank_account": NEW_ACCOUNT, "reason": "换卡"}
    client.force_login(staff["other_caseworker"])
    assert client.get(url).status_code == 403
    assert client.post(url, {**form, "attachment": _scan()}).status_code == 403
    assert not ApprovalRequest.objects.filter(object_id=str(person.pk)).exists()
    detail = client.get(f"/enrollment/people/{person.pk}/").content.decode()
    assert 'id="bank-account-link"' not in detail

    client.force_login(staff["caseworker"])
    assert (
        'id="bank-account-link"' in client.get(f"/enrollment/people/{person.pk}/").content.decode()
    )
    response = client.post(url, {**form, "attachment": _scan()})
    assert response.status_code == 302
    case = ApprovalRequest.objects.get(object_id=str(person.pk))
    assert case.operation == services.BANK_ACCOUNT_CHANGE
    assert Attachment.objects.filter(
        content_type__model="approvalrequest", object_id=str(case.pk)
    ).exists()
    assert _bank(person) == ("中国工商银行", OLD_ACCOUNT)
