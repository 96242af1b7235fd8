"""The worker path, for real: a Celery worker process on Redis and PostgreSQL."""

import pytest

from pension.models import Region
from pension.tasks import ping

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_runs_a_task_against_the_test_database(celery_worker, demo_tiny):
    result = ping.delay("round-trip").get(timeout=30)
    assert result["tag"] == "round-trip"
    # the worker read the same (committed) rows this test wrote
    assert result["regions"] == Region.objects.count() > 0


def test_healthz_reports_database_redis_and_worker(client, celery_worker, demo_tiny):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["ok"] is True
    assert {k: v["ok"] for k, v in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "worker": True,
    }
