"""The recipient's BankID login, end to end against the BankID simulator.

A real simulator serves on a free loopback port (a thread here, a process in
the command's tests); the portal's real pybankid client talks to it over HTTP;
a real HTTP client plays the person with the BankID app on the simulator's page.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from bankid.exceptions import (
    AlreadyInProgressError,
    InvalidParametersError,
    NotFoundError,
    get_json_error_class,
)
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone, translation

from micromerits import crypto
from micromerits.issuance import credentials_issue
from micromerits.recipient_list import RecipientRow
from permissions.bankid import client as bankid
from permissions.bankid import messages
from permissions.bankid.client import BankIDRefused, PortalBankIDClient
from permissions.bankid.login import SESSION_ORDER_KEY
from permissions.bankid.simulator import BankIDSimulator, load_identities, serve_in_thread
from permissions.holder import SESSION_INDEX_KEY

REPO_DIR = Path(__file__).resolve().parents[2]
IDENTITIES = REPO_DIR / "fixtures" / "demo" / "bankid-identities.csv"
#: Test people of the simulator (from Skatteverket's published test numbers).
ANNA = "189001019802"
KARIN = "189012019809"

LOGIN, STATUS, QR, CANCEL, LOGOUT = (
    "/logga-in/",
    "/logga-in/status/",
    "/logga-in/qr/",
    "/logga-in/avbryt/",
    "/logga-ut/",
)


@pytest.fixture
def simulator(settings):
    """A BankID simulator on a free loopback port, and the portal pointed at it."""
    running = serve_in_thread(
        BankIDSimulator(identities=load_identities(IDENTITIES), expiry_seconds=30)
    )
    settings.PORTAL_BANKID_ENVIRONMENT = "simulator"
    settings.PORTAL_BANKID_SIMULATOR_URL = running.url
    yield running
    running.stop()


@pytest.fixture
def app(simulator):
    """The person's BankID app: a real HTTP client on the simulator's page."""
    with httpx.Client(base_url=simulator.url, follow_redirects=True, timeout=5) as http:
        yield http


def start_login(client, **query) -> str:
    """Open the login page; return the order's autostart token (from the page's link)."""
    response = client.get(LOGIN, query)
    assert response.status_code == 200
    match = re.search(r'href="[^"]*\?autostarttoken=([0-9a-f-]+)&amp;redirect=null"', response.text)
    assert match, "the page links to BankID on this device"
    return match.group(1)


def poll(client, **data) -> dict:
    response = client.post(STATUS, data)
    assert response.status_code == 200
    return response.json()


def is_holder(client) -> bool:
    return SESSION_INDEX_KEY in client.session


def issue_to(micromerit, organisation, by, number: str, first: str, last: str):
    row = RecipientRow(
        first_name=first,
        last_name=last,
        personnummer=number,
        email="anna@example.se",
        assessment_date=timezone.localdate() - timedelta(days=3),
        grade="Godkänd",
        best_before=None,
        comment="",
        identity_check="Körkort kontrollerat på plats",
        assessment="Praktiskt prov på arbetsplats",
        row=2,
    )
    return credentials_issue(
        micromerit=micromerit, organisation=organisation, rows=[row], by=by, source="form"
    )


# --- the page -------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_shows_the_qr_code_and_the_link_to_bankid_on_this_device(client, simulator):
    token = start_login(client)
    page = client.get(QR)  # the page's image
    html = client.get(LOGIN).content.decode()  # a second visit starts a fresh order
    order = client.session[SESSION_ORDER_KEY]

    assert page.status_code == 200 and page["Content-Type"] == "image/svg+xml"
    assert b"<svg" in page.content
    assert f'<img id="bankid-qr" src="{QR}"' in html
    assert "Öppna BankID på den här enheten" in html
    assert f"{simulator.url}/?autostarttoken={order['auto_start_token']}&amp;redirect=null" in html
    assert token != order["auto_start_token"]
    # The order stays on the server: neither its ref nor its QR secret is in the page.
    assert order["order_ref"] not in html and order["qr_start_secret"] not in html
    # Strict CSP: the script is a static file, no inline script, handler or style.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/permissions/bankid.js" defer>'
    ]
    assert "style=" not in html and " onclick=" not in html


@pytest.mark.django_db
def test_on_a_phone_the_same_device_link_comes_before_the_qr_code(client, simulator):
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
    on_phone = client.get(LOGIN, HTTP_USER_AGENT=iphone).content.decode()
    on_computer = client.get(
        LOGIN, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64)"
    ).content.decode()
    assert on_phone.index('id="bankid-autostart"') < on_phone.index('id="bankid-qr"')
    assert on_computer.index('id="bankid-qr"') < on_computer.index('id="bankid-autostart"')


def test_autostart_link_opens_the_bankid_app_outside_the_simulator(settings):
    order = bankid.Order("ref", "auto-token", "qr-token", "qr-secret", time.time())
    settings.PORTAL_BANKID_ENVIRONMENT = "test"
    assert bankid.autostart_url(order) == "bankid:///?autostarttoken=auto-token&redirect=null"


@pytest.mark.django_db
def test_qr_code_changes_every_second_and_follows_bankids_hmac_rule(client, simulator, app):
    start_login(client)
    order = client.session[SESSION_ORDER_KEY]

    def expected(second: int) -> str:
        code = hmac.new(
            order["qr_start_secret"].encode(), str(second).encode(), hashlib.sha256
        ).hexdigest()
        return f"bankid.{order['qr_start_token']}.{second}.{code}"

    def fetch() -> tuple[bytes, set[int]]:
        before = math.floor(time.time() - order["started_at"])
        body = client.get(QR).content
        after = math.floor(time.time() - order["started_at"])
        return body, set(range(before, after + 1))

    first, seconds = fetch()
    assert first in {bankid.qr_svg(expected(s)) for s in seconds}
    # Wait into the next second of the order's clock (not a timed assertion).
    time.sleep(max(0.0, order["started_at"] + max(seconds) + 1.05 - time.time()))
    second, later = fetch()
    assert second in {bankid.qr_svg(expected(s)) for s in later}
    assert second != first

    # The app (the simulator) accepts the code of this second and rejects a forged one.
    now = math.floor(time.time() - order["started_at"])
    assert app.post("/app/scan", data={"qr": expected(now)}).status_code == 200
    forged = expected(now)[:-4] + "0000"
    assert app.post("/app/scan", data={"qr": forged}).status_code == 400
    assert poll(client)["message"] == str(messages.RFA["RFA9"])


def test_qr_content_is_pybankids_animated_code():
    order = bankid.Order("ref", "auto", "qr-token", "qr-secret", time.time() - 7.5)
    content = bankid.qr_content(order)
    prefix, token, second, code = content.split(".")
    assert (prefix, token) == ("bankid", "qr-token")
    assert code == hmac.new(b"qr-secret", second.encode(), hashlib.sha256).hexdigest()
    assert int(second) in (7, 8)


# --- the whole login --------------------------------------------------------------


@pytest.mark.django_db
def test_completing_the_login_in_the_app_logs_the_person_in_and_their_page_knows_them(
    client, simulator, app, organisations, people, published_micromerit, caplog
):
    issued = issue_to(
        published_micromerit, organisations["issuer"], people["issuer"], ANNA, "Anna", "Lindqvist"
    )
    caplog.set_level(logging.DEBUG)
    token = start_login(client)
    answers = [poll(client)]

    assert app.get(f"/app/{token}").status_code == 200  # "scanned": asked to identify
    answers.append(poll(client))
    done = app.post(f"/app/{token}", data={"action": "identify", "personnummer": ANNA})
    assert "Klart" in done.text
    answers.append(poll(client))

    assert [a["status"] for a in answers] == ["pending", "pending", "complete"]
    assert answers[0]["message"] == "Starta BankID-appen."
    assert answers[1]["message"] == (
        "Skriv in din säkerhetskod i BankID-appen och välj Legitimera eller Skriv under."
    )
    assert answers[2]["redirect"] == settings.PORTAL_HOLDER_PATH
    assert is_holder(client)
    assert client.session[SESSION_INDEX_KEY] == crypto.keyring().blind_index(ANNA)
    assert SESSION_ORDER_KEY not in client.session

    page = client.get(settings.PORTAL_HOLDER_PATH)
    assert page.status_code == 200
    assert issued[0].micromerit.title in page.content.decode()
    # The personnummer went nowhere but the session's blind index.
    assert all(ANNA not in str(a) for a in answers)
    assert ANNA not in "\n".join(r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_a_person_with_nothing_issued_yet_is_logged_in_to_an_empty_list(client, simulator, app):
    token = start_login(client, next="/mina-mikromeriter/?sort=nyast")
    app.get(f"/app/{token}")
    app.post(f"/app/{token}", data={"action": "identify", "personnummer": KARIN})
    answer = poll(client)
    assert answer["status"] == "complete"
    assert answer["redirect"] == "/mina-mikromeriter/?sort=nyast"
    assert client.get(settings.PORTAL_HOLDER_PATH).status_code == 200


@pytest.mark.django_db
def test_a_next_address_on_another_site_is_ignored(client, simulator, app):
    token = start_login(client, next="https://evil.example/steal")
    app.get(f"/app/{token}")
    app.post(f"/app/{token}", data={"action": "identify", "personnummer": KARIN})
    assert poll(client)["redirect"] == settings.PORTAL_HOLDER_PATH


@pytest.mark.django_db
def test_after_pressing_open_bankid_on_this_device_the_page_says_it_is_starting_the_app(
    client, simulator
):
    start_login(client)
    assert poll(client, autostarted="1")["message"] == "Försöker starta BankID-appen."


@pytest.mark.django_db
def test_the_messages_follow_the_visitors_language(client, simulator):
    start_login(client)
    english = client.post(STATUS, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english == {"status": "pending", "message": "Start your BankID app."}
    swedish = client.post(STATUS, HTTP_ACCEPT_LANGUAGE="sv").json()
    assert swedish == {"status": "pending", "message": "Starta BankID-appen."}


@pytest.mark.django_db
def test_a_visitor_to_a_holder_page_is_sent_to_the_login_and_a_logged_in_one_past_it(
    client, simulator, app
):
    response = client.get(settings.PORTAL_HOLDER_PATH)
    assert response.status_code == 302
    assert response["Location"] == "/logga-in/?next=%2Fmina-mikromeriter%2F"

    token = start_login(client)
    app.get(f"/app/{token}")
    app.post(f"/app/{token}", data={"action": "identify", "personnummer": KARIN})
    poll(client)
    again = client.get(LOGIN)
    assert again.status_code == 302 and again["Location"] == settings.PORTAL_HOLDER_PATH


# --- cancelled, expired, refused ------------------------------------------------------


@pytest.mark.django_db
def test_cancelling_on_the_site_cancels_the_order_at_bankid_and_logs_nobody_in(
    client, simulator, app
):
    token = start_login(client)
    response = client.post(CANCEL)

    assert response.status_code == 200
    assert "Inloggningen avbröts. Du är inte inloggad." in response.content.decode()
    assert SESSION_ORDER_KEY not in client.session
    assert app.get(f"/app/{token}").status_code == 404  # gone at BankID too
    assert poll(client) == {"status": "failed", "message": str(messages.NO_ORDER)}
    assert not is_holder(client)


@pytest.mark.django_db
def test_cancelling_in_the_app_says_the_action_was_cancelled_and_logs_nobody_in(
    client, simulator, app
):
    token = start_login(client)
    app.get(f"/app/{token}")
    app.post(f"/app/{token}", data={"action": "cancel"})

    assert poll(client) == {"status": "failed", "message": "Åtgärden avbruten."}
    assert SESSION_ORDER_KEY not in client.session
    assert not is_holder(client)
    assert client.get(settings.PORTAL_HOLDER_PATH).status_code == 302


@pytest.mark.django_db
def test_an_order_nobody_finishes_expires_with_bankids_message(client, simulator, app):
    token = start_login(client)
    assert poll(client)["status"] == "pending"
    simulator.simulator.expiry_seconds = 1  # as `bankid_simulator --expiry 1`
    time.sleep(1.1)

    answer = poll(client)
    assert answer["status"] == "failed"
    assert answer["message"].startswith("BankID-appen svarar inte.")
    assert app.get(f"/app/{token}").status_code == 404  # too late to pick someone
    assert not is_holder(client) and SESSION_ORDER_KEY not in client.session


@pytest.mark.django_db
def test_a_blocked_bankid_gives_the_certificate_message(client, simulator, app):
    token = start_login(client)
    app.get(f"/app/{token}")
    app.post(f"/app/{token}", data={"action": "certificate_error"})
    answer = poll(client)
    assert answer["status"] == "failed"
    assert answer["message"].startswith(
        "Det BankID du försöker använda är för gammalt eller spärrat."
    )
    assert not is_holder(client)


@pytest.mark.django_db
def test_a_forged_or_unknown_order_ref_changes_nothing(client, simulator, app, django_app_client):
    other = django_app_client()
    their_token = start_login(other)
    their_ref = other.session[SESSION_ORDER_KEY]["order_ref"]

    # Naming someone else's order from the browser: the endpoints never read it.
    start_login(client)
    mine = client.session[SESSION_ORDER_KEY]["order_ref"]
    assert poll(client, orderRef=their_ref)["status"] == "pending"
    assert client.session[SESSION_ORDER_KEY]["order_ref"] == mine

    # An order ref BankID does not know (a tampered session): refused, nobody logged in.
    session = client.session
    session[SESSION_ORDER_KEY] = {**session[SESSION_ORDER_KEY], "order_ref": "0" * 36}
    session.save()
    assert poll(client) == {"status": "failed", "message": "Okänt fel. Försök igen."}
    assert not is_holder(client)

    # The other person's login is untouched and completes for them only.
    app.get(f"/app/{their_token}")
    app.post(f"/app/{their_token}", data={"action": "identify", "personnummer": ANNA})
    assert poll(other)["status"] == "complete"
    assert is_holder(other) and not is_holder(client)

    with pytest.raises(BankIDRefused) as refused:
        bankid.collect(order_ref=their_ref)  # answered once, then gone
    assert refused.value.error_code == "invalidParameters"


@pytest.fixture
def django_app_client():
    """A second, independent browser."""
    from django.test import Client

    return Client


@pytest.mark.django_db
def test_bankid_out_of_reach_gives_a_clear_message_and_no_order(client, settings):
    settings.PORTAL_BANKID_ENVIRONMENT = "simulator"
    settings.PORTAL_BANKID_SIMULATOR_URL = f"http://127.0.0.1:{closed_port()}"
    response = client.get(LOGIN)
    assert response.status_code == 503
    assert str(messages.NETWORK_ERROR) in response.content.decode()
    assert SESSION_ORDER_KEY not in client.session


@pytest.mark.django_db
def test_bankid_going_away_during_the_login_gives_the_network_message(client, simulator):
    start_login(client)
    simulator.stop()
    assert poll(client) == {"status": "failed", "message": str(messages.NETWORK_ERROR)}
    assert not is_holder(client)


@pytest.mark.django_db
def test_missing_certificate_files_give_a_clear_message(client, settings, tmp_path, caplog):
    settings.PORTAL_BANKID_ENVIRONMENT = "production"
    settings.PORTAL_BANKID_CERT_FILE = str(tmp_path / "rp.pem")
    settings.PORTAL_BANKID_KEY_FILE = str(tmp_path / "rp.key")
    settings.PORTAL_BANKID_CA_FILE = str(tmp_path / "ca.pem")
    response = client.get(LOGIN)
    assert response.status_code == 503
    assert str(messages.NOT_CONFIGURED) in response.content.decode()
    assert "BankID client cannot be built" in caplog.text


def test_the_test_environment_uses_bankids_test_service_with_the_public_test_certificate(
    settings,
):
    settings.PORTAL_BANKID_ENVIRONMENT = "test"
    settings.PORTAL_BANKID_CERT_FILE = settings.PORTAL_BANKID_KEY_FILE = ""
    settings.PORTAL_BANKID_CA_FILE = ""
    client = bankid.bankid_client()
    assert client._auth_endpoint == "https://appapi2.test.bankid.com/rp/v6.0/auth"
    assert client.certs[0].endswith("FPTestcert5_20240610_cert.pem")


# --- the simulator speaks the RP API ------------------------------------------------


def test_simulator_answers_errors_as_bankid_does(simulator):
    rp = PortalBankIDClient(
        api_url=f"{simulator.url}/rp/v6.0/", certificates=None, ca_file=None, request_timeout=5
    )
    with pytest.raises(InvalidParametersError):
        rp.authenticate(end_user_ip="not-an-ip")
    with pytest.raises(InvalidParametersError):
        rp.collect("00000000-0000-0000-0000-000000000000")
    with pytest.raises(InvalidParametersError):
        rp.cancel("00000000-0000-0000-0000-000000000000")

    first = rp.authenticate(end_user_ip="127.0.0.1", requirement={"personalNumber": ANNA})
    with pytest.raises(AlreadyInProgressError) as already:
        rp.authenticate(end_user_ip="127.0.0.1", requirement={"personalNumber": ANNA})
    assert already.value.json == {
        "errorCode": "alreadyInProgress",
        "details": "Order already in progress for pno.",
    }
    assert rp.collect(first["orderRef"]) == {
        "orderRef": first["orderRef"],
        "status": "failed",
        "hintCode": "cancelled",
    }
    missing = httpx.post(f"{simulator.url}/rp/v6.0/nosuch", json={})
    assert missing.status_code == 404
    assert isinstance(get_json_error_class(missing), NotFoundError)
    plain = httpx.get(f"{simulator.url}/rp/v6.0/auth")
    assert plain.status_code == 405 and plain.json()["errorCode"] == "methodNotAllowed"
    text = httpx.post(
        f"{simulator.url}/rp/v6.0/auth", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert text.status_code == 415 and text.json()["errorCode"] == "unsupportedMediaType"
    bad = httpx.post(
        f"{simulator.url}/rp/v6.0/collect",
        content=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalidParameters"


def test_completion_data_has_bankids_shape(simulator, app):
    rp = PortalBankIDClient(
        api_url=f"{simulator.url}/rp/v6.0/", certificates=None, ca_file=None, request_timeout=5
    )
    order = rp.authenticate(end_user_ip="192.0.2.7")
    app.get(f"/app/{order['autoStartToken']}")
    app.post(f"/app/{order['autoStartToken']}", data={"action": "identify", "personnummer": ANNA})
    answer = rp.collect(order["orderRef"])
    assert answer["status"] == "complete"
    data = answer["completionData"]
    assert data["user"] == {
        "personalNumber": ANNA,
        "name": "Anna Lindqvist",
        "givenName": "Anna",
        "surname": "Lindqvist",
    }
    assert data["device"]["ipAddress"] == "192.0.2.7"
    assert {"bankIdIssueDate", "signature", "ocspResponse", "stepUp"} <= set(data)


# --- messages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "hint", "autostarted", "rfa"),
    [
        ("pending", "outstandingTransaction", False, "RFA1"),
        ("pending", "outstandingTransaction", True, "RFA13"),
        ("pending", "noClient", False, "RFA1"),
        ("pending", "started", False, "RFA15A"),
        ("pending", "userSign", False, "RFA9"),
        ("pending", "userMrtd", False, "RFA23"),
        ("pending", "somethingNew", False, "RFA21"),
        ("failed", "expiredTransaction", False, "RFA8"),
        ("failed", "certificateErr", False, "RFA16"),
        ("failed", "userCancel", False, "RFA6"),
        ("failed", "cancelled", False, "RFA3"),
        ("failed", "startFailed", False, "RFA17B"),
        ("failed", "startFailed", True, "RFA17A"),
        ("failed", "somethingNew", False, "RFA22"),
    ],
)
def test_each_hint_code_gets_bankids_recommended_message(status, hint, autostarted, rfa):
    got = messages.message_for_hint(status=status, hint_code=hint, autostarted=autostarted)
    assert got == messages.RFA[rfa]


def test_errors_get_bankids_recommended_messages():
    assert messages.message_for_error("alreadyInProgress") == messages.RFA["RFA4"]
    for code in ("internalError", "maintenance", "requestTimeout"):
        assert messages.message_for_error(code) == messages.RFA["RFA5"]
    assert messages.message_for_error("invalidParameters") == messages.RFA["RFA22"]


def test_every_bankid_message_has_an_english_translation():
    for key, text in messages.RFA.items():
        with translation.override("sv"):
            swedish = str(text)
        with translation.override("en"):
            english = str(text)
        assert english != swedish, key
    with translation.override("en"):
        assert str(messages.RFA["RFA1"]) == "Start your BankID app."


# --- sessions ---------------------------------------------------------------------


def log_in(client, app, number=KARIN):
    token = start_login(client)
    app.get(f"/app/{token}")
    app.post(f"/app/{token}", data={"action": "identify", "personnummer": number})
    assert poll(client)["status"] == "complete"


@pytest.mark.django_db
def test_the_holder_session_ends_after_inactivity_and_each_visit_moves_the_end(
    client, simulator, app
):
    log_in(client, app)
    idle = settings.PORTAL_HOLDER_SESSION_IDLE_SECONDS
    assert client.session.get_expiry_age() == idle

    row = Session.objects.get(session_key=client.session.session_key)
    row.expire_date = timezone.now() + timedelta(seconds=5)
    row.save()
    assert client.get(settings.PORTAL_HOLDER_PATH).status_code == 200
    row.refresh_from_db()
    assert row.expire_date > timezone.now() + timedelta(seconds=idle - 60)

    row.expire_date = timezone.now() - timedelta(seconds=1)  # idle for too long
    row.save()
    response = client.get(settings.PORTAL_HOLDER_PATH)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_logging_out_ends_the_holder_session(client, simulator, app):
    log_in(client, app)
    old_key = client.session.session_key

    asked = client.get(LOGOUT)
    assert asked.status_code == 200 and is_holder(client)  # a link alone logs nobody out
    response = client.post(LOGOUT)

    assert response.status_code == 200
    assert "Du är utloggad" in response.content.decode()
    assert not is_holder(client)
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.get(settings.PORTAL_HOLDER_PATH).status_code == 302


# --- the command --------------------------------------------------------------------


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_simulator_refuses_to_run_beside_a_real_bankid(settings, capsys):
    settings.DEBUG = False
    settings.PORTAL_BANKID_ENVIRONMENT = "production"
    with pytest.raises(SystemExit) as exited:
        call_command("bankid_simulator", "--port", str(closed_port()))
    assert exited.value.code == 1
    assert "refuses to run" in capsys.readouterr().err


def production_environment(folder: Path, **extra) -> dict:
    """A complete production environment (cms/settings/production.py checks every value)."""
    import base64

    from bankid.certutils import resolve_cert_path
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signing_key = folder / "signing-key.pem"
    signing_key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PORTAL_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        DJANGO_SECRET_KEY=base64.urlsafe_b64encode(os.urandom(48)).decode(),
        DJANGO_ALLOWED_HOSTS="portal.example",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://portal.example",
        DATABASE_URL="postgres://portal@127.0.0.1:5432/portal",  # never connected to here
        PORTAL_BASE_URL="https://portal.example",
        PORTAL_STATIC_ROOT=str(folder / "static"),
        PORTAL_MEDIA_ROOT=str(folder / "media"),
        PORTAL_VAR_DIR=str(folder / "var"),
        EMAIL_HOST="localhost",
        DEFAULT_FROM_EMAIL="noreply@portal.example",
        PORTAL_LOG_ORIGIN="portal.example/registry",
        PORTAL_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PORTAL_BLIND_INDEX_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        PORTAL_SIGNING_KEY_FILE=str(signing_key),
        # BankID's public test RP certificate and CA, shipped with pybankid.
        PORTAL_BANKID_CERT_FILE=str(resolve_cert_path("FPTestcert5_20240610_cert.pem")),
        PORTAL_BANKID_KEY_FILE=str(resolve_cert_path("FPTestcert5_20240610_key.pem")),
        PORTAL_BANKID_CA_FILE=str(resolve_cert_path("appapi2.test.bankid.com.pem")),
    )
    env.update(extra)
    return env


def test_the_simulator_refuses_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "bankid_simulator", "--port", str(closed_port())],
        cwd=REPO_DIR,
        env=production_environment(tmp_path, PORTAL_BANKID_ENVIRONMENT="test"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "refuses to run with production settings" in result.stderr


def test_production_settings_refuse_the_simulator_environment(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO_DIR,
        env=production_environment(tmp_path, PORTAL_BANKID_ENVIRONMENT="simulator"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PORTAL_BANKID_ENVIRONMENT must be 'test' or 'production'" in result.stderr


def test_the_command_serves_the_rp_api_and_the_app_page():
    port = closed_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_BANKID_")}
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "bankid_simulator", "--port", str(port), "--expiry", "5"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert f"BankID simulator at http://127.0.0.1:{port}/" in line
        rp = PortalBankIDClient(
            api_url=f"http://127.0.0.1:{port}/rp/v6.0/",
            certificates=None,
            ca_file=None,
            request_timeout=5,
        )
        order = rp.authenticate(end_user_ip="127.0.0.1")
        assert rp.collect(order["orderRef"])["hintCode"] == "outstandingTransaction"
        page = httpx.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200 and f"/app/{order['autoStartToken']}" in page.text
        assert rp.cancel(order["orderRef"]) is True
    finally:
        process.terminate()
        process.wait(timeout=10)
