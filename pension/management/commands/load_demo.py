from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pension import demo


class Command(BaseCommand):
    help = "Load the demo province (regions, policy, agencies, staff, and each domain's data)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=demo.SCALES, default="demo")
        parser.add_argument("--profile", choices=sorted(demo.PROVINCES), default="shanxi")
        parser.add_argument(
            "--if-absent", action="store_true", help="do nothing when the demo is already loaded"
        )
        parser.add_argument(
            "--history-years",
            type=int,
            default=None,
            help="years of contribution history before this year (0: registers only; "
            "default 3, 1 at scale province)",
        )

    def handle(self, *args, scale, profile, if_absent, history_years, **options):
        # before touching the database: production settings never load the demo
        if not settings.DEMO_ALLOWED:
            raise CommandError(demo.DEMO_REFUSED)
        if demo.is_loaded(profile):
            if if_absent:
                self.stdout.write("demo province already loaded")
                return
            raise CommandError("the demo province is already loaded; start from an empty database")
        demo.load_demo(
            scale=scale, profile=profile, log=self.stdout.write, history_years=history_years
        )
        self.stdout.write(self.style.SUCCESS(f"demo province loaded ({profile}, scale {scale})"))
