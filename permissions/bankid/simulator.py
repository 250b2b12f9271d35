"""A local stand-in for BankID: the Relying Party API v6 and a page playing the BankID app.

Development, tests and the demo cannot reach BankID, and BankID's test service
needs test identities on a phone. This simulator speaks the parts of the RP API
v6 the portal uses — ``POST /rp/v6.0/auth``, ``/collect`` and ``/cancel`` with
the same JSON shapes, hint codes and error answers (``invalidParameters``,
``alreadyInProgress``, ``notFound``, ``methodNotAllowed``,
``unsupportedMediaType``) — so the portal's real pybankid client talks to it
unchanged. A person plays the app on ``/``: pending orders are listed, opening
one is "scanning the QR code" (hint ``userSign``), then they pick one of the
test identities, cancel (``userCancel``) or answer with a blocked BankID
(``certificateErr``). An order nobody finishes fails with ``expiredTransaction``
after ``expiry_seconds`` (30 s by default, shorter in tests). The animated QR
code can also be checked: ``POST /app/scan`` with its content verifies the HMAC
as the app would.

Only the standard library is used (wsgiref, threads): it needs no database and
no Django. It serves plain HTTP on the loopback interface; pybankid's client is
pointed at it by URL (``permissions.bankid.client``). Orders live in memory.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

logger = logging.getLogger(__name__)

API_PREFIX = "/rp/v6.0/"
#: Finished orders not collected are forgotten after this long (seconds).
FORGET_AFTER_SECONDS = 300
#: How far the seconds in a scanned QR code may be from the simulator's own count.
QR_SECONDS_TOLERANCE = 3


@dataclass(frozen=True)
class Identity:
    """A test person the simulated app can identify as."""

    personal_number: str
    given_name: str
    surname: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.surname}"


def load_identities(path: Path) -> list[Identity]:
    """Read ``personnummer,fornamn,efternamn`` rows (a header line first)."""
    with open(path, encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    return [Identity(row["personnummer"], row["fornamn"], row["efternamn"]) for row in rows]


@dataclass
class SimulatedOrder:
    """One auth order as the simulator keeps it."""

    order_ref: str
    auto_start_token: str
    qr_start_token: str
    qr_start_secret: str
    end_user_ip: str
    created: float
    required_personal_number: str | None = None
    user_visible_data: str | None = None
    status: str = "pending"
    hint_code: str = "outstandingTransaction"
    identity: Identity | None = None
    finished: float | None = None


class ApiError(Exception):
    """An RP API error answer: HTTP status, ``errorCode`` and ``details``."""

    def __init__(self, http_status: int, error_code: str, details: str):
        super().__init__(details)
        self.http_status = http_status
        self.error_code = error_code
        self.details = details


_HTTP_REASONS = {
    200: "OK",
    303: "See Other",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
}


class BankIDSimulator:
    """The simulator's state and its WSGI application (``__call__``)."""

    def __init__(
        self, *, identities: list[Identity], expiry_seconds: float = 30.0, clock=time.time
    ):
        self.identities = list(identities)
        self.expiry_seconds = expiry_seconds
        self.clock = clock
        self._orders: dict[str, SimulatedOrder] = {}
        self._lock = threading.Lock()

    # --- the order life cycle -------------------------------------------------

    def _refresh(self, order: SimulatedOrder) -> None:
        """Expire an order nobody finished in time (called under the lock)."""
        now = self.clock()
        if order.status == "pending" and now - order.created >= self.expiry_seconds:
            order.status, order.hint_code, order.finished = "failed", "expiredTransaction", now

    def _forget_old(self) -> None:
        now = self.clock()
        for ref, order in list(self._orders.items()):
            self._refresh(order)
            if order.finished is not None and now - order.finished > FORGET_AFTER_SECONDS:
                del self._orders[ref]

    def auth(self, body: dict) -> dict:
        end_user_ip = body.get("endUserIp")
        try:
            ipaddress.ip_address(str(end_user_ip))
        except ValueError:
            raise ApiError(400, "invalidParameters", "Invalid endUserIp.") from None
        requirement = body.get("requirement") or {}
        if not isinstance(requirement, dict):
            raise ApiError(400, "invalidParameters", "Invalid requirement.")
        required = requirement.get("personalNumber")
        if required is not None and (
            not isinstance(required, str) or len(required) != 12 or not required.isdigit()
        ):
            raise ApiError(400, "invalidParameters", "Invalid personalNumber.")
        visible = body.get("userVisibleData")
        if visible is not None:
            try:
                visible = base64.b64decode(visible, validate=True).decode("utf-8")
            except ValueError:
                raise ApiError(400, "invalidParameters", "Invalid userVisibleData.") from None
        with self._lock:
            self._forget_old()
            if required:
                # As BankID does: a second order for the same person cancels both.
                for other in self._orders.values():
                    if other.status == "pending" and other.required_personal_number == required:
                        other.status, other.hint_code = "failed", "cancelled"
                        other.finished = self.clock()
                        raise ApiError(
                            400, "alreadyInProgress", "Order already in progress for pno."
                        )
            order = SimulatedOrder(
                order_ref=str(uuid.uuid4()),
                auto_start_token=str(uuid.uuid4()),
                qr_start_token=str(uuid.uuid4()),
                qr_start_secret=str(uuid.uuid4()),
                end_user_ip=str(end_user_ip),
                created=self.clock(),
                required_personal_number=required,
                user_visible_data=visible,
            )
            self._orders[order.order_ref] = order
        logger.info("auth: new order")
        return {
            "orderRef": order.order_ref,
            "autoStartToken": order.auto_start_token,
            "qrStartToken": order.qr_start_token,
            "qrStartSecret": order.qr_start_secret,
        }

    def _order_for_ref(self, body: dict) -> SimulatedOrder:
        ref = body.get("orderRef")
        order = self._orders.get(ref) if isinstance(ref, str) else None
        if order is None:
            raise ApiError(400, "invalidParameters", "No such order")
        return order

    def collect(self, body: dict) -> dict:
        with self._lock:
            order = self._order_for_ref(body)
            self._refresh(order)
            if order.status == "pending":
                return {
                    "orderRef": order.order_ref,
                    "status": "pending",
                    "hintCode": order.hint_code,
                }
            # A finished order is answered once, then it is gone (as at BankID).
            del self._orders[order.order_ref]
        if order.status == "failed":
            return {"orderRef": order.order_ref, "status": "failed", "hintCode": order.hint_code}
        return {
            "orderRef": order.order_ref,
            "status": "complete",
            "completionData": self._completion_data(order),
        }

    def _completion_data(self, order: SimulatedOrder) -> dict:
        identity = order.identity
        assert identity is not None
        signature = (
            '<?xml version="1.0" encoding="UTF-8"?><Signature '
            'xmlns="http://www.w3.org/2000/09/xmldsig#"><!-- BankID simulator: not a real '
            f"signature --><Object><bankIdSignedData><srvInfo><nonce>{order.order_ref}"
            "</nonce></srvInfo></bankIdSignedData></Object></Signature>"
        )
        return {
            "user": {
                "personalNumber": identity.personal_number,
                "name": identity.name,
                "givenName": identity.given_name,
                "surname": identity.surname,
            },
            "device": {
                "ipAddress": order.end_user_ip,
                "uhi": hashlib.sha256(order.order_ref.encode()).hexdigest()[:28],
            },
            "stepUp": {"mrtd": False},
            "bankIdIssueDate": "2024-01-01",
            "signature": base64.b64encode(signature.encode()).decode("ascii"),
            "ocspResponse": base64.b64encode(b"BankID simulator: no OCSP").decode("ascii"),
        }

    def cancel(self, body: dict) -> dict:
        with self._lock:
            order = self._order_for_ref(body)
            del self._orders[order.order_ref]
        logger.info("cancel: order cancelled by the relying party")
        return {}

    # --- the app's side --------------------------------------------------------

    def pending_orders(self) -> list[SimulatedOrder]:
        with self._lock:
            self._forget_old()
            return sorted(
                (o for o in self._orders.values() if o.status == "pending"),
                key=lambda o: o.created,
            )

    def _pending_for_token(self, token: str) -> SimulatedOrder | None:
        for order in self._orders.values():
            if order.auto_start_token == token:
                self._refresh(order)
                return order if order.status == "pending" else None
        return None

    def app_open(self, token: str) -> SimulatedOrder | None:
        """The app has the order (QR scanned or autostart): the user is asked to identify."""
        with self._lock:
            order = self._pending_for_token(token)
            if order is not None:
                order.hint_code = "userSign"
            return order

    def app_finish(self, token: str, *, action: str, personal_number: str = "") -> str | None:
        """Finish an order as the user chose; returns the outcome, or None if it is gone."""
        with self._lock:
            order = self._pending_for_token(token)
            if order is None:
                return None
            now = self.clock()
            if action == "identify":
                allowed = [
                    i
                    for i in self.identities
                    if order.required_personal_number in (None, i.personal_number)
                ]
                identity = next((i for i in allowed if i.personal_number == personal_number), None)
                if identity is None:
                    return "unknown-identity"
                order.status, order.identity, order.finished = "complete", identity, now
                return "complete"
            if action == "certificate_error":
                order.status, order.hint_code, order.finished = "failed", "certificateErr", now
                return "certificateErr"
            order.status, order.hint_code, order.finished = "failed", "userCancel", now
            return "userCancel"

    def app_scan(self, content: str) -> SimulatedOrder | None:
        """Check an animated QR code's content as the app does; the order it names, or None."""
        parts = content.strip().split(".")
        if len(parts) != 4 or parts[0] != "bankid" or not parts[2].isdigit():
            return None
        _, qr_start_token, seconds, code = parts
        with self._lock:
            order = next(
                (o for o in self._orders.values() if o.qr_start_token == qr_start_token), None
            )
            if order is None:
                return None
            expected = hmac.new(
                order.qr_start_secret.encode(), seconds.encode(), hashlib.sha256
            ).hexdigest()
            elapsed = self.clock() - order.created
            if not hmac.compare_digest(expected, code) or abs(int(seconds) - elapsed) > (
                QR_SECONDS_TOLERANCE
            ):
                return None
            token = order.auto_start_token
        return self.app_open(token)

    # --- HTTP ------------------------------------------------------------------

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/")
        try:
            if path.startswith(API_PREFIX):
                return self._api(environ, start_response, method, path[len(API_PREFIX) :])
            return self._app(environ, start_response, method, path)
        except Exception:  # pragma: no cover - a bug here must not kill the thread
            logger.exception("BankID simulator failed")
            return self._json(start_response, 500, {"errorCode": "internalError", "details": ""})

    def _json(self, start_response, status: int, payload: dict):
        body = json.dumps(payload).encode("utf-8")
        start_response(
            f"{status} {_HTTP_REASONS.get(status, 'Error')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _api(self, environ, start_response, method: str, name: str):
        handlers = {"auth": self.auth, "collect": self.collect, "cancel": self.cancel}
        try:
            if name not in handlers:
                raise ApiError(404, "notFound", "No such method.")
            if method != "POST":
                raise ApiError(405, "methodNotAllowed", "Use POST.")
            if environ.get("CONTENT_TYPE", "").split(";")[0].strip() != "application/json":
                raise ApiError(415, "unsupportedMediaType", "Use application/json.")
            try:
                body = json.loads(_read_body(environ) or b"null")
            except ValueError:
                raise ApiError(400, "invalidParameters", "Invalid JSON.") from None
            if not isinstance(body, dict):
                raise ApiError(400, "invalidParameters", "Invalid JSON.")
            return self._json(start_response, 200, handlers[name](body))
        except ApiError as error:
            return self._json(
                start_response,
                error.http_status,
                {"errorCode": error.error_code, "details": error.details},
            )

    def _app(self, environ, start_response, method: str, path: str):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if path == "/" and method == "GET":
            token = (query.get("autostarttoken") or [""])[0]
            if token:
                return _redirect(start_response, f"/app/{token}")
            return _page(start_response, 200, self._render_list())
        if path == "/app/scan" and method == "POST":
            form = parse_qs(_read_body(environ).decode("utf-8"))
            order = self.app_scan((form.get("qr") or [""])[0])
            if order is None:
                return _page(start_response, 400, _render_gone("Ogiltig eller gammal QR-kod."))
            return _redirect(start_response, f"/app/{order.auto_start_token}")
        if path.startswith("/app/"):
            token = path[len("/app/") :]
            if method == "GET":
                order = self.app_open(token)
                if order is None:
                    return _page(start_response, 404, _render_gone("Ordern finns inte längre."))
                return _page(start_response, 200, self._render_order(order))
            if method == "POST":
                form = parse_qs(_read_body(environ).decode("utf-8"))
                outcome = self.app_finish(
                    token,
                    action=(form.get("action") or [""])[0],
                    personal_number=(form.get("personnummer") or [""])[0],
                )
                if outcome is None:
                    return _page(start_response, 404, _render_gone("Ordern finns inte längre."))
                if outcome == "unknown-identity":
                    return _page(start_response, 400, _render_gone("Välj en av testpersonerna."))
                return _page(start_response, 200, _render_done(outcome))
        return _page(start_response, 404, _render_gone("Sidan finns inte."))

    def _render_list(self) -> str:
        rows = []
        now = self.clock()
        for order in self.pending_orders():
            left = max(0, int(self.expiry_seconds - (now - order.created)))
            rows.append(
                f'<li><a href="/app/{html.escape(order.auto_start_token)}">Order från '
                f"{html.escape(order.end_user_ip)}</a> – {left} s kvar</li>"
            )
        listing = "<ul>" + "".join(rows) + "</ul>" if rows else "<p>Inga väntande ordrar.</p>"
        return (
            "<h1>BankID-simulator</h1><p>Här spelar du BankID-appen. Öppna en väntande "
            "inloggning (som att skanna QR-koden) och välj vem du är.</p>"
            f'{listing}<p><a href="/">Uppdatera listan</a></p>'
            '<h2>Skanna QR-kod</h2><form method="post" action="/app/scan">'
            '<label>QR-kodens innehåll <input name="qr" size="60"></label> '
            "<button>Skanna</button></form>"
        )

    def _render_order(self, order: SimulatedOrder) -> str:
        choices = "".join(
            f'<li><label><input type="radio" name="personnummer" '
            f'value="{html.escape(i.personal_number)}"{" checked" if n == 0 else ""}> '
            f"{html.escape(i.name)} ({html.escape(i.personal_number)})</label></li>"
            for n, i in enumerate(
                i
                for i in self.identities
                if order.required_personal_number in (None, i.personal_number)
            )
        )
        visible = (
            f"<p><strong>{html.escape(order.user_visible_data)}</strong></p>"
            if order.user_visible_data
            else ""
        )
        action = f"/app/{html.escape(order.auto_start_token)}"
        return (
            f"<h1>Legitimera dig</h1>{visible}<p>Välj testperson:</p>"
            f'<form method="post" action="{action}"><ul>{choices}</ul>'
            '<button name="action" value="identify">Legitimera</button> '
            '<button name="action" value="cancel">Avbryt</button> '
            '<button name="action" value="certificate_error">Svara med spärrat BankID</button>'
            "</form>"
        )


def _read_body(environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(min(length, 64 * 1024)) if length > 0 else b""


def _page(start_response, status: int, content: str):
    body = (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>BankID-simulator</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}"
        ".banner{background:#fff4d6;padding:.5rem .75rem;border-radius:4px}"
        "button{padding:.4rem .9rem;margin:.25rem .25rem .25rem 0}li{margin:.3rem 0}"
        "</style></head><body>"
        '<p class="banner">Simulator för utveckling och test – inte BankID.</p>'
        f'{content}<p><a href="/">Till simulatorns startsida</a></p></body></html>'
    ).encode()
    start_response(
        f"{status} {_HTTP_REASONS.get(status, 'Error')}",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def _redirect(start_response, location: str):
    start_response("303 See Other", [("Location", location), ("Content-Length", "0")])
    return [b""]


def _render_gone(text: str) -> str:
    return f"<h1>BankID-simulator</h1><p>{html.escape(text)}</p>"


def _render_done(outcome: str) -> str:
    text = {
        "complete": "Klart! Gå tillbaka till webbplatsen.",
        "userCancel": "Du avbröt. Gå tillbaka till webbplatsen.",
        "certificateErr": "Svarade med ett spärrat BankID.",
    }[outcome]
    return f'<h1>BankID-simulator</h1><p class="outcome-{outcome}">{html.escape(text)}</p>'


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        # Request lines carry paths with tokens only, never a personnummer.
        logger.info("%s %s", self.address_string(), format % args)


@dataclass
class RunningSimulator:
    """A simulator served in a background thread (``stop`` ends it)."""

    simulator: BankIDSimulator
    server: WSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(
    simulator: BankIDSimulator, *, host: str = "127.0.0.1", port: int = 0
) -> RunningSimulator:
    """Serve ``simulator`` on ``host:port`` (0: a free port) in a daemon thread."""
    server = make_server(
        host, port, simulator, server_class=_ThreadingServer, handler_class=_Handler
    )
    thread = threading.Thread(target=server.serve_forever, name="bankid-simulator", daemon=True)
    thread.start()
    return RunningSimulator(simulator=simulator, server=server, thread=thread)


def autostart_query(token: str) -> str:
    """The query string BankID's autostart link carries (``autostarttoken``, ``redirect``)."""
    return urlencode({"autostarttoken": token, "redirect": "null"})


__all__ = [
    "BankIDSimulator",
    "Identity",
    "RunningSimulator",
    "load_identities",
    "serve_in_thread",
]
