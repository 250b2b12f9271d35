"""The whole journey in a real browser, as people click it.

A creator logs in (password and TOTP) and makes a mikromerit through the
editor's four steps, choosing an issuer and publishing; the issuer's
representative logs in, uploads a recipient list and confirms; the recipient
logs in through the BankID simulator, sees the credential and downloads its
PDF; the QR code decoded from the PDF opens the public verification page,
which says the credential is genuine, and the holder check answers "stämmer"
for the right personnummer and "stämmer inte" for another. The public pages
pass axe-core.

Each step is one function below; the test calls them in order, so a broken
step fails the test at that step (with a screenshot of where it stood).
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import expect

from micromerits import crypto
from micromerits.models import Credential, Micromerit
from permissions.models import Role
from permissions.services import representative_add
from public_verify import registry
from tests.conftest import REPO_DIR, SHARED_DATA

from .support import Screenshots, axe_check

pytestmark = [
    pytest.mark.browser,
    # The server thread must see what the test writes.
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct-horse-battery"
TITLE = "Fasadmålning med silikatfärg"
#: The recipient: a test personnummer from Skatteverket's list (shared/data/testpersonnummer.csv).
RECIPIENT_PERSONNUMMER = "189001019802"
#: Another test personnummer, for the holder check's "stämmer inte".
OTHER_PERSONNUMMER = "189001029819"
#: The issuer's list: five people, Anna Lindqvist (RECIPIENT_PERSONNUMMER) first.
RECIPIENT_LIST = SHARED_DATA / "recipients" / "fasadmalning-mottagare.xlsx"
RECIPIENT_COUNT = 5


@dataclass
class Journey:
    """What the steps hand each other."""

    live_url: str
    shots: Screenshots
    people: dict
    organisations: dict
    micromerit: Micromerit | None = None
    credential_ids: list[str] = field(default_factory=list)
    bankid_url: str = ""
    pdf: Path | None = None
    verification_url: str = ""


def representative(username: str, organisation, role: str):
    User = get_user_model()
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=username.split("-")[0].title(),
        email=f"{username}@example.se",
    )
    representative_add(user=user, organisation=organisation, role=role)
    # Enrolled earlier: an authenticator app holds this device's key.
    TOTPDevice.objects.create(user=user, name="Autentiseringsapp", confirmed=True)
    return user


# --- steps -----------------------------------------------------------------


def totp_code(user) -> str:
    """The code the person's authenticator app shows now (django-otp's TOTP on the device key)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def admin_logs_in(journey: Journey, page, user, shot: str) -> None:
    """Password, then the TOTP code, as a representative with an enrolled authenticator app."""
    page.goto("/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    journey.shots(page, f"{shot}-inloggning")
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/admin/tvastegs/**")
    code = page.get_by_role("textbox", name="Kod")
    # One form: a page shown twice (e.g. the icon sprite's request answered
    # with this page) is what a person would see as broken.
    expect(code).to_have_count(1)
    code.fill(totp_code(user))
    journey.shots(page, f"{shot}-andra-faktor")
    page.get_by_role("button", name="Verifiera").click()
    # Signed in: the admin's dashboard, not the code step again.
    page.wait_for_url(re.compile(r"/admin/$"))
    journey.shots(page, f"{shot}-inloggad")


def editor_tab(page, heading: str) -> None:
    page.get_by_role("tab", name=heading).click()


def creator_creates_and_publishes(journey: Journey, page) -> None:
    """The four steps of the editor, then Publish."""
    page.goto("/admin/snippets/micromerits/micromerit/add/")
    editor_tab(page, "1 Grunduppgifter")
    page.fill("#id_title", TITLE)
    page.fill("#id_description", "Att måla fasader med silikatfärg, från underlag till finish.")
    page.fill("#id_country_region", "Sverige, Stockholm")
    page.fill("#id_keywords", "måleri, fasad, silikat")
    journey.shots(page, "skapare-steg-1")

    editor_tab(page, "2 Beskriv lärandet")
    page.get_by_role("button", name="Lägg till läranderesultat").click()
    page.select_option("#id_learning_outcomes-0-outcome_type", "skill")
    page.fill("#id_learning_outcomes-0-activity", "välja")
    page.fill("#id_learning_outcomes-0-content", "relevanta metoder och verktyg")
    page.fill("#id_learning_outcomes-0-quality_context", "för att måla fasader av puts och trä")
    journey.shots(page, "skapare-steg-2")

    editor_tab(page, "3 Omfattning och kvalitet")
    page.fill("#id_workload_hours", "40")
    page.fill("#id_seqf_level", "4")
    page.fill("#id_assessment_type", "Praktiskt prov och muntlig redovisning")
    page.select_option("#id_participation_form", "on_site")
    page.fill("#id_quality_assurance", "Bedömare certifierade av branschen")
    page.select_option("#id_supervision", "supervised_id_on_site")
    page.fill("#id_grading_scheme", "Godkänd/Underkänd")
    page.fill("#id_validity_months", "60")
    journey.shots(page, "skapare-steg-3")

    editor_tab(page, "4 Utfärdare och publicering")
    page.get_by_label(journey.organisations["issuer"].name).check()
    journey.shots(page, "skapare-steg-4")

    # The editor saves drafts by itself while one types (Wagtail's autosave),
    # sometimes, depending on timing. Like a person, pause and let a save in
    # progress finish before publishing: Publish while an autosave of the new
    # object is in flight would make two mikromeriter.
    page.wait_for_timeout(1500)
    expect(page.locator("#w-autosave-indicator")).not_to_have_attribute(
        "data-w-autosave-state-value", "saving", timeout=15_000
    )

    page.locator("footer .dropdown-toggle, footer [data-w-dropdown-target=toggle]").first.click()
    page.get_by_role("button", name="Publicera").click()
    page.wait_for_url(re.compile(r"/admin/snippets/micromerits/micromerit/$"))
    journey.shots(page, "skapare-publicerad")

    micromerit = Micromerit.objects.get(title=TITLE)
    assert micromerit.live, "the mikromerit was not published"
    assert [r.organisation for r in micromerit.issuing_rights.active()] == [
        journey.organisations["issuer"]
    ]
    journey.micromerit = micromerit


def issuer_uploads_a_recipient_list_and_confirms(journey: Journey, page) -> None:
    """Utfärda → the mikromerit → upload the list → preview → confirm."""
    page.goto("/admin/micromerits/issue/")
    row = page.locator("#issuable-micromerits tr", has_text=TITLE)
    journey.shots(page, "utfardare-utfarda")
    row.get_by_role("link", name="Ladda upp mottagarlista").click()
    page.get_by_label("Mottagarlista").set_input_files(str(RECIPIENT_LIST))
    page.get_by_label("Identitetskontroll").fill("Legitimation kontrollerad på plats")
    page.locator("#id_assessment").fill("Praktiskt prov på fasad, bedömt av certifierad bedömare")
    journey.shots(page, "utfardare-ladda-upp")
    page.get_by_role("button", name="Ladda upp och förhandsgranska").click()
    page.wait_for_load_state()
    expect(page.locator("#preview-ok")).to_be_visible()
    assert page.locator("#preview-problems").count() == 0
    journey.shots(page, "utfardare-forhandsgranskning")
    page.get_by_role("button", name=re.compile(r"^Bekräfta och utfärda")).click()
    page.wait_for_url(lambda url: "/upload/" not in url)
    journey.shots(page, "utfardare-utfardat")

    credentials = Credential.objects.filter(micromerit=journey.micromerit).order_by("pk")
    assert credentials.count() == RECIPIENT_COUNT, "not every row of the list was issued"
    assert {c.issuer for c in credentials} == {journey.organisations["issuer"]}
    journey.credential_ids = [c.public_id for c in credentials]


def registry_checkpoint_is_made(journey: Journey) -> None:
    """What the periodic checkpoint task does: sign the log's state, so the page can say genuine."""
    checkpoint = registry.checkpoint_make()
    assert checkpoint.size >= RECIPIENT_COUNT


def scan_qr_code(locator) -> str:
    """What a phone's camera reads from the QR code on screen."""
    image = Image.open(io.BytesIO(locator.screenshot()))
    codes = zxingcpp.read_barcodes(image)
    assert codes, "no QR code could be read from the screen"
    return codes[0].text


def recipient_logs_in_with_bankid(journey: Journey, page, phone) -> None:
    """The login page shows a QR code; the BankID app (the simulator's page) scans it and identifies."""
    page.goto("/mina-mikromeriter/")
    page.wait_for_url("**/logga-in/**")
    qr = page.locator("#bankid-qr")
    expect(qr).to_be_visible()
    journey.shots(page, "mottagare-bankid-qr")
    # The code changes every second and the app accepts it for a few seconds
    # only: a person whose phone was too slow scans again.
    for _attempt in range(5):
        phone.goto(journey.bankid_url + "/")
        phone.get_by_label("QR-kodens innehåll").fill(scan_qr_code(qr))
        phone.get_by_role("button", name="Skanna").click()
        if phone.get_by_role("heading", name="Legitimera dig").count():
            break
    expect(phone.get_by_role("heading", name="Legitimera dig")).to_be_visible()
    phone.get_by_label(re.compile(RECIPIENT_PERSONNUMMER)).check()
    journey.shots(phone, "mottagare-bankid-appen")
    phone.get_by_role("button", name="Legitimera").click()
    page.wait_for_url("**/mina-mikromeriter/", timeout=30_000)
    expect(page.get_by_role("heading", name="Mina mikromeriter", level=1)).to_be_visible()
    journey.shots(page, "mottagare-mina-mikromeriter")


def recipient_sees_the_credential_and_downloads_the_pdf(journey: Journey, page, folder: Path):
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    journey.shots(page, "mottagare-mikromerit")
    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner intyget (PDF)").click()
    pdf = folder / "intyg.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-"), "the certificate is not a PDF"
    journey.pdf = pdf


