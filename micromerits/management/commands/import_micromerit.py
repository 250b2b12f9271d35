"""manage.py import_micromerit PATH --user USERNAME [--publish] — prints ``micromerit <id>``."""

from pathlib import Path

from micromerits import services
from micromerits.excel import WorkbookError
from micromerits.management.base import InvalidInput, PortalCommand, get_user_or_fail


class Command(PortalCommand):
    help = "Import a filled mikromerit workbook as a draft (or published), granting its issuers."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="a creator of the owner organisation")
        parser.add_argument("--publish", action="store_true")

    def handle(self, *args, path, user, publish=False, **options):
        by = get_user_or_fail(user)
        file = Path(path)
        if not file.is_file():
            raise InvalidInput(f"no such file: {path}")
        try:
            micromerit, data = services.micromerit_import_workbook(
                source=file.read_bytes(), by=by, publish=publish
            )
        except WorkbookError as error:
            raise InvalidInput(error.problems) from error
        for warning in data.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"micromerit {micromerit.pk}")
