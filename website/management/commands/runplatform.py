"""``make run``: the whole platform on one machine, stopped cleanly by Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from website import embedded, services

# Two workers, so a confirmation email never waits behind a bulk send's batches:
# one for everything quick (transactional mail first), one for bulk sends.
QUEUES = "transactional,default,index,periodic"
BULK_QUEUES = "bulk"


class Command(BaseCommand):
    help = (
        "Start embedded services if needed, migrate, load demo content, then run "
        "the web server, a Celery worker and Celery beat until Ctrl-C."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument(
            "--no-demo", action="store_true", help="Skip loading demo content."
        )

    def handle(self, *args, host, port, no_demo, **options):
        started = embedded.start_services()
        for service in started:
            self.stdout.write(f"Started embedded {type(service).__name__[8:]}")
        children: list[subprocess.Popen] = []
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            call_command("migrate", interactive=False, verbosity=0)
            if not no_demo:
                call_command("seed_demo", verbosity=0)
            # The search index, whole (publishing queues updates from then on).
            call_command("search_reindex", verbosity=0)
            credentials = self._admin_credentials()
            python = sys.executable
            commands = {
                "web": [python, "manage.py", "runserver", f"{host}:{port}"],
                "worker": [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "website",
                    "worker",
                    "-l",
                    "info",
                    "-Q",
                    QUEUES,
                    "-c",
                    "1",
                    "-n",
                    f"worker-{os.getpid()}@%h",
                ],
                "bulk-worker": [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "website",
                    "worker",
                    "-l",
                    "info",
                    "-Q",
                    BULK_QUEUES,
                    "-c",
                    "2",
                    "-n",
                    f"bulk-{os.getpid()}@%h",
                ],
                "beat": [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "website",
                    "beat",
                    "-l",
                    "info",
                    "-s",
                    settings.CELERY_BEAT_SCHEDULE_FILENAME,
                ],
            }
            for command in commands.values():
                children.append(
                    subprocess.Popen(  # noqa: S603 - our interpreter, fixed args
                        command,
                        cwd=settings.BASE_DIR,
                        start_new_session=True,
                    )
                )
            self._banner(host, port, credentials)
            # One heartbeat now, so /healthz shows the worker within seconds rather
            # than after beat's first minute.
            from website.tasks import heartbeat_task

            heartbeat_task.delay()
            while not stopping:
                if any(child.poll() is not None for child in children):
                    self.stderr.write("A platform process stopped; shutting down.")
                    break
                time.sleep(0.5)
        finally:
            self.stdout.write("Stopping…")
            for child in children:
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            for child in children:
                try:
                    child.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
            embedded.stop_services(started)
            self.stdout.write("Stopped everything make run started.")

    def _admin_credentials(self) -> tuple[str, str]:
        """Ensure the admin account; its password is kept in var/ so reruns print it."""
        path = embedded.var_dir() / "admin-credentials.txt"
        username = os.environ.get("ADMIN_USERNAME", "admin")
        _, password = services.ensure_admin_user(username, "admin@localhost")
        if password:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{username}\n{password}\n")
            path.chmod(0o600)
        elif path.exists():
            password = path.read_text().splitlines()[1]
        else:
            password = "(set earlier; change it with manage.py changepassword)"  # noqa: S105
        return username, password

    def _qi_lead_lines(self, url) -> list[str]:
        """The demo QI leads' logins for /qi/ (password, app key, backup codes)."""
        from qipacks.demo import demo_logins

        lines = []
        for login in demo_logins():
            lines += [
                f"  QI lead   {url}/qi/login/  (user: {login['username']}  password: "
                f"{login['password']})  at {login['organisation']}",
                *_second_factor_lines(login["totp_key"], login["backup_codes"]),
            ]
        return lines

    def _admin_second_factor(self, username) -> list[str]:
        """The admin needs a second factor too: an authenticator app with a key
        made once for this installation (kept in the database), and backup codes."""
        from django.contrib.auth import get_user_model
        from django_otp.plugins.otp_static.models import StaticToken
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from qipacks import otp

        user = get_user_model().objects.get(username=username)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=user, name=otp.APP_DEVICE_NAME, confirmed=True
            )
        codes = StaticToken.objects.filter(device__user=user, device__confirmed=True)
        if not codes.exists():
            otp.make_backup_codes(user)
        return _second_factor_lines(
            otp.key_for_typing(device),
            [
                otp.format_backup_code(code)
                for code in codes.order_by("pk").values_list("token", flat=True)
            ],
        )

    def _banner(self, host, port, credentials):
        username, password = credentials
        url = f"http://{host}:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                "\n".join(
                    [
                        "",
                        "The platform is starting:",
                        f"  site      {url}/",
                        f"  admin     {url}/admin/  (user: {username}  password: "
                        f"{password})",
                        *self._admin_second_factor(username),
                        *self._qi_lead_lines(url),
                        f"  health    {url}/healthz",
                        f"  emails    {embedded.var_dir() / 'mail'}/ (one .eml each)"
                        if "EmlFileBackend" in settings.EMAIL_BACKEND
                        else f"  emails    sent by {settings.EMAIL_BACKEND}",
                        "Press Ctrl-C to stop everything.",
                        "",
                    ]
                )
            )
        )


def _second_factor_lines(key: str, backup_codes: list[str]) -> list[str]:
    return [
        f"            authenticator key: {key}",
        "            backup codes (each works once): "
        + (", ".join(backup_codes) or "none left"),
    ]
