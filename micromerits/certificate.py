"""The PDF certificate of an issued credential: rendered once with xhtml2pdf, then cached.

``certificate_pdf(credential)`` is what every caller uses (the holder's
download, the shared page, ``export_credential --format pdf``). The page is
``templates/micromerits/certificate.html`` on A4, in DejaVu Sans (shipped in
``micromerits/static/micromerits/fonts`` with its licence) so that å, ä, ö are
real glyphs embedded in the file. xhtml2pdf 0.2.28 confines every file a
document reads to the working directory and silently drops a font it may not
read, falling back to Helvetica without Swedish letters; the render therefore
passes a ``ResourceAccessPolicy`` whose only readable folder is the font
folder, with the network off (the QR code is inlined as a ``data:`` URI, so
nothing else is ever fetched).

A credential never changes, so its PDF never goes stale: the first render is
stored in Django's default storage (shared by every app server) and read back
afterwards. The file holds the holder's name and birth date, so it is stored
encrypted with the portal's keyring (like every other personal datum at rest)
under a name derived from the public id with a keyed hash, so knowing a
credential's public id does not locate its file. Bump ``TEMPLATE_VERSION``
when the certificate's look changes: old files are then simply never read.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import segno
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from . import crypto
from .models import Credential
from .presentation import issuance_facts, micromerit_facts, outcome_groups
from .selectors import verification_url

logger = logging.getLogger(__name__)

#: Folder of the TrueType fonts the certificate embeds (the only folder the render may read).
FONT_DIR = Path(__file__).resolve().parent / "static" / "micromerits" / "fonts"
#: Part of every cached file's name; change it when the template changes.
TEMPLATE_VERSION = 1
#: Folder in the default storage that holds rendered certificates.
CACHE_FOLDER = "certificates"
#: What the render may read: the font folder and nothing else, no network.
RESOURCE_POLICY = ResourceAccessPolicy.server(FONT_DIR, allow_remote=False)


class CertificateError(Exception):
    """xhtml2pdf could not render the certificate (a bug in the template, not bad input)."""


def certificate_context(credential: Credential) -> dict:
    """Everything the certificate template shows."""
    url = verification_url(credential)
    qr = segno.make_qr(url, error="m")
    recipient = credential.recipient
    return {
        "credential": credential,
        "content": credential.content,
        "holder_name": f"{recipient.first_name} {recipient.last_name}",
        "holder_birth_date": recipient.birth_date_text,
        "outcome_groups": outcome_groups(credential.content),
        "micromerit_facts": micromerit_facts(credential.content),
        "issuance_facts": issuance_facts(credential),
        "verification_url": url,
        "issued_on": date_format(credential.issued_on, "j F Y"),
        "qr_data_uri": qr.png_data_uri(scale=4, border=4),
        "font_regular": (FONT_DIR / "DejaVuSans.ttf").as_posix(),
        "font_bold": (FONT_DIR / "DejaVuSans-Bold.ttf").as_posix(),
    }


def certificate_render(credential: Credential) -> bytes:
    """Render the certificate now (no cache). Swedish, whatever the request's language."""
    with translation.override("sv"):
        html = render_to_string("micromerits/certificate.html", certificate_context(credential))
    started = time.perf_counter()
    result = pisa.pisaDocument(
        html,
        dest_bytes=True,
        encoding="utf-8",
        resource_policy=RESOURCE_POLICY,
        raise_exception=False,
        context_meta={
            "title": credential.title,
            "author": credential.issuer.name,
            "subject": "Mikromerit",
        },
    )
    if not isinstance(result, bytes | bytearray):
        raise CertificateError(f"certificate of credential {credential.pk} did not render")
    logger.info(
        "rendered certificate of credential %s in %.0f ms",
        credential.pk,
        (time.perf_counter() - started) * 1000,
    )
    return bytes(result)


def certificate_storage_name(credential: Credential) -> str:
    """Where the cached PDF lives in the default storage (not guessable from the public id)."""
    key = salted_hmac("micromerits.certificate", credential.public_id, algorithm="sha256")
    return f"{CACHE_FOLDER}/v{TEMPLATE_VERSION}/{key.hexdigest()}.pdf.enc"


def certificate_pdf(credential: Credential) -> bytes:
    """The credential's PDF certificate: from the cache, or rendered and cached on first use."""
    name = certificate_storage_name(credential)
    keyring = crypto.keyring()
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as file:
            try:
                return keyring.fernet.decrypt(file.read())
            except crypto.InvalidToken:
                # A key dropped without rotating the cache: render again, keep the old file.
                logger.warning("cached certificate %s unreadable, rendering again", name)
                return certificate_render(credential)
    pdf = certificate_render(credential)
    saved = default_storage.save(name, ContentFile(keyring.fernet.encrypt(pdf)))
    if saved != name:
        # Another server rendered the same certificate meanwhile; theirs is as good as ours.
        default_storage.delete(saved)
    return pdf
