import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_caseworker_signs_in_and_sees_the_chinese_home_page(page, staff, demo_password):
    page.goto("/")
    # not signed in: the sign-in page, in Chinese
    assert page.locator("h1").inner_text() == "工作人员登录"

    sign_in(page, "caseworker", demo_password)

    assert page.locator("main h1").inner_text() == "工作台"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    facts = page.locator("dl.facts").inner_text()
    assert staff["caseworker"].agency.name in facts
    assert "经办员" in facts
    menu = page.locator("nav.sidebar").inner_text()
    assert "参保登记" in menu
    assert "基金预算" not in menu  # a caseworker's menu has no budget


def test_wrong_password_is_refused_in_chinese(page, staff):
    sign_in(page, "caseworker", "not-the-password")
    assert page.locator("p.error").inner_text() == "用户名或密码错误，请重试。"
    assert page.url.endswith("/login/")


def test_language_switch_to_english(page, staff, demo_password):
    sign_in(page, "caseworker", demo_password)
    with page.expect_navigation():
        page.select_option("#language-select", "en")  # submits the switch form
    assert page.locator("main h1").inner_text() == "Home"
    assert "Registration" in page.locator("nav.sidebar").inner_text()
