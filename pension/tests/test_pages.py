import pytest
from django.urls import reverse

from pension.navigation import SECTIONS

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client, demo_tiny):
    for url in ["/", *[reverse(s.url_name) for s in SECTIONS]]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/login/?next=")


def test_home_shows_the_users_agency_and_roles_in_chinese(client, staff):
    client.force_login(staff["caseworker"])
    html = client.get("/").content.decode()
    assert "<h1>工作台</h1>" in html
    assert "小店区社会保险中心" in html
    assert "经办员" in html


@pytest.mark.parametrize(
    ("username", "allowed", "refused"),
    [
        ("caseworker", ["enrollment", "benefits"], ["funds", "budget", "audit"]),
        ("county_accountant", ["funds", "budget", "contributions"], ["enrollment", "audit"]),
        ("city_budget", ["budget", "funds"], ["enrollment", "benefits", "audit"]),
        ("auditor", ["audit", "enrollment", "funds"], []),
    ],
)
def test_sections_open_by_role_and_the_menu_matches(client, staff, username, allowed, refused):
    client.force_login(staff[username])
    menu = client.get("/").context["nav_items"]
    shown = {item["domain"] for item in menu}
    for domain in allowed:
        assert client.get(reverse(f"{domain}:index")).status_code == 200
        assert domain in shown
    for domain in refused:
        assert client.get(reverse(f"{domain}:index")).status_code == 403
        assert domain not in shown


def test_admin_site_only_for_province_administrator(client, staff):
    client.force_login(staff["caseworker"])
    assert client.get("/admin/").status_code == 302
    client.force_login(staff["admin"])
    assert "行政区划" in client.get("/admin/").content.decode()


def test_chinese_even_when_the_browser_asks_for_english(client, staff):
    client.force_login(staff["caseworker"])
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert "<h1>工作台</h1>" in response.content.decode()


def test_english_is_available(client, staff):
    client.force_login(staff["caseworker"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "<h1>Home</h1>" in client.get("/").content.decode()
