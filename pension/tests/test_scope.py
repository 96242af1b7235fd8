"""Role × region scope (pension.scope.restrict)."""

import pytest

from pension.models import Agency, ApprovalRequest, Region, StaffUser
from pension.scope import region_allows, restrict

pytestmark = pytest.mark.django_db


def test_view_scope_follows_the_agency_region(demo_tiny, staff):
    county = restrict(Region.objects.all(), staff["caseworker"], "view")
    assert set(county.values_list("code", flat=True)) == {"140105"}
    city = restrict(Region.objects.all(), staff["city_caseworker"], "view")
    assert set(city.values_list("code", flat=True)) == set(
        Region.objects.filter(code__startswith="1401").values_list("code", flat=True)
    )
    province = restrict(Region.objects.all(), staff["auditor"], "view")
    assert province.count() == Region.objects.filter(code__startswith="14").count()
    assert not province.filter(code__startswith="22").exists()  # never another province


def test_related_paths_scope_agencies_and_users(demo_tiny, staff):
    agencies = restrict(Agency.objects.all(), staff["city_reviewer"], "view")
    assert {a.region_id[:4] for a in agencies} == {"1401"}
    users = restrict(StaffUser.objects.all(), staff["other_reviewer"], "view")
    assert set(users.values_list("username", flat=True)) == {"other_caseworker", "other_reviewer"}


def test_actions_need_their_roles(demo_tiny, staff):
    assert restrict(ApprovalRequest.objects.all(), staff["caseworker"], "approve").count() == 0
    assert restrict(Region.objects.all(), staff["caseworker"], "approve").count() == 0
    assert restrict(Region.objects.all(), staff["auditor"], "prepare").count() == 0
    assert restrict(Region.objects.all(), staff["caseworker"], "manage").count() == 0
    assert restrict(Region.objects.all(), staff["admin"], "manage").count() > 0


def test_anonymous_sees_nothing(demo_tiny):
    from django.contrib.auth.models import AnonymousUser

    assert restrict(Region.objects.all(), AnonymousUser(), "view").count() == 0


def test_province_wide_actions_open_the_province_only_for_those_actions(demo_tiny, staff):
    class Person(Region):  # a stand-in with the insured person's rule
        scope_province_wide_actions = frozenset({"view", "prepare"})

        class Meta:
            proxy = True
            app_label = "pension"

    caseworker = staff["caseworker"]
    assert restrict(Person.objects.all(), caseworker, "view").filter(code="140212").exists()
    assert restrict(Person.objects.all(), caseworker, "prepare").filter(code="140212").exists()
    assert (
        not restrict(Person.objects.all(), staff["reviewer"], "approve")
        .filter(code="140212")
        .exists()
    )
    assert not region_allows(caseworker, "140212", "view")
    assert region_allows(caseworker, "140212", "view", model=Person)
    assert not region_allows(caseworker, "220102", "view", model=Person)
