"""manage.py issue_credentials MICROMERIT_ID PATH --user USERNAME --identity-check TEXT --assessment TEXT

Prints one line per credential, in the file's order:
``credential <public id> <absolute verification URL>``. Exit 1 with every
problem on stderr and nothing saved.
"""

from pathlib import Path

from django.utils import timezone

from micromerits.issuance import IssuanceRefused, credentials_issue
from micromerits.management.base import InvalidInput, PortalCommand, get_user_or_fail
from micromerits.models import IssuanceBatch, Micromerit
from micromerits.recipient_list import read_recipient_list
from micromerits.selectors import issuing_organisations_for, verification_url
from micromerits.spreadsheet import WorkbookError


class Command(PortalCommand):
    help = "Issue a mikromerit to everyone in a recipient list (.xlsx or .csv): all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("micromerit_id", type=int)
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="an issuer representative")
        parser.add_argument("--identity-check", required=True, help="how identity was checked")
        parser.add_argument("--assessment", required=True, help="how the competence was assessed")
        parser.add_argument(
            "--organisation",
            help="the issuing organisation's orgnr, when the user issues for several",
        )

    def handle(self, *args, micromerit_id, path, user, identity_check, assessment, **options):
        by = get_user_or_fail(user)
        micromerit = Micromerit.objects.filter(pk=micromerit_id).first()
        if micromerit is None:
            raise InvalidInput(f"no micromerit with id {micromerit_id}")
        organisations = issuing_organisations_for(by, micromerit)
        if options.get("organisation"):
            organisations = organisations.filter(orgnr=options["organisation"])
        if not organisations:
            raise InvalidInput(
                f"user {user!r} represents no organisation that may issue micromerit {micromerit_id}"
            )
        if len(organisations) > 1:
            raise InvalidInput(
                "the user issues for several organisations; name one with --organisation"
            )
        file = Path(path)
        if not file.is_file():
            raise InvalidInput(f"no such file: {path}")
        try:
            recipients = read_recipient_list(
                file.read_bytes(),
                filename=file.name,
                today=timezone.localdate(),
                grades=micromerit.grades,
                default_identity_check=identity_check,
                default_assessment=assessment,
            )
            credentials = credentials_issue(
                micromerit=micromerit,
                organisation=organisations[0],
                rows=recipients,
                by=by,
                source=IssuanceBatch.Source.COMMAND,
                filename=file.name,
            )
        except WorkbookError as error:
            raise InvalidInput(error.problems) from error
        except IssuanceRefused as refusal:
            raise InvalidInput(refusal.message) from refusal
        for warning in recipients.warnings:
            self.stderr.write(f"warning: {warning}")
        for credential in credentials:
            self.stdout.write(f"credential {credential.public_id} {verification_url(credential)}")
