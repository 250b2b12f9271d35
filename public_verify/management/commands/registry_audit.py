"""manage.py registry_audit

Recomputes every leaf of the registry from the stored credentials and checks every node,
checkpoint (with a consistency proof to its successor) and anchor (``public_verify.audit``).
Prints ``audited <n> leaves, <m> checkpoints, <k> anchors`` and exits 0 when all agree;
otherwise prints each mismatch on stderr, naming the credential, node or checkpoint, and exits 1.
"""

from micromerits.management.base import InvalidInput, PortalCommand
from public_verify.audit import registry_audit


class Command(PortalCommand):
    help = "Check the whole registry against the stored credentials; exit 1 naming each mismatch."

    def handle(self, *args, **options):
        problems, counts = registry_audit()
        self.stdout.write(
            f"audited {counts['leaves']} leaves, {counts['checkpoints']} checkpoints, "
            f"{counts['anchors']} anchors"
        )
        if problems:
            raise InvalidInput(problems)
