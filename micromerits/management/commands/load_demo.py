"""manage.py load_demo — the demo: organisations, their representatives, four published mikromeriter
and the credentials of the demo recipient lists.

Idempotent: running it again changes nothing and prints the same logins.
"""

import csv
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from micromerits import services
from micromerits.excel import read_micromerit_workbook
from micromerits.issuance import credentials_issue
from micromerits.management.base import PortalCommand
from micromerits.models import IssuanceBatch, Micromerit
from micromerits.recipient_list import read_recipient_list
from permissions.models import Role
from permissions.services import representative_add
from public_verify.registry import checkpoint_make

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
DEMO_PASSWORD = "mikromerit-demo"  # noqa: S105 - printed on purpose, demo only
#: Demo recipient lists and the mikromerit workbook each is issued from.
DEMO_RECIPIENT_LISTS = {
    "fasadmalning-mottagare.xlsx": "fasadmalning.xlsx",
    "kundmote-mottagare.csv": "kundmote-i-butik.xlsx",
}
ROLE_SUFFIX = {Role.ADMIN: "admin", Role.CREATOR: "skapare", Role.ISSUER: "utfardare"}


def demo_username(organisation_name: str, role: str) -> str:
    return f"{slugify(organisation_name.split()[0])}-{ROLE_SUFFIX[role]}"


class Command(PortalCommand):
    help = "Load the demo organisations, representatives and mikromeriter (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        logins = []
        with open(DEMO_DIR / "organisations.csv", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        creators = {}
        for row in rows:
            organisation, _created = services.organisation_add(
                orgnr=row["organisationsnummer"],
                name=row["namn"],
                kind=row["typ"],
                country_region=row["land_region"],
            )
            for role in Role.values:
                username = demo_username(organisation.name, role)
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"email": f"{username}@example.se", "first_name": username},
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                representative_add(user=user, organisation=organisation, role=role)
                logins.append((username, organisation.name, Role(role).label))
                if role == Role.CREATOR:
                    creators[organisation.orgnr] = user

        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_superuser": True, "is_staff": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()

        for path in sorted(DEMO_DIR.glob("*.xlsx")):
            if path.name.endswith("-mottagare.xlsx"):
                continue
            data = read_micromerit_workbook(path.read_bytes())
            if Micromerit.objects.filter(title=data.title, owner__orgnr=data.owner_orgnr).exists():
                continue
            micromerit = services.micromerit_import(
                data=data, by=creators[data.owner_orgnr], publish=True
            )
            self.stdout.write(f"micromerit {micromerit.pk} {micromerit.title}")

        self._issue_demo_lists()

        base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write(f"Log in at {base}/admin/ with password {DEMO_PASSWORD!r} as:")
        self.stdout.write("  admin  (superuser)")
        for username, organisation, role in logins:
            self.stdout.write(f"  {username:<28} {role} – {organisation}")

    def _issue_demo_lists(self) -> None:
        """Issue each demo recipient list once, then sign a checkpoint.

        The issuer is the demo issuer of the first organisation holding a right to
        it. A mikromerit that has credentials already is skipped, so a second
        run issues nothing.
        """
        User = get_user_model()
        for list_name, workbook_name in DEMO_RECIPIENT_LISTS.items():
            path = DEMO_DIR / list_name
            data = read_micromerit_workbook((DEMO_DIR / workbook_name).read_bytes())
            micromerit = Micromerit.objects.get(title=data.title, owner__orgnr=data.owner_orgnr)
            if micromerit.credentials.exists():
                continue
            right = micromerit.issuing_rights.active().select_related("organisation").first()
            issuer = User.objects.get(username=demo_username(right.organisation.name, Role.ISSUER))
            rows = read_recipient_list(
                path.read_bytes(),
                filename=path.name,
                today=timezone.localdate(),
                grades=micromerit.grades,
                default_identity_check="Legitimation kontrollerad på plats (demo)",
                default_assessment="Praktiskt prov bedömt av handledare (demo)",
            )
            credentials = credentials_issue(
                micromerit=micromerit,
                organisation=right.organisation,
                rows=rows,
                by=issuer,
                source=IssuanceBatch.Source.COMMAND,
                filename=path.name,
            )
            self.stdout.write(f"issued {len(credentials)} × {micromerit.title}")
        checkpoint = checkpoint_make()
        self.stdout.write(f"checkpoint {checkpoint.size} {checkpoint.root}")
