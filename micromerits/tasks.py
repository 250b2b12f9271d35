"""Background jobs of the domain: telling recipients that a mikromerit is waiting.

Run by django-tasks' database worker (``manage.py db_worker``). The e-mail
names the person and the mikromerit and nothing else personal: no
personnummer, no grade, no assessment; the rest is behind the BankID login.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from .models import Credential

logger = logging.getLogger(__name__)


def credential_notice(credential: Credential) -> EmailMessage:
    """The e-mail telling the recipient of ``credential`` that it is waiting."""
    context = {
        "first_name": credential.recipient.first_name,
        "title": credential.title,
        "issuer": credential.issuer.name,
        "login_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + settings.PORTAL_HOLDER_PATH,
    }
    with translation.override("sv"):
        subject = render_to_string("micromerits/email/credential_notice_subject.txt", context)
        body = render_to_string("micromerits/email/credential_notice.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[credential.recipient.email],
    )


@task()
def send_credential_notices(batch_id: int) -> int:
    """Send one notice per credential of issuance batch ``batch_id``; returns how many were sent."""
    credentials = (
        Credential.objects.filter(batch_id=batch_id)
        .select_related("recipient", "issuer")
        .order_by("pk")
    )
    messages = [credential_notice(credential) for credential in credentials]
    with get_connection() as connection:
        sent = connection.send_messages(messages) or 0
    # Counts only: addresses and names stay out of the logs.
    logger.info("sent %d credential notices for batch %d", sent, batch_id)
    return sent
