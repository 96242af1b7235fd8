from django.conf import settings
from django.core.management.base import BaseCommand

from pension import runtime


class Command(BaseCommand):
    help = "Show or stop the embedded PostgreSQL and Redis (settings start them on demand)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, action, **options):
        if action == "status":
            db = settings.DATABASES["default"]
            self.stdout.write(f"database: {db['HOST']}:{db['PORT']}/{db['NAME']}")
            self.stdout.write(f"redis:    {settings.REDIS_URL}")
            self.stdout.write(f"var dir:  {runtime.VAR_DIR}")
            return
        from django.db import connections

        connections.close_all()
        stopped_redis = not settings.REDIS_URL_FROM_ENV and runtime.stop_embedded_redis()
        stopped_pg = not settings.DATABASE_URL and runtime.stop_embedded_postgres()
        self.stdout.write(
            f"embedded redis stopped: {stopped_redis}; postgres stopped: {stopped_pg}"
        )
