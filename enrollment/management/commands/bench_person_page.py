"""Benchmark of search by ID number and the person page (DESIGN §6: p95 < 100 ms).

``manage.py bench_person_page --sample 1000`` draws a random sample of insured people
and measures, in-process, the server time of

(a) search by citizen ID number: GET ``/enrollment/people/?q=<id_number>``;
(b) the person page: GET ``/enrollment/people/<pk>/``;

through ``django.test.Client`` signed in (``force_login``) as a caseworker of the
province agency (``u140000_caseworker`` of the demo; created when absent). It prints
count, p50, p95, p99 and max in milliseconds and the SQL queries of one request.

When those URLs do not resolve or do not answer 200 (pages still being built), it
measures the selectors instead, and says so: ``enrollment.selectors.person_search``,
and the reads the person page needs (the person, the employment history, the change
log entries of the person). ``--mode`` forces one or the other.

``--create-database`` only creates the configured database when it does not exist
(``make bench``) and exits.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Max, Min
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment import selectors
from enrollment.demo import SIZES
from enrollment.models import Employment, InsuredPerson
from pension.changelog import object_type_of
from pension.choices import Role
from pension.demo import PROVINCES
from pension.models import Agency, ChangeLogEntry, StaffUser

GOAL_P95_MS = 100.0


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def person_page_reads(user: StaffUser, pk: int) -> tuple[InsuredPerson, list, list]:
    """What the person page reads from registration: the person (scoped to the user),
    the employment history, the change-log entries about the person."""
    person = selectors.person_get(user, pk)
    employments = list(selectors.person_employments(person))
    history = list(
        ChangeLogEntry.objects.filter(object_type=object_type_of(person), object_id=str(person.pk))
        .exclude(action="read")
        .order_by("-id")[:100]
    )
    return person, employments, history


class Command(BaseCommand):
    help = "Measure search by ID number and the person page on a sample of insured people."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sample", type=int, default=1000, help="people to sample")
        parser.add_argument("--seed", type=int, default=1, help="seed of the sample")
        parser.add_argument("--warmup", type=int, default=20, help="requests not counted")
        parser.add_argument("--profile", choices=sorted(PROVINCES), default="shanxi")
        parser.add_argument("--username", default="", help="default: u<province>_caseworker")
        parser.add_argument(
            "--mode",
            choices=["auto", "urls", "selectors"],
            default="auto",
            help="auto: the URLs when they answer, else the selectors",
        )
        parser.add_argument(
            "--scale",
            choices=sorted(SIZES),
            default="",
            help="refuse to run unless the demo was loaded at this scale",
        )
        parser.add_argument(
            "--create-database",
            action="store_true",
            help="create the configured database if it does not exist, then exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["create_database"]:
            self._create_database()
            return
        people_total = InsuredPerson.objects.count()
        if people_total == 0:
            raise CommandError("no insured people: load the demo first (manage.py load_demo)")
        scale = options["scale"]
        loaded = ChangeLogEntry.objects.filter(object_type="enrollment.demo")
        if scale and not loaded.filter(object_id=scale).exists():
            found = ", ".join(loaded.values_list("object_id", flat=True)) or "none"
            raise CommandError(
                f"the database does not hold the demo at scale {scale} (found: {found}): "
                "drop it and load the demo again"
            )
        user = self._caseworker(options["profile"], options["username"])
        sample = self._sample(options["sample"], options["seed"])
        employments_total = Employment.objects.count()
        self.stdout.write(
            f"database {connection.settings_dict['NAME']}: {people_total} people, "
            f"{employments_total} employments; sample {len(sample)} (seed {options['seed']}); "
            f"user {user.username}; DEBUG={settings.DEBUG}"
        )
        if settings.DEBUG:
            self.stderr.write("note: DEBUG is on (queries are logged); run with DEBUG=0")

        client = Client(HTTP_HOST=self._host())
        client.force_login(user)
        mode = options["mode"]
        if mode == "auto":
            reason = self._urls_answer(client, sample[0])
            mode = "urls" if reason is None else "selectors"
            if reason:
                self.stdout.write(f"the pages do not answer yet ({reason}): measuring selectors")
        if mode == "urls":
            search_url = reverse("enrollment:person_search")
            self.stdout.write(
                f"measured: GET {search_url}?q=<id_number> and GET "
                f"{reverse('enrollment:person_detail', args=[0]).replace('/0/', '/<pk>/')} "
                "through django.test.Client (in-process server time)"
            )
            search, page = self._url_calls(client, search_url)
        else:
            self.stdout.write(
                "measured: SELECTORS, not pages: enrollment.selectors.person_search(user, "
                "id_number) and person_page_reads (person, employments, change log)"
            )
            search, page = self._selector_calls(user)

        for pk, number in sample[: options["warmup"]]:
            search(pk, number)
            page(pk, number)
        timings: dict[str, list[float]] = {"search by ID": [], "person page": []}
        for pk, number in sample:
            for label, call in (("search by ID", search), ("person page", page)):
                started = time.perf_counter()
                call(pk, number)
                timings[label].append((time.perf_counter() - started) * 1000)
        queries = {}
        probe_pk, probe_number = sample[-1]
        for label, call in (("search by ID", search), ("person page", page)):
            with CaptureQueriesContext(connection) as captured:
                call(probe_pk, probe_number)
            queries[label] = len(captured.captured_queries)

        self.stdout.write(
            f"{'what':<14} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'queries':>8}"
        )
        for label, values in timings.items():
            ordered = sorted(values)
            self.stdout.write(
                f"{label:<14} {len(ordered):>6} {percentile(ordered, 50):>8.1f} "
                f"{percentile(ordered, 95):>8.1f} {percentile(ordered, 99):>8.1f} "
                f"{ordered[-1]:>8.1f} {queries[label]:>8}"
            )
        p95 = percentile(sorted(timings["person page"]), 95)
        verdict = "meets" if p95 < GOAL_P95_MS else "MISSES"
        self.stdout.write(
            f"person page p95 {p95:.1f} ms {verdict} the goal of {GOAL_P95_MS:.0f} ms "
            f"({mode}; milliseconds)"
        )

    # --- setting up ----------------------------------------------------------------------

    def _create_database(self) -> None:
        import psycopg2
        from psycopg2 import sql

        db = connection.settings_dict
        conn = psycopg2.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
                if cursor.fetchone() is None:
                    cursor.execute(
                        sql.SQL("CREATE DATABASE {} ENCODING 'UTF8'").format(
                            sql.Identifier(db["NAME"])
                        )
                    )
                    self.stdout.write(f"database {db['NAME']} created")
                else:
                    self.stdout.write(f"database {db['NAME']} exists")
        finally:
            conn.close()

    def _host(self) -> str:
        for host in settings.ALLOWED_HOSTS:
            if host and host != "*" and not host.startswith("."):
                return host
        return "localhost"

    def _caseworker(self, profile: str, username: str) -> StaffUser:
        code = PROVINCES[profile]
        users = StaffUser.objects.select_related("agency__region")
        if username:
            try:
                return users.get(username=username)
            except StaffUser.DoesNotExist:
                raise CommandError(f"no user {username}") from None
        user = users.filter(username=f"u{code}_caseworker", is_active=True).first()
        if user is None:
            user = (
                users.filter(
                    agency__region_id=code, roles__contains=[Role.CASEWORKER], is_active=True
                )
                .order_by("username")
                .first()
            )
        if user is None:
            agency = Agency.objects.filter(region_id=code).order_by("code").first()
            if agency is None:
                raise CommandError(f"no agency for province {code}: load the demo first")
            user = StaffUser(
                username="bench_caseworker",
                full_name="基准测试",
                agency=agency,
                roles=[Role.CASEWORKER],
            )
            user.set_unusable_password()
            user.save()
            self.stdout.write(f"created user {user.username} (caseworker, {agency.name})")
        return user

    def _sample(self, size: int, seed: int) -> list[tuple[int, str]]:
        """``size`` distinct people drawn at random (ids are dense: draw ids, keep hits)."""
        rng = random.Random(seed)
        bounds = InsuredPerson.objects.aggregate(low=Min("id"), high=Max("id"))
        low, high = bounds["low"], bounds["high"]
        size = min(size, InsuredPerson.objects.count())
        found: dict[int, str] = {}
        while len(found) < size:
            wanted = {rng.randint(low, high) for _ in range(2 * (size - len(found)))}
            wanted -= set(found)
            rows = InsuredPerson.objects.filter(id__in=wanted).values_list("id", "id_number")
            for pk, number in rows.order_by("id"):
                if len(found) < size:
                    found[pk] = number
        sample = sorted(found.items())
        rng.shuffle(sample)
        return sample

    # --- what is measured ------------------------------------------------------------------

    def _urls_answer(self, client: Client, probe: tuple[int, str]) -> str | None:
        """None when both pages answer 200 for ``probe``; else why not."""
        pk, number = probe
        try:
            search_url = reverse("enrollment:person_search")
            detail_url = reverse("enrollment:person_detail", args=[pk])
            for url, params in ((search_url, {"q": number}), (detail_url, None)):
                response = client.get(url, params)
                if response.status_code != 200:
                    return f"GET {url} answered {response.status_code}"
            if detail_url.encode() not in client.get(search_url, {"q": number}).content:
                return f"the search page for {number} does not link to {detail_url}"
        except Exception as error:  # a page under construction may fail in any way
            return f"{type(error).__name__}: {error}"
        return None

    def _url_calls(
        self, client: Client, search_url: str
    ) -> tuple[Callable[[int, str], None], Callable[[int, str], None]]:
        detail = reverse("enrollment:person_detail", args=[0]).replace("/0/", "/{}/")

        def search(pk: int, number: str) -> None:
            response = client.get(search_url, {"q": number})
            if response.status_code != 200:
                raise CommandError(f"search for {number} answered {response.status_code}")

        def page(pk: int, number: str) -> None:
            response = client.get(detail.format(pk))
            if response.status_code != 200:
                raise CommandError(f"person page {pk} answered {response.status_code}")

        return search, page

    def _selector_calls(
        self, user: StaffUser
    ) -> tuple[Callable[[int, str], None], Callable[[int, str], None]]:
        def search(pk: int, number: str) -> None:
            found = list(selectors.person_search(user, number))
            if [p.pk for p in found] != [pk]:
                raise CommandError(f"search for {number} did not find person {pk}")

        def page(pk: int, number: str) -> None:
            person_page_reads(user, pk)

        return search, page
