"""manage.py export_micromerit ID PATH — the mikromerit's latest content in the template's layout."""

from micromerits import services
from micromerits.excel import micromerit_data_from_instance, write_micromerit_workbook
from micromerits.management.base import InvalidInput, PortalCommand
from micromerits.models import Micromerit


class Command(PortalCommand):
    help = "Export a mikromerit (its latest revision) to the Excel template's layout."

    def add_arguments(self, parser):
        parser.add_argument("id", type=int)
        parser.add_argument("path")

    def handle(self, *args, id, path, **options):
        micromerit = Micromerit.objects.filter(pk=id).first()
        if micromerit is None:
            raise InvalidInput(f"no micromerit with id {id}")
        latest = micromerit.get_latest_revision_as_object()
        data = micromerit_data_from_instance(latest, services.micromerit_issuer_refs(micromerit))
        try:
            write_micromerit_workbook(data, path)
        except OSError as exc:
            raise InvalidInput(f"cannot write {path}: {exc.strerror}") from exc
        self.stdout.write(f"exported {micromerit.pk} {path}")
