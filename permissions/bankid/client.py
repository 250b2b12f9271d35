"""The portal's BankID client: pybankid's RP API v6 client for the configured environment.

pybankid 1.5.0 knows two hosts (BankID's test and production services) and
builds its HTTP client with the deprecated ``cert=`` argument of httpx.
``PortalBankIDClient`` keeps pybankid's protocol code (``authenticate``,
``collect``, ``cancel``, error classes, the QR helper) and changes only where it
talks to and with which certificates: the simulator's URL over plain HTTP on
the loopback interface, or BankID's service over TLS with the relying party's
client certificate and the CA from the settings. Failures become two
exceptions whose ``message`` is the text to show the user: ``BankIDUnavailable``
(network, TLS or configuration) and ``BankIDRefused`` (an error answer).
"""

from __future__ import annotations

import io
import logging
import ssl
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from urllib.parse import urljoin

import httpx
import segno
from bankid import BankIDClient, generate_qr_code_content
from bankid.certutils import resolve_cert_path
from bankid.exceptions import BankIDError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from permissions.bankid import messages
from permissions.bankid.simulator import autostart_query

logger = logging.getLogger(__name__)

ENVIRONMENTS = ("simulator", "test", "production")


class BankIDFailure(Exception):
    """A BankID call that did not give an answer to use; ``message`` is for the user."""

    def __init__(self, message, *, error_code: str | None = None):
        super().__init__(error_code or str(message))
        self.message = message
        self.error_code = error_code


class BankIDUnavailable(BankIDFailure):
    """BankID could not be reached or the portal's BankID configuration is broken."""


class BankIDRefused(BankIDFailure):
    """BankID answered with an error (``error_code``, e.g. ``alreadyInProgress``)."""


@dataclass(frozen=True)
class Order:
    """An auth order as the portal keeps it (in the session, never in the browser)."""

    order_ref: str
    auto_start_token: str
    qr_start_token: str
    qr_start_secret: str
    #: ``time.time()`` when BankID answered ``auth``: second 0 of the animated QR code.
    started_at: float

    def as_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data: dict) -> Order:
        return cls(**data)


class PortalBankIDClient(BankIDClient):
    """pybankid's synchronous client, sent to ``api_url`` with the given TLS material.

    Parameters: ``api_url`` ends with ``/rp/v6.0/``; ``certificates`` is the
    relying party's (certificate, key) PEM pair or None (the simulator);
    ``ca_file`` the CA that signed the server's certificate.
    """

    def __init__(
        self,
        *,
        api_url: str,
        certificates: tuple[str, str] | None,
        ca_file: str | None,
        request_timeout: float,
    ):
        # No certificates to pybankid: it would load them through httpx's
        # deprecated ``cert=``; the context below loads them instead.
        super().__init__((), test_server=False, request_timeout=request_timeout)
        self.client.close()
        context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        if context is not None and certificates:
            context.load_cert_chain(*certificates)
        self.certs = certificates
        self.api_url = api_url
        self._auth_endpoint = urljoin(api_url, "auth")
        self._phone_auth_endpoint = urljoin(api_url, "phone/auth")
        self._sign_endpoint = urljoin(api_url, "sign")
        self._phone_sign_endpoint = urljoin(api_url, "phone/sign")
        self._collect_endpoint = urljoin(api_url, "collect")
        self._cancel_endpoint = urljoin(api_url, "cancel")
        self.client = httpx.Client(
            headers={"Content-Type": "application/json"},
            verify=context if context is not None else True,
            timeout=request_timeout,
        )


def environment() -> str:
    value = settings.PORTAL_BANKID_ENVIRONMENT
    if value not in ENVIRONMENTS:
        raise ImproperlyConfigured(
            f"PORTAL_BANKID_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, got {value!r}."
        )
    return value


