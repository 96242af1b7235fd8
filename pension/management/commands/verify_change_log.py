from django.core.management.base import BaseCommand, CommandError

from pension.changelog import verify_chain


class Command(BaseCommand):
    help = "Walk the change log's hash chain and name the first entry that does not verify."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"change log entry {report.first_bad_id} does not verify: {report.problem} "
                f"({report.checked} entries before it verified)"
            )
        self.stdout.write(self.style.SUCCESS(f"change log verified: {report.checked} entries"))
