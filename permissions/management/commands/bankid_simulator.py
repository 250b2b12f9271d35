"""manage.py bankid_simulator — the local BankID stand-in for development, tests and the demo.

Serves ``permissions.bankid.simulator`` (RP API v6 at ``/rp/v6.0/`` and the
page playing the BankID app at ``/``) until Ctrl-C. It refuses to run with
production settings, or whenever DEBUG is off and the portal is not configured
for the simulator: a simulator that anyone could log in through must never sit
beside a real portal. It listens on the loopback interface only.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from micromerits.management.base import InvalidInput, PortalCommand
from permissions.bankid.simulator import BankIDSimulator, load_identities, serve_in_thread

DEFAULT_IDENTITIES = Path(settings.BASE_DIR) / "fixtures" / "demo" / "bankid-identities.csv"


def simulator_refusal() -> str | None:
    """Why the simulator must not run with the current settings, or None."""
    module = getattr(settings, "SETTINGS_MODULE", "") or ""
    if module.endswith(".production"):
        return "The BankID simulator refuses to run with production settings."
    if not settings.DEBUG and settings.PORTAL_BANKID_ENVIRONMENT != "simulator":
        return (
            "The BankID simulator refuses to run: DEBUG is off and "
            f"PORTAL_BANKID_ENVIRONMENT is {settings.PORTAL_BANKID_ENVIRONMENT!r}."
        )
    return None


class Command(PortalCommand):
    help = "Run the BankID simulator (RP API v6 and a page playing the BankID app)."
    # The simulator needs neither the database nor the portal's checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        default_port = urlsplit(settings.PORTAL_BANKID_SIMULATOR_URL).port or 8001
        parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
        parser.add_argument("--port", type=int, default=default_port)
        parser.add_argument(
            "--expiry",
            type=float,
            default=30.0,
            help="seconds before an order nobody finished fails with expiredTransaction",
        )
        parser.add_argument(
            "--identities",
            type=Path,
            default=DEFAULT_IDENTITIES,
            help="CSV of test people (personnummer,fornamn,efternamn)",
        )

    def handle(self, *args, host, port, expiry, identities, **options):
        refusal = simulator_refusal()
        if refusal:
            raise InvalidInput(refusal)
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise InvalidInput(f"The BankID simulator listens on loopback only, not {host!r}.")
        if expiry <= 0:
            raise InvalidInput("--expiry must be more than 0 seconds.")
        try:
            people = load_identities(identities)
        except (OSError, KeyError, UnicodeDecodeError) as error:
            raise InvalidInput(f"Cannot read the identities file {identities}: {error}") from None
        if not people:
            raise InvalidInput(f"The identities file {identities} has no people.")
        simulator = BankIDSimulator(identities=people, expiry_seconds=expiry)
        try:
            running = serve_in_thread(simulator, host=host, port=port)
        except OSError as error:
            raise InvalidInput(f"Cannot listen on {host}:{port}: {error}") from None
        self.stdout.write(
            f"BankID simulator at {running.url}/ (the app page); RP API at "
            f"{running.url}/rp/v6.0/ — {len(people)} test people, orders expire after "
            f"{expiry:g} s. Ctrl-C stops it."
        )
        self.stdout.flush()
        try:
            running.thread.join()
        except KeyboardInterrupt:
            pass
        finally:
            running.stop()
