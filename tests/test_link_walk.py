"""Every page every demo role can reach from its navigation: no link that ends in an
error, and no English or code name on a Chinese page (issue 15).

One walk per named demo user over the tiny demo province with a year of history (so
that runs, bills, payments and determinations exist to link to): from the start page,
every same-site link is followed (at most ``PER_SHAPE`` pages of one URL shape, e.g.
``/enrollment/people/<n>/``, and ``PER_ROLE`` pages in all). A link that answers 4xx or
5xx fails the test with the page that showed it; so does a Chinese page whose visible
text has an English phrase or a dotted code name (``enrollment.insuredperson``), or an
amount of money without thousands separators."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from pension.demo import NAMED_USERS

PER_SHAPE = 2
PER_ROLE = 400
SKIP_PREFIXES = ("/static/", "/media/", "/admin/", "/logout", "/i18n/", "/login")
# Words that are not English UI text: file formats, standards, abbreviations.
ALLOWED_WORDS = {
    "csv", "xlsx", "excel", "api", "totp", "sha", "http", "https", "json", "pdf",
    "rest", "openapi", "swagger", "redoc", "utc", "gb", "id", "url",
}  # fmt: skip
CODE_NAME = re.compile(
    r"\b(?:enrollment|contributions|accounts|benefits|funds|budget|audit|pension)\."
    r"[a-z_]{3,}\b"
)
# An amount of 1000 or more shown without thousands separators ("12345.67"): money on a
# page goes through the ``money`` filter ("12,345.67").
BARE_MONEY = re.compile(r"(?<![\d,.])\d{4,}\.\d{2}(?![\d])")
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,}(?:[ '-]+[A-Za-z]{2,})+\b")


class _Page(HTMLParser):
    """The links (a href) and the visible text of a page. Text inside an element of
    class ``recorded`` is data as it was recorded (the change log's before and after
    values, object names and reasons written by the system), not UI text: it is not
    judged (the reasons the system writes are msgids, shown translated)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self._hidden = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        recorded = "recorded" in (dict(attrs).get("class") or "").split()
        if tag in ("span", "td", "dd", "div"):
            self._stack.append(recorded)
            if recorded:
                self._hidden += 1
        if tag in ("script", "style", "code", "pre", "template"):
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("span", "td", "dd", "div") and self._stack and self._stack.pop():
            self._hidden -= 1
        if tag in ("script", "style", "code", "pre", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def _shape(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"\d+", "<n>", parts.path)
    keys = sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


def _normal(href: str, base: str) -> str | None:
    if href.startswith(("#", "mailto:", "javascript:", "tel:")):
        return None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None  # another site
    path = parts.path
    if not path.startswith("/"):
        path = base.rsplit("/", 1)[0] + "/" + path
    if path.startswith(SKIP_PREFIXES):
        return None
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return path + ("?" + query if query else "")


def _english(text: str) -> list[str]:
    found = []
    for match in ENGLISH_PHRASE.finditer(text):
        words = re.findall(r"[A-Za-z]+", match.group(0))
        if all(w.lower() in ALLOWED_WORDS for w in words):
            continue
        found.append(match.group(0))
    return found


def walk(client, username: str) -> list[str]:
    """Walk the pages ``username`` reaches; return the problems found."""
    problems: list[str] = []
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue: deque[tuple[str, str]] = deque([("/", "(start)")])
    visited = 0
    while queue and visited < PER_ROLE:
        url, referrer = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shape = _shape(url)
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        visited += 1
        response = client.get(url)
        if response.status_code in (301, 302):
            target = _normal(response["Location"], url)
            if target:
                queue.append((target, url))
            continue
        if response.status_code >= 400:
            problems.append(
                f"{username}: {url} answers {response.status_code} (linked from {referrer})"
            )
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue  # downloads, JSON
        page = _Page()
        page.feed(response.content.decode())
        text = " ".join(page.text)
        for name in sorted(set(CODE_NAME.findall(text))):
            problems.append(f"{username}: {url} shows the code name {name!r}")
        for amount in sorted(set(BARE_MONEY.findall(text)))[:3]:
            problems.append(f"{username}: {url} shows {amount} without thousands separators")
        for phrase in sorted(set(_english(text)))[:5]:
            problems.append(f"{username}: {url} shows English {phrase!r}")
        for href in page.links:
            target = _normal(href, url)
            if target and target not in seen:
                queue.append((target, url))
    return problems


@pytest.fixture
def demo_with_history(db):
    from pension.demo import load_demo

    return load_demo(scale="tiny", log=lambda message: None, history_years=1)


@pytest.mark.timeout(1800)
def test_every_link_of_every_role_opens_and_every_page_is_chinese(demo_with_history):
    from django.test import Client

    from pension.models import StaffUser

    problems: list[str] = []
    for username, *_rest in NAMED_USERS:
        client = Client(raise_request_exception=False)
        client.force_login(StaffUser.objects.get(username=username))
        problems += walk(client, username)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:2000])
