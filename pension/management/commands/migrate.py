"""``migrate`` as the owner role (``DATABASE_OWNER_URL``): the application's role owns
no table and cannot change them (pension/dbroles.py)."""

from django.core.management.commands.migrate import Command as MigrateCommand

from pension import dbroles


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with dbroles.as_owner(options["database"]):
            return super().handle(*args, **options)