def qr_code_of_the_pdf_opens_the_verification_page(journey: Journey, page) -> None:
    """Render the certificate (pdftoppm), read its QR code (zxing-cpp), open what it says."""
    prefix = journey.pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(journey.pdf), str(prefix)],
        check=True,
        timeout=60,
    )
    image = Image.open(next(prefix.parent.glob(f"{prefix.name}*.png")))
    journey.shots.keep(image, "intyg-pdf")
    codes = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1, f"want one QR code on the certificate, found {len(codes)}"
    url = codes[0].text
    assert url.startswith(journey.live_url + "/verifiera/"), url
    credential = Credential.objects.get(recipient__personnummer_index=recipient_index())
    assert url.endswith(f"/{credential.public_id}/")
    page.goto(url)
    verdict = page.locator(".verdict")
    expect(verdict).to_have_class(re.compile(r"verdict--genuine"))
    expect(page.locator(".verdict-answer--yes", has_text="Äkta?")).to_contain_text(
        "finns i mikromeritregistret"
    )
    expect(page.locator(".verdict-answer--yes", has_text="Oförändrad")).to_be_visible()
    journey.shots(page, "kontroll-akta")
    journey.verification_url = url


def holder_check_answers(journey: Journey, page) -> None:
    """The verifier types the number from the ID document: right one "stämmer", another "stämmer inte"."""
    field = page.get_by_label("Personnummer från innehavarens id-handling")
    field.fill(RECIPIENT_PERSONNUMMER)
    page.get_by_role("button", name="Kontrollera").click()
    expect(page.locator(".holder-answer")).to_have_text("Stämmer.")
    assert RECIPIENT_PERSONNUMMER not in page.content(), "the page shows the personnummer"
    journey.shots(page, "kontroll-innehavare-stammer")
    page.get_by_label("Personnummer från innehavarens id-handling").fill(OTHER_PERSONNUMMER)
    page.get_by_role("button", name="Kontrollera").click()
    expect(page.locator(".holder-answer")).to_have_text("Stämmer inte.")
    journey.shots(page, "kontroll-innehavare-stammer-inte")


