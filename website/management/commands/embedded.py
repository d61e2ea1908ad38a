"""Start, stop or report the embedded PostgreSQL and Redis."""

from django.core.management.base import BaseCommand

from website import embedded


class Command(BaseCommand):
    help = "Start, stop or show the embedded PostgreSQL and Redis under var/."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args, action, **options):
        base = embedded.var_dir()
        wanted = embedded.wanted_services()
        services = {
            "postgres": embedded.EmbeddedPostgres(base),
            "redis": embedded.EmbeddedRedis(base),
        }
        for name, service in services.items():
            if not wanted[name]:
                self.stdout.write(f"{name}: external (URL set in the environment)")
                continue
            if action == "start":
                started = service.start()
                self.stdout.write(
                    f"{name}: {'started' if started else 'already running'}"
                )
            elif action == "stop":
                stopped = service.stop()
                self.stdout.write(
                    f"{name}: {'stopped' if stopped else 'was not running'}"
                )
            else:
                state = (
                    f"running (pid {service.pid()})"
                    if service.is_running()
                    else "stopped"
                )
                self.stdout.write(f"{name}: {state}")
