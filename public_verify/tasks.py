"""Background jobs of the registry: the periodic signed checkpoint and its anchor.

django-tasks has no scheduler of its own, so something must run the job on a clock: in
production a systemd timer or cron line runs ``manage.py registry_checkpoint`` (see
docs/deployment.md), which does the same work in the foreground; ``registry_checkpoint
--enqueue`` hands it to the task workers (``manage.py db_worker``) instead, which suits an
installation where only the workers may reach the Bitcoin node.
"""

from __future__ import annotations

from django_tasks import task

from .anchoring import checkpoint_and_anchor


@task()
def make_checkpoint() -> dict:
    """Sign the log's state, anchor it with the configured backend, confirm earlier anchors.

    Returns what was done (size, root, txid or None, anchors confirmed, problem or None), which
    the task queue keeps as the result. A node that cannot be reached leaves the checkpoint in
    place and is retried by the next run.
    """
    run = checkpoint_and_anchor()
    return {
        "size": run.checkpoint.size,
        "root": run.checkpoint.root,
        "txid": run.anchor.txid if run.anchor else None,
        "confirmed": run.confirmed,
        "problem": run.problem,
    }
