"""manage.py micromerit_template PATH — write the blank mikromerit workbook."""

from micromerits.excel import write_micromerit_template
from micromerits.management.base import InvalidInput, PortalCommand


class Command(PortalCommand):
    help = "Write the blank mikromerit Excel template (with drop-down lists and help text)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            write_micromerit_template(path)
        except OSError as exc:
            raise InvalidInput(f"cannot write {path}: {exc.strerror}") from exc
        self.stdout.write(f"template {path}")
