import pytest
from django.contrib.auth import authenticate

from pension.choices import RegionLevel, Role
from pension.demo import NAMED_USERS, load_demo
from pension.models import Agency, PolicyProfile, Region, StaffUser

pytestmark = pytest.mark.django_db


def test_tiny_demo_has_both_provinces_regions_with_real_codes(demo_tiny):
    shanxi_cities = Region.objects.filter(parent_id="140000", level=RegionLevel.CITY)
    assert shanxi_cities.count() == 11
    assert Region.objects.get(code="140105").name == "小店区"
    assert Region.objects.get(code="140105").parent_id == "140100"
    assert Region.objects.filter(parent_id="220000").count() == 9
    # every county sits under the city its code says
    for county in Region.objects.filter(level=RegionLevel.COUNTY):
        assert county.parent_id[:4] == county.code[:4], county
    assert set(PolicyProfile.objects.values_list("code", flat=True)) == {"shanxi", "jilin"}


def test_named_users_have_their_role_at_their_level(demo_tiny, demo_password):
    levels = {
        "county": RegionLevel.COUNTY,
        "city": RegionLevel.CITY,
        "province": RegionLevel.PROVINCE,
        "other_county": RegionLevel.COUNTY,
    }
    for username, role, where, _name in NAMED_USERS:
        user = StaffUser.objects.get(username=username)
        assert user.roles == [role]
        assert user.agency.region.level == levels[where]
        assert authenticate(username=username, password=demo_password) == user
    assert StaffUser.objects.get(username="caseworker").agency.region_id == "140105"
    assert StaffUser.objects.get(username="other_caseworker").agency.region_id[:4] != "1401"
    assert StaffUser.objects.get(username="admin").is_staff


def test_demo_scale_gives_every_agency_a_login_per_role(db):
    load_demo(scale="demo", log=lambda m: None, history_years=0)
    agencies = Agency.objects.filter(region__code__startswith="14")
    assert agencies.count() == Region.objects.filter(code__startswith="14").count()
    county = agencies.get(region_id="140212")
    assert StaffUser.objects.filter(agency=county, roles=[Role.REVIEWER]).exists()
    # the province administrator role exists only at the province
    assert (
        not StaffUser.objects.filter(roles=[Role.PROVINCE_ADMIN])
        .exclude(agency__region_id="140000")
        .exists()
    )


def test_loading_twice_adds_nothing(demo_tiny):
    counts = (Region.objects.count(), Agency.objects.count(), StaffUser.objects.count())
    load_demo(scale="tiny", log=lambda m: None, history_years=0)
    assert (Region.objects.count(), Agency.objects.count(), StaffUser.objects.count()) == counts
