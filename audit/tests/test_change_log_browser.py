"""The change-log browser (变更日志): region scope, filters, paging, one entry's
before and after, and who may open it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pension import changelog
from pension.models import ChangeLogEntry, Region
from pension.models.changelog import ChangeAction

pytestmark = pytest.mark.django_db


def _entry(actor, instance, *, action=ChangeAction.UPDATE, before=None, after=None, reason=""):
    changelog.record(
        actor=actor, action=action, instance=instance, before=before, after=after, reason=reason
    )
    return ChangeLogEntry.objects.order_by("-id").first()


def test_the_county_head_sees_the_county_the_province_auditor_everything(client, staff):
    county_region = staff["caseworker"].agency.region
    other_region = staff["other_caseworker"].agency.region
    mine = _entry(staff["caseworker"], county_region, after={"name": "甲"})
    theirs = _entry(staff["other_caseworker"], other_region, after={"name": "乙"})

    client.force_login(staff["county_head"])
    page = client.get(reverse("audit:change_log_list")).content.decode()
    assert f'data-entry="{mine.pk}"' in page
    assert f'data-entry="{theirs.pk}"' not in page
    assert client.get(reverse("audit:change_log_detail", args=[theirs.pk])).status_code == 404

    client.force_login(staff["auditor"])
    page = client.get(reverse("audit:change_log_list")).content.decode()
    assert f'data-entry="{mine.pk}"' in page and f'data-entry="{theirs.pk}"' in page


def test_filters_by_user_action_and_record(client, staff):
    region = staff["caseworker"].agency.region
    other = Region.objects.get(code=staff["other_caseworker"].agency.region_id)
    one = _entry(staff["caseworker"], region, after={"name": "甲"})
    two = _entry(staff["reviewer"], region, action=ChangeAction.APPROVE, after={"name": "乙"})
    three = _entry(staff["caseworker"], other, after={"name": "丙"})
    client.force_login(staff["auditor"])
    url = reverse("audit:change_log_list")

    page = client.get(url, {"actor": "CASEWORKER"}).content.decode()  # case-insensitive
    assert f'data-entry="{one.pk}"' in page and f'data-entry="{three.pk}"' in page
    assert f'data-entry="{two.pk}"' not in page

    page = client.get(url, {"action": "approve"}).content.decode()
    assert f'data-entry="{two.pk}"' in page and f'data-entry="{one.pk}"' not in page

    page = client.get(
        url, {"object_type": "pension.region", "object_id": other.pk}
    ).content.decode()
    assert f'data-entry="{three.pk}"' in page
    assert f'data-entry="{one.pk}"' not in page and f'data-entry="{two.pk}"' not in page


def test_pages_of_fifty_with_the_total_and_the_filters_kept(client, staff):
    region = staff["caseworker"].agency.region
    for n in range(55):
        _entry(staff["caseworker"], region, after={"name": f"n{n}"})
    client.force_login(staff["auditor"])
    url = reverse("audit:change_log_list")
    total = ChangeLogEntry.objects.filter(actor_username="caseworker").count()
    assert total == 55
    page = client.get(url, {"actor": "caseworker"}).content.decode()
    assert page.count('data-entry="') == 50
    assert "共 55 条" in page
    assert "actor=caseworker&amp;page=2" in page or "actor=caseworker&page=2" in page
    second = client.get(url, {"actor": "caseworker", "page": 2}).content.decode()
    assert second.count('data-entry="') == 5


def test_an_entry_shows_its_fields_before_and_after(client, staff):
    person_region = staff["caseworker"].agency.region
    entry = _entry(
        staff["caseworker"],
        person_region,
        before={"name": "旧名"},
        after={"name": "新名"},
        reason="更正",
    )
    client.force_login(staff["auditor"])
    page = client.get(reverse("audit:change_log_detail", args=[entry.pk])).content.decode()
    assert "旧名" in page and "新名" in page and "更正" in page
    assert entry.row_hash in page and entry.prev_hash in page


def test_roles_without_the_audit_section_are_refused(client, staff):
    for username in ("caseworker", "county_accountant"):
        client.force_login(staff[username])
        assert client.get(reverse("audit:change_log_list")).status_code == 403
