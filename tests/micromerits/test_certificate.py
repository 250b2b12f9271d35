"""The PDF certificate: embedded font, Swedish text, no personnummer, a QR code that verifies, cache."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import zxingcpp
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from micromerits import crypto
from micromerits.certificate import (
    FONT_DIR,
    certificate_pdf,
    certificate_render,
    certificate_storage_name,
)
from micromerits.selectors import verification_url
from public_verify.registry import checkpoint_make
from tests.micromerits.holder_helpers import SOFIA

#: The holder-side fixtures (credential, other_credential, media_root).
pytest_plugins = ["tests.micromerits.holder_fixtures"]


def write_pdf(tmp_path: Path, pdf: bytes) -> Path:
    path = tmp_path / "intyg.pdf"
    path.write_bytes(pdf)
    return path


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_the_font_is_embedded(credential, tmp_path):
    path = write_pdf(tmp_path, certificate_pdf(credential))

    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]

    dejavu = [line.split() for line in fonts if "DejaVuSans" in line]
    assert dejavu, fonts
    for columns in dejavu:
        # name type encoding emb sub uni object-id generation
        assert columns[-5] == "yes"  # embedded


def test_the_font_ships_with_its_licence():
    assert (FONT_DIR / "DejaVuSans.ttf").stat().st_size > 100_000
    assert "Bitstream" in (FONT_DIR / "LICENSE-DejaVu.txt").read_text()


def test_the_text_extracts_with_swedish_letters_and_the_holder_but_no_personnummer(
    credential, tmp_path
):
    text = pdf_text(write_pdf(tmp_path, certificate_pdf(credential)))
    flat = " ".join(text.split())

    assert "Fasadmålning med silikat- och linoljefärg" in flat
    assert "Sofia Åkesson" in flat
    assert "född 1890-01-07" in flat
    assert "Norrbyggs Måleri AB" in flat  # issuer
    assert "Fasadbranschens Yrkesråd" in flat  # creator (owner)
    for outcome in credential.content["learning_outcomes"]:
        assert " ".join(outcome["sentence"].split()) in flat
    assert "Körkort kontrollerat på plats" in flat
    assert "Bäst före" in flat
    assert "SeQF 4" in flat
    for letter in "åäöÅÄÖ":
        assert letter in text or letter.lower() in text
    digits = "".join(ch for ch in text if ch.isdigit())
    for form in (SOFIA, SOFIA[2:], f"{SOFIA[:8]}-{SOFIA[8:]}", f"{SOFIA[2:8]}-{SOFIA[8:]}"):
        assert form not in text
    assert SOFIA not in digits and SOFIA[2:] not in digits


def test_the_qr_code_leads_to_the_verification_page_saying_genuine(client, credential, tmp_path):
    checkpoint_make()  # the registry's next signed checkpoint covers the new credential
    path = write_pdf(tmp_path, certificate_pdf(credential))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
    )
    [image] = tmp_path.glob("page*.png")

    [barcode] = zxingcpp.read_barcodes(Image.open(image))

    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text == verification_url(credential)
    url = urlsplit(barcode.text)
    response = client.get(url.path, follow=True)
    assert response.status_code == 200
    assert response.context["credential"].pk == credential.pk
    assert response.context["verdict"].genuine
    page = response.content.decode()
    assert "verdict-answer--yes" in page
    assert credential.public_id in page


def test_the_certificate_is_rendered_once_and_cached_encrypted(credential):
    name = certificate_storage_name(credential)
    assert not default_storage.exists(name)

    first = certificate_pdf(credential)

    assert default_storage.exists(name)
    stored = default_storage.open(name).read()
    assert not stored.startswith(b"%PDF")  # personal data at rest is encrypted
    assert b"kesson" not in stored
    assert crypto.keyring().fernet.decrypt(stored) == first
    assert credential.public_id not in name  # the public id does not locate the file
    # Put a marker in the cache: a second call that returns it has read the cache, not rendered.
    marker = first + b"\n% cached\n"
    default_storage.delete(name)
    default_storage.save(name, ContentFile(crypto.keyring().fernet.encrypt(marker)))

    assert certificate_pdf(credential) == marker
    assert certificate_pdf(credential) == marker


def test_a_fresh_render_is_a_real_a4_pdf(credential):
    pdf = certificate_render(credential)

    assert pdf.startswith(b"%PDF")
    # A4 portrait in points: 595.27 × 841.89.
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf
