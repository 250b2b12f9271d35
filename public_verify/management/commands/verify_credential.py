"""manage.py verify_credential PATH [--public-key HEX]

Checks an exported credential bundle offline (``public_verify.offline``): no server and no
database are asked. Prints one line per check, ``ok <check>`` or ``FAIL <check>: <reason>``,
and exits 0 only when every check passed, 1 otherwise (also for a file that is not a bundle).

Whose key to trust: ``--public-key`` (hex, as the portal publishes it); without it, this
installation's own signing key. A bundle signed by any other key fails the ``key`` check.
"""

from pathlib import Path

from micromerits.management.base import InvalidInput, PortalCommand
from public_verify.offline import MAX_BUNDLE_BYTES, all_passed, verify_bundle


class Command(PortalCommand):
    help = "Verify an exported credential bundle offline; one line per check."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--public-key",
            help="the portal's Ed25519 public key in hex (default: this installation's key)",
        )

    def handle(self, *args, path, public_key, **options):
        if public_key is not None:
            try:
                trusted = bytes.fromhex(public_key)
            except ValueError as exc:
                raise InvalidInput("--public-key must be hexadecimal") from exc
            if len(trusted) != 32:
                raise InvalidInput("--public-key must be 32 bytes (64 hex digits)")
        else:
            from public_verify.signing import signer

            trusted = signer().public_key
        file = Path(path)
        try:
            if file.stat().st_size > MAX_BUNDLE_BYTES:
                raise InvalidInput(f"{path} is larger than {MAX_BUNDLE_BYTES} bytes")
            data = file.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
        checks = verify_bundle(data, trusted_keys=[trusted])
        for check in checks:
            self.stdout.write(check.line())
        if not all_passed(checks):
            raise InvalidInput(f"{path}: the credential did not verify")
