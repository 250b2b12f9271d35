"""Verification answers kept for reuse, under a key made of everything the answer depends on.

Every scan of a certificate's QR code asks for ``/verifiera/<id>/`` (or its
``json/``). Working the answer out takes Wagtail's page routing, the
verification (signature, canonical document, inclusion proof) and rendering,
about ten milliseconds; the answer itself is a pure function of

- the rows the credential is made of — the credential, its frozen mikromerit
  version, the issuing organisation, the recipient (ciphertexts, never
  decrypted here) and the issuing representative's name —,
- its registry leaf and the earliest signed checkpoint that covers it,
- the platform's signing key, whether the best-before date has passed, the
  language, and whether HTML or JSON was asked for.

``state_key`` reads all of them in one query and hashes them. An answer stored
under that key is exactly the answer working it out again would give, so a
row changed directly in the database changes the key and the very next
request works out — and shows — the new verdict; a new checkpoint turns
"waiting for confirmation" into "genuine" at once. ``store`` keeps an answer
only when the state is the same after rendering as before it, so an answer
can never be filed under a state it was not made from.

Two inputs are left out on purpose. The inclusion proof's node hashes: once a
proof has led from the leaf's digest to the signed root (both in the key), it
is mathematics and stays true; ``registry_audit`` is what watches the stored
nodes. And the code (templates, translations): answers expire after
``PORTAL_VERIFICATION_CACHE_SECONDS`` (default an hour) and the key carries
``FORMAT``, which a change of what answers look like must raise.

The cache is Django's ``default`` cache: per process in memory unless the
deployment configures a shared one (see docs/deployment.md). Correctness never
depends on which: a cache that forgets only costs time. Only GET and HEAD
answers for existing credentials are kept; holder checks never are.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers

from micromerits.models import Credential, MicromeritVersion, Organisation, Recipient

from .models import Checkpoint, RegistryLeaf
from .signing import signer

#: Raise when what a stored answer looks like changes (its template, its JSON shape).
FORMAT = "1"

#: What was asked for: the page or its JSON.
HTML = "html"
JSON = "json"


@functools.cache
def _columns() -> list[str]:
    """Every database column an answer depends on.

    All concrete fields of the models named, so that a field added to one of
    them later is covered without anyone remembering to; of the representative
    only what the document shows (not, say, the time of their last login).
    """
    user = get_user_model()
    parts = [
        ("", Credential, None),
        ("version__", MicromeritVersion, None),
        ("issuer__", Organisation, None),
        ("recipient__", Recipient, None),
        ("issued_by__", user, {user.USERNAME_FIELD, "first_name", "last_name"}),
        ("registry_leaf__", RegistryLeaf, None),
    ]
    return [
        f"{prefix}{field.attname}"
        for prefix, model, only in parts
        for field in model._meta.concrete_fields
        if only is None or field.name in only
    ]


#: Stands for the public id while the statement is compiled.
_PLACEHOLDER = "public-id-placeholder"


@functools.cache
def _statement(alias: str) -> tuple[str, list, int]:
    """The state query's SQL for database ``alias``, compiled by the ORM once per process.

    Returns the SQL, its parameters and the position of the public id among
    them. Run through a plain cursor, the row comes back as the database holds
    it: JSON as text and ciphertexts undecrypted, which is what the key hashes.
    """
    covering = Checkpoint.objects.filter(size__gt=OuterRef("registry_leaf__index")).order_by("size")
    query = (
        Credential.objects.filter(public_id=_PLACEHOLDER)
        .order_by()
        .values_list(*_columns(), Subquery(covering.values("note")[:1]))
        .query
    )
    sql, params = query.get_compiler(using=alias).as_sql()
    return sql, list(params), list(params).index(_PLACEHOLDER)


def _cursor():
    """A cursor for the state query: Django's, and on PostgreSQL one that binds on the server.

    PostgreSQL spends most of the query's time planning its six-way join (0.8 of
    1.0 ms). A server-binding psycopg cursor lets psycopg prepare the statement
    once per connection (``prepare_threshold`` in ``cms/settings/base.py``), after
    which it costs about 0.2 ms. Wrapped as Django wraps its own cursors, so
    errors, query logging and query counts in tests behave as everywhere else.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    server_bound = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(server_bound)
    return connection.make_cursor(server_bound)


def state_key(public_id: str, kind: str, *, today=None) -> str | None:
    """The key of ``kind``'s answer for the credential's present state; None if there is no such credential.

    Parameters:
        today: the date whose best-before state counts (default: today in Europe/Stockholm).
    """
    from .views import PUBLIC_ID

    if not PUBLIC_ID.fullmatch(public_id):
        return None
    sql, params, position = _statement(connection.alias)
    params = [*params[:position], public_id, *params[position + 1 :]]
    with _cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    # The only thing today changes: whether the best-before date has passed. A date
    # column comes back as a date or as ISO text, and both compare as ISO text.
    best_before = row[_columns().index("best_before")]
    passed = (
        best_before is not None and str(best_before) < (today or timezone.localdate()).isoformat()
    )
    digest = hashlib.sha256()
    for value in (
        FORMAT,
        kind,
        translation.get_language(),
        passed,
        signer().key_id,
        settings.WAGTAILADMIN_BASE_URL,
        *row,
    ):
        digest.update((b"\x00" if value is None else str(value).encode()) + b"\x1f")
    return f"verification:{digest.hexdigest()}"


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    content_type: str
    body: bytes

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status, content_type=self.content_type)
        add_never_cache_headers(response)
        return response


def lookup(public_id: str, kind: str) -> HttpResponse | None:
    """The stored answer for the credential's present state, or None (then work it out)."""
    key = state_key(public_id, kind)
    stored = cache.get(key) if key else None
    return stored.response() if stored is not None else None


def store(key: str | None, public_id: str, kind: str, response: HttpResponse) -> None:
    """Keep a rendered 200 answer made from the state ``key`` names, if that state still holds."""
    if key is None or response.status_code != 200 or state_key(public_id, kind) != key:
        return
    cache.set(
        key,
        StoredAnswer(response.status_code, response["Content-Type"], response.content),
        settings.PORTAL_VERIFICATION_CACHE_SECONDS,
    )
