"""Pages work under the Content-Security-Policy (issue 13): the page fixture fails a test
on any blocked resource or script error; here the pages whose scripts are ours alone
(the language switch, printing, the API docs) are used in a real browser."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_policy_is_sent_and_the_api_docs_render_without_inline_script(
    page, staff, demo_password
):
    response = page.goto("/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    sign_in(page, "caseworker", demo_password)

    page.goto("/api/v1/docs/")

    # Swagger UI built its page from the schema (its settings come as a script file)
    page.locator(".swagger-ui .info .title").wait_for()
    assert "API" in page.locator(".swagger-ui .info .title").inner_text()


def test_the_language_switch_works_from_the_static_script(page, staff, demo_password):
    sign_in(page, "caseworker", demo_password)
    assert page.locator("#language-select[onchange]").count() == 0  # no inline handler
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("main h1").inner_text() == "Home"
