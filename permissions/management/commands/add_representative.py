"""manage.py add_representative USERNAME ORGNR --role admin|creator|issuer [--email E] [--password P]."""

from django.contrib.auth import get_user_model
from django.db import transaction

from micromerits.identity import InvalidIdentityNumber, normalise_orgnr
from micromerits.management.base import InvalidInput, PortalCommand
from micromerits.models import Organisation
from permissions.models import Role
from permissions.services import representative_add


class Command(PortalCommand):
    help = "Make a user (created if needed) a representative of an organisation in a role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("orgnr")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--password")

    @transaction.atomic
    def handle(self, *args, username, orgnr, role, email="", password=None, **options):
        try:
            organisation = Organisation.objects.get(orgnr=normalise_orgnr(orgnr))
        except InvalidIdentityNumber as exc:
            raise InvalidInput(f"invalid organisationsnummer: {exc}") from exc
        except Organisation.DoesNotExist as exc:
            raise InvalidInput(f"no organisation {orgnr}; add it with add_organisation") from exc
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if email and user.email != email:
            user.email = email
        if password:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        representative_add(user=user, organisation=organisation, role=role)
        self.stdout.write(f"representative {username} {organisation.orgnr} {role}")
