"""manage.py add_organisation ORGNR NAME [--kind K] [--region R] — idempotent."""

from micromerits import services
from micromerits.identity import InvalidIdentityNumber
from micromerits.management.base import InvalidInput, PortalCommand


class Command(PortalCommand):
    help = "Create an organisation, or update the one with this organisationsnummer."

    def add_arguments(self, parser):
        parser.add_argument("orgnr", help="organisationsnummer, NNNNNN-NNNN")
        parser.add_argument("name")
        parser.add_argument("--kind", help="kind, e.g. Branschorganisation or industry_body")
        parser.add_argument("--region", help='country/region, e.g. "Sverige, Västerbotten"')

    def handle(self, *args, orgnr, name, kind=None, region=None, **options):
        if not name.strip():
            raise InvalidInput("the name must not be empty")
        try:
            organisation, created = services.organisation_add(
                orgnr=orgnr, name=name.strip(), kind=kind, country_region=region
            )
        except InvalidIdentityNumber as exc:
            raise InvalidInput(f"invalid organisationsnummer: {exc}") from exc
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        verb = "created" if created else "updated"
        self.stdout.write(f"organisation {organisation.orgnr} {verb}")
