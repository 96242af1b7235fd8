"""``flush`` (the tests' TRUNCATE between transactional tests) as the owner role: the
application's role may not TRUNCATE (pension/dbroles.py)."""

from django.core.management.commands.flush import Command as FlushCommand

from pension import dbroles


class Command(FlushCommand):
    def handle(self, **options):
        with dbroles.as_owner(options["database"]):
            return super().handle(**options)
