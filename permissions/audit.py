"""The acting organisation in every audit log entry about a mikromerit.

Wagtail writes its own log entries for a snippet's life (``wagtail.create``,
``wagtail.edit``, ``wagtail.publish``, locking, reverting, deleting) with the
acting user but nothing about the organisation the user acted for. Only the
owner organisation's representatives may do any of those things to a
mikromerit, so the owner is the acting organisation; it is added to the entry's
data as it is saved, in the same shape the portal's own entries use
(``{"acting_organisation": {"id": ..., "orgnr": ...}}``). Entries that already
name one (issuing rights, issuance) are left as they are.

Connected from ``permissions.wagtail_hooks``, which Wagtail imports before it
writes any log entry (the log registry is built from those hooks).
"""

from __future__ import annotations

from django.db.models.signals import pre_save
from wagtail.models import ModelLogEntry


def acting_organisation_data(organisation) -> dict:
    """The ``acting_organisation`` value of a log entry's data."""
    return {"id": organisation.pk, "orgnr": organisation.orgnr}


def add_acting_organisation(sender, instance: ModelLogEntry, **kwargs) -> None:
    from micromerits.models import Micromerit

    # Only Wagtail's own actions: the portal's actions name their organisation
    # themselves (an issuer acting on a mikromerit is not its owner).
    if instance.pk is not None or not instance.action.startswith("wagtail."):
        return
    if instance.content_type.model_class() is not Micromerit:
        return
    data = instance.data if isinstance(instance.data, dict) else {}
    if "acting_organisation" in data:
        return
    owner = (
        Micromerit.objects.filter(pk=instance.object_id)
        .select_related("owner")
        .values_list("owner__pk", "owner__orgnr")
        .first()
    )
    if owner is None:
        return
    instance.data = {**data, "acting_organisation": {"id": owner[0], "orgnr": owner[1]}}


def connect() -> None:
    pre_save.connect(
        add_acting_organisation, sender=ModelLogEntry, dispatch_uid="portal_acting_organisation"
    )
