"""A flexible worker stops (中断) and resumes contributing at the hall: the service's
refusals, and the person page's buttons (DESIGN §5.2: one assessment a month; the
assessment side is in contributions/tests/test_assessment.py)."""

from __future__ import annotations

import pytest
from django.utils import translation

from enrollment import services
from enrollment.choices import PersonCategory, PersonStatus
from enrollment.models import InsuredPerson
from enrollment.tests.helpers import citizen_id
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeLogEntry, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def flexible(staff):
    return services.person_register(
        actor=staff["caseworker"],
        id_number=citizen_id("140105", "19800101", 31),
        name="灵活甲",
        category=PersonCategory.FLEXIBLE,
        region=Region.objects.get(code="140105"),
    )


def _state(person) -> tuple:
    person.refresh_from_db()
    return person.status, ChangeLogEntry.objects.count()


def test_interrupt_and_resume(staff, flexible):
    caseworker = staff["caseworker"]
    services.flexible_contribution_interrupt(actor=caseworker, person=flexible, reason="中断")
    assert _state(flexible)[0] == PersonStatus.INTERRUPTED
    entry = ChangeLogEntry.objects.filter(object_type="enrollment.insuredperson").latest("id")
    assert (entry.before, entry.after, entry.reason) == (
        {"status": "contributing"},
        {"status": "interrupted"},
        "中断",
    )
    services.flexible_contribution_resume(actor=caseworker, person=flexible, reason="恢复")
    assert _state(flexible)[0] == PersonStatus.CONTRIBUTING


def test_refusals_change_nothing(staff, flexible):
    caseworker = staff["caseworker"]
    before = _state(flexible)
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as no_reason:
        services.flexible_contribution_interrupt(actor=caseworker, person=flexible, reason=" ")
    assert str(no_reason.value) == "请填写变更理由。"
    with pytest.raises(Conflict) as not_stopped:
        services.flexible_contribution_resume(actor=caseworker, person=flexible, reason="恢复")
    assert not_stopped.value.code == "wrong_status"
    InsuredPerson.objects.filter(pk=flexible.pk).update(category=PersonCategory.EMPLOYEE)
    with translation.override("zh-hans"), pytest.raises(Conflict) as employee:
        services.flexible_contribution_interrupt(actor=caseworker, person=flexible, reason="中断")
    assert employee.value.code == "not_flexible"
    assert "灵活甲" in str(employee.value) and "灵活就业" in str(employee.value)
    InsuredPerson.objects.filter(pk=flexible.pk).update(category=PersonCategory.FLEXIBLE)
    with pytest.raises(NotPermitted):
        services.flexible_contribution_interrupt(
            actor=staff["other_caseworker"], person=flexible, reason="中断"
        )
    assert _state(flexible) == before


def test_the_person_page_stops_and_resumes(client, staff, flexible):
    url = f"/enrollment/people/{flexible.pk}/flexible/interrupt"
    response = client.post(url, {"reason": "x"})  # anonymous
    assert response.status_code == 302 and response.url.startswith("/login/")
    client.force_login(staff["county_accountant"])  # wrong role
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert _state(flexible)[0] == PersonStatus.CONTRIBUTING
    client.force_login(staff["caseworker"])
    page = client.get(f"/enrollment/people/{flexible.pk}/").content.decode()
    assert 'id="flexible-interrupt"' in page and "中断缴费" in page
    response = client.post(
        f"/enrollment/people/{flexible.pk}/flexible/interrupt", {"reason": "本人申请"}
    )
    assert response.status_code == 302
    assert _state(flexible)[0] == PersonStatus.INTERRUPTED
    page = client.get(f"/enrollment/people/{flexible.pk}/").content.decode()
    assert 'id="flexible-resume"' in page and 'id="flexible-interrupt"' not in page
    # another city's caseworker: refused, nothing changed
    client.force_login(staff["other_caseworker"])
    before = _state(flexible)
    response = client.post(f"/enrollment/people/{flexible.pk}/flexible/resume", {"reason": "x"})
    assert response.status_code in (403, 404)
    assert _state(flexible) == before
