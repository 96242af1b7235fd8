"""Production settings and the compiled Chinese catalogue."""

import os
import subprocess
import sys
from gettext import GNUTranslations
from pathlib import Path

import polib
import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "pension.settings.production",
    "SECRET_KEY": "x7#kQ2!pL9vR4@mN8$wT3^zB6&yH1*cF5(dJ0)gS-eA_uK+oI=rE{lW}qY|nX~bV",
    "DATABASE_URL": "postgres://pension:pension@db.example:5432/pension",
    "REDIS_URL": "redis://redis.example:6379/0",
    "ALLOWED_HOSTS": "pension.example.gov.cn",
    "CHANGE_LOG_ANCHOR_KEY": "a9f3c1e7b2d84f6a0c5e9b1d7f3a2c8e6b4d0f9a1c3e5b7d",
}


def _manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_production_settings_prints_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CHANGE_LOG_ANCHOR_KEY"]
)
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {**PRODUCTION_ENV, missing: ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_the_compiled_chinese_catalogue_is_complete_and_current():
    locale = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
    catalogue = polib.pofile(str(locale / "django.po"))
    assert not catalogue.metadata_is_fuzzy
    assert not catalogue.fuzzy_entries(), "fuzzy entries are not shown to users"
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    with open(locale / "django.mo", "rb") as handle:
        compiled = GNUTranslations(handle)

    def compiled_text(e) -> str:
        if e.msgctxt and e.msgid_plural:
            return compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
        if e.msgctxt:
            return compiled.pgettext(e.msgctxt, e.msgid)
        if e.msgid_plural:
            return compiled.ngettext(e.msgid, e.msgid_plural, 1)
        return compiled.gettext(e.msgid)

    stale = [
        e.msgid
        for e in catalogue
        if compiled_text(e) != (e.msgstr_plural[0] if e.msgid_plural else e.msgstr)
    ]
    assert not stale, f"django.mo is older than django.po (make messages): {stale[:5]}"
