"""manage.py registry_checkpoint [--enqueue]

Signs the registry's current state and prints ``checkpoint <size> <root hex>``; with the
``bitcoin`` anchoring backend it also anchors that root (``anchor <network> <txid>``) and
confirms earlier anchors (``confirmed <n>``). Run it from a timer (docs/deployment.md).
``--enqueue`` queues the same job for the task workers and prints ``queued <task id>``.
Exit 1 when anchoring failed (the checkpoint is made all the same).
"""

from micromerits.management.base import InvalidInput, PortalCommand
from public_verify.anchoring import checkpoint_and_anchor


class Command(PortalCommand):
    help = "Sign a checkpoint of the registry and anchor it with the configured backend."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the job for the task workers instead"
        )

    def handle(self, *args, enqueue, **options):
        if enqueue:
            from public_verify.tasks import make_checkpoint

            result = make_checkpoint.enqueue()
            self.stdout.write(f"queued {result.id}")
            return
        run = checkpoint_and_anchor()
        self.stdout.write(f"checkpoint {run.checkpoint.size} {run.checkpoint.root}")
        if run.anchor is not None:
            self.stdout.write(f"anchor {run.anchor.network} {run.anchor.txid}")
        if run.confirmed:
            self.stdout.write(f"confirmed {run.confirmed}")
        if run.problem:
            raise InvalidInput(f"anchoring failed: {run.problem}")
