from django.core.management.base import BaseCommand, CommandError

from pension.anchor import anchor_write, verify_anchor
from pension.changelog import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the change log's hash chain and name the first entry that does not verify; "
        "compare the table with the latest signed anchor (pension/anchor.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor", action="store_true", help="write an anchor now (after verifying)"
        )

    def handle(self, *args, anchor=False, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"change log entry {report.first_bad_id} does not verify: {report.problem} "
                f"({report.checked} entries before it verified)"
            )
        anchored = verify_anchor()
        if not anchored.ok:
            raise CommandError(f"change log does not match its latest anchor: {anchored.problem}")
        where = (
            f"; latest anchor (entry {anchored.anchor['last_id']}, {anchored.anchor['at']}) holds"
            if anchored.anchor
            else "; no anchor yet"
        )
        self.stdout.write(
            self.style.SUCCESS(f"change log verified: {report.checked} entries{where}")
        )
        if anchor:
            record = anchor_write()
            self.stdout.write(f"anchor written: entry {record['last_id']}")