def _connection_settings() -> tuple:
    """What decides the client (a cache key that follows ``override_settings`` in tests)."""
    env = environment()
    timeout = float(settings.PORTAL_BANKID_TIMEOUT_SECONDS)
    if env == "simulator":
        return (settings.PORTAL_BANKID_SIMULATOR_URL.rstrip("/") + "/rp/v6.0/", None, None, timeout)
    cert, key, ca = (
        settings.PORTAL_BANKID_CERT_FILE,
        settings.PORTAL_BANKID_KEY_FILE,
        settings.PORTAL_BANKID_CA_FILE,
    )
    if env == "test":
        # BankID's public test RP certificate and test CA ship with pybankid.
        cert = cert or str(resolve_cert_path("FPTestcert5_20240610_cert.pem"))
        key = key or str(resolve_cert_path("FPTestcert5_20240610_key.pem"))
        ca = ca or str(resolve_cert_path("appapi2.test.bankid.com.pem"))
        return ("https://appapi2.test.bankid.com/rp/v6.0/", (cert, key), ca, timeout)
    if not (cert and key and ca):
        raise ImproperlyConfigured(
            "BankID production needs PORTAL_BANKID_CERT_FILE, PORTAL_BANKID_KEY_FILE and "
            "PORTAL_BANKID_CA_FILE."
        )
    return ("https://appapi2.bankid.com/rp/v6.0/", (cert, key), ca, timeout)


@lru_cache(maxsize=4)
def _client_for(api_url, certificates, ca_file, timeout) -> PortalBankIDClient:
    return PortalBankIDClient(
        api_url=api_url, certificates=certificates, ca_file=ca_file, request_timeout=timeout
    )


def bankid_client() -> PortalBankIDClient:
    """The client for the configured environment (built once per configuration)."""
    try:
        return _client_for(*_connection_settings())
    except (ImproperlyConfigured, OSError, ssl.SSLError) as error:
        # A missing or unreadable certificate, key or CA file: the operator's problem.
        logger.error("BankID client cannot be built: %s", error)
        raise BankIDUnavailable(messages.NOT_CONFIGURED) from error


def _call(what: str, function, *args, **kwargs):
    """Run one RP API call, turning every failure into a ``BankIDFailure``."""
    try:
        return function(*args, **kwargs)
    except BankIDError as error:
        code = error.json.get("errorCode") if isinstance(error.json, dict) else None
        # ``details`` may name the user's order; only the code is logged.
        logger.warning("BankID %s answered with error %s", what, code)
        raise BankIDRefused(messages.message_for_error(code), error_code=code) from error
    except httpx.TransportError as error:
        logger.warning("BankID %s failed: %s", what, type(error).__name__)
        raise BankIDUnavailable(messages.NETWORK_ERROR, error_code="network") from error
    except ValueError as error:
        # An answer that is not the API's JSON (a proxy's error page, say).
        logger.warning("BankID %s gave an unreadable answer", what)
        raise BankIDRefused(messages.RFA["RFA5"], error_code="unreadable") from error


def auth(*, end_user_ip: str) -> Order:
    """Start an auth order for the person at ``end_user_ip``."""
    answer = _call("auth", bankid_client().authenticate, end_user_ip=end_user_ip)
    return Order(
        order_ref=answer["orderRef"],
        auto_start_token=answer["autoStartToken"],
        qr_start_token=answer["qrStartToken"],
        qr_start_secret=answer["qrStartSecret"],
        started_at=time.time(),
    )


def collect(*, order_ref: str) -> dict:
    """BankID's ``collect`` answer for ``order_ref`` (pending, failed or complete)."""
    return _call("collect", bankid_client().collect, order_ref)


def cancel(*, order_ref: str) -> None:
    """Cancel ``order_ref`` at BankID."""
    _call("cancel", bankid_client().cancel, order_ref)


def qr_content(order: Order) -> str:
    """The animated QR code's content for this second: ``bankid.<token>.<s>.<hmac>``."""
    return generate_qr_code_content(order.qr_start_token, order.started_at, order.qr_start_secret)


def qr_svg(content: str) -> bytes:
    """``content`` as a QR code (never Micro QR) in an SVG document that scales with CSS."""
    qr = segno.make(content, micro=False, error="l")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=4, border=4, omitsize=True, xmldecl=True)
    return out.getvalue()


def autostart_url(order: Order) -> str:
    """The "open BankID on this device" link.

    For BankID this is the app's ``bankid:///`` scheme; the simulator has no
    app, so its link opens the simulator's app page for the same order.
    """
    query = autostart_query(order.auto_start_token)
    if environment() == "simulator":
        return f"{settings.PORTAL_BANKID_SIMULATOR_URL.rstrip('/')}/?{query}"
    return f"bankid:///?{query}"
