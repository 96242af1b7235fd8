"""The project's own error pages, in Chinese, in every settings module (issue 15)."""

import pytest
from django.test import RequestFactory
from django.views import defaults

from pension.tests.test_settings import _manage


@pytest.mark.django_db
def test_an_unknown_address_is_the_chinese_not_found_page(client, staff):
    client.force_login(staff["caseworker"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page
    assert "Page not found" not in page
    assert 'href="/"' in page or "返回首页" in page


def test_the_server_error_page_is_chinese_and_needs_no_request_context():
    request = RequestFactory().get("/anything/")
    response = defaults.server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "系统出错" in page
    assert "Traceback" not in page and "Something went wrong" not in page


@pytest.mark.parametrize("module", ["pension.settings.dev", "pension.settings.test"])
def test_no_settings_module_shows_debug_pages_by_default(module):
    # DEBUG off unless asked for: the demo shows the project's pages, never Django's
    # debug page (which lists settings and source).
    result = _manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)",
        env={"DJANGO_SETTINGS_MODULE": module, "DEBUG": ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_production_settings_never_debug():
    from pension.tests.test_settings import PRODUCTION_ENV

    result = _manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)",
                     env={**PRODUCTION_ENV, "DEBUG": "1"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
