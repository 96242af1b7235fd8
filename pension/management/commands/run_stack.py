"""Run the whole stack in the foreground: web server, Celery worker and beat."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from pension import demo


class Command(BaseCommand):
    help = "Migrate, load the demo province if absent, then run web, worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--scale", choices=demo.SCALES, default="demo")
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args, addr, scale, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo:
            call_command("load_demo", scale=scale, if_absent=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        queues = ",".join(settings.CELERY_QUEUES)
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [python, "-m", "celery", "-A", "pension", "worker", "-Q", queues,
                       "-c", "2", "-l", "INFO"],
            "beat": [python, "-m", "celery", "-A", "pension", "beat", "-l", "INFO",
                     "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        }  # fmt: skip
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        self.stdout.write(self.style.SUCCESS(f"\nPension back office: http://{addr}/"))
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, role, where, full_name in demo.NAMED_USERS:
            self.stdout.write(f"  {username:<20} {role.label} ({where}) {full_name}")
        self.stdout.write("Press Ctrl-C to stop web, worker and beat.\n")

        def stop(*_):
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        try:
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping")
                        stop()
                time.sleep(1)
        except KeyboardInterrupt:
            stop()
