"""manage.py rotate_encryption_keys — re-encrypt every recipient under the newest key.

Rotation: put the new key first in PORTAL_ENCRYPTION_KEYS (keeping the old one
after it), restart, run this command, then remove the old key. See docs/security.md.
"""

from django.db import transaction

from micromerits.management.base import PortalCommand
from micromerits.models import Recipient

FIELDS = ["personnummer", "first_name", "last_name", "email"]
CHUNK = 500


class Command(PortalCommand):
    help = "Re-encrypt every recipient's personal data with the newest encryption key."

    def handle(self, *args, **options):
        done = 0
        pks = list(Recipient.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), CHUNK):
            with transaction.atomic():
                # Reading decrypts with whichever key fits; saving encrypts with the newest.
                chunk = list(
                    Recipient.objects.select_for_update().filter(pk__in=pks[start : start + CHUNK])
                )
                Recipient.objects.bulk_update(chunk, FIELDS)
                done += len(chunk)
        self.stdout.write(f"rotated {done} recipients")