def public_pages_pass_axe(journey: Journey, visitor, holder) -> None:
    """No serious or critical accessibility violations on the public pages."""
    visitor.goto(journey.verification_url)
    axe_check(visitor, "verifiering")
    visitor.goto("/katalog/")
    expect(visitor.get_by_role("link", name=TITLE)).to_be_visible()
    journey.shots(visitor, "katalog")
    axe_check(visitor, "katalog")
    holder.goto("/mina-mikromeriter/")
    axe_check(holder, "mina-mikromeriter")


def recipient_index() -> str:
    return crypto.keyring().blind_index(RECIPIENT_PERSONNUMMER)


# --- fixtures and the test ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bankid_simulator(settings):
    """``manage.py bankid_simulator`` on a free loopback port, the portal pointed at it."""
    port = free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="cms.settings.test")
    env["PORTAL_BANKID_ENVIRONMENT"] = "simulator"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "bankid_simulator", "--port", str(port), "--expiry", "120"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(200):
        if process.poll() is not None:
            pytest.fail(f"the BankID simulator exited: {process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    settings.PORTAL_BANKID_ENVIRONMENT = "simulator"
    settings.PORTAL_BANKID_SIMULATOR_URL = url
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def journey(live_server, screenshots, organisations, bankid_simulator, settings):
    # Links, e-mails and QR codes carry the address the portal is served at.
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    people = {
        "creator": representative("anna-skapare", organisations["owner"], Role.CREATOR),
        "issuer": representative("ivar-utfardare", organisations["issuer"], Role.ISSUER),
    }
    return Journey(
        live_url=live_server.url,
        shots=screenshots,
        people=people,
        organisations=organisations,
        bankid_url=bankid_simulator,
    )


def test_a_mikromerit_goes_from_creator_to_issuer_to_holder_to_verifier(
    journey, new_page, tmp_path
):
    creator = new_page()
    admin_logs_in(journey, creator, journey.people["creator"], "skapare")
    creator_creates_and_publishes(journey, creator)

    issuer = new_page()
    admin_logs_in(journey, issuer, journey.people["issuer"], "utfardare")
    issuer_uploads_a_recipient_list_and_confirms(journey, issuer)
    registry_checkpoint_is_made(journey)

    recipient, phone = new_page(), new_page()
    recipient_logs_in_with_bankid(journey, recipient, phone)
    recipient_sees_the_credential_and_downloads_the_pdf(journey, recipient, tmp_path)

    verifier = new_page()
    qr_code_of_the_pdf_opens_the_verification_page(journey, verifier)
    holder_check_answers(journey, verifier)
    public_pages_pass_axe(journey, new_page(), recipient)
