"""manage.py export_credential ID --format json|pdf --out PATH

Writes an issued credential (``ID`` is its public id, as in its verification URL) to ``PATH``:
``json`` is the offline-verifiable bundle (``public_verify.export``), checked by
``verify_credential``; ``pdf`` is the certificate (``micromerits.certificate``). Prints
``exported <id> <path>``. Exit 1 for an unknown id or an unwritable path.
"""

from pathlib import Path

from micromerits.certificate import certificate_pdf
from micromerits.management.base import InvalidInput, PortalCommand
from micromerits.models import Credential
from public_verify.export import NotRegistered, bundle_json, credential_bundle


class Command(PortalCommand):
    help = "Export an issued credential as an offline-verifiable JSON bundle or a PDF certificate."

    def add_arguments(self, parser):
        parser.add_argument("id", help="the credential's public id (as in its verification URL)")
        parser.add_argument("--format", choices=["json", "pdf"], default="json")
        parser.add_argument("--out", required=True, help="the file to write")

    def handle(self, *args, id, format, out, **options):
        credential = Credential.objects.filter(public_id=id).first()
        if credential is None:
            raise InvalidInput(f"no credential with id {id}")
        if format == "pdf":
            content = certificate_pdf(credential)
        else:
            try:
                content = bundle_json(credential_bundle(credential)).encode("utf-8")
            except NotRegistered as exc:
                raise InvalidInput(str(exc)) from exc
        path = Path(out)
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise InvalidInput(f"cannot write {out}: {exc.strerror}") from exc
        self.stdout.write(f"exported {credential.public_id} {path}")
