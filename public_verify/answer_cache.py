"""Verification answers kept for reuse, under a key made of everything the answer depends on.

Every scan of a certificate's QR code asks for ``/verifiera/<id>/`` (or its
``json/``). Working the answer out takes Wagtail's page routing, the
verification (signature, canonical document, inclusion proof) and rendering,
about ten milliseconds; the answer itself is a pure function of

- the rows the credential is made of — the credential, its frozen mikromerit
  version, the issuing organisation, the recipient (ciphertexts, never
  decrypted here) and the issuing representative's name —,
- its registry leaf, the earliest signed checkpoint that covers it (every
  column: the proof is checked against its size and root, the note's signature
  against its text) and the stored node hashes the inclusion proof is made of,
- the Wagtail page that answers (whether it is live, its URL, its published
  revision, and whether it or a page above it restricts who may view it),
- the platform's signing key, whether the best-before date has passed, the
  language, and whether HTML or JSON was asked for.

On PostgreSQL the credential's own rows are read as their versions (``xmin``)
rather than their columns (``_own_rows``). ``state`` reads all of them and
hashes them into a key; the answer is kept in
one slot per credential, language and kind together with that key. A scan
reads the present state in one query and is answered from the slot only when
the keys agree, so a row changed directly in the database makes the very next
request work out — and show — the new verdict; a new checkpoint turns "waiting
for confirmation" into "genuine" at once; an unpublished or newly restricted
page is Wagtail's to answer again. ``store`` keeps an answer only when the
state is the same after rendering as before it, so an answer is never filed
under a state it was not made from. An answer behind a view restriction is
never kept: Wagtail asks each visitor for the password or a login.

What the key leaves out is the code (templates, translations): answers expire
after ``PORTAL_VERIFICATION_CACHE_SECONDS`` (default an hour) and the key
carries ``FORMAT``, which a change of what answers look like must raise; and
the Wagtail ``Site`` (its host name and root page), which only a multi-site
deployment changes.

The cache is Django's ``default`` cache: per process in memory unless the
deployment configures a shared one (see docs/deployment.md). Correctness never
depends on which: a cache that forgets only costs time. Only GET and HEAD
answers for existing credentials are kept; holder checks never are.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, connections
from django.db.models import Exists, F, Func, OuterRef, Q, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Length, Substr
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from wagtail.models import Page, PageViewRestriction

from micromerits.models import Credential, MicromeritVersion, Organisation, Recipient

from . import merkle
from .models import Checkpoint, RegistryLeaf, RegistryNode
from .registry import node_positions, stored_hashes
from .signing import signer

#: Raise when what a stored answer looks like changes (its template, its JSON shape).
FORMAT = "2"

#: What was asked for: the page or its JSON.
HTML = "html"
JSON = "json"


#: The first values of every state row, before what ``_own_rows`` adds.
_BEST_BEFORE, _LEAF_INDEX = 0, 1


@functools.cache
def _own_rows(vendor: str) -> list:
    """What the state query reads of the credential's own rows.

    Elsewhere every column of the models named, so that a field added to one of
    them later is covered without anyone remembering to. On PostgreSQL each
    row's version instead (``xmin``, the transaction that wrote it: any UPDATE,
    or a DELETE and INSERT, writes a new one), which says the same in a few
    bytes where the columns are 7 KB to carry and decode. Of the
    representative only what the document shows (not, say, the time of their
    last login).
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
    values: list = ["best_before", "registry_leaf__index"]
    for prefix, model, only in parts:
        if vendor == "postgresql" and only is None:
            # A column of the row's own (its id would be read from the foreign key, and the
            # table not joined) makes the ORM join its table, named by its own name.
            joined = next(f for f in model._meta.concrete_fields if not f.primary_key)
            table = connection.ops.quote_name(model._meta.db_table)
            version = RawSQL(f"{table}.xmin::text", ())  # noqa: S611 - a quoted model table, no input
            values += [f"{prefix}{joined.attname}", version]
        else:
            values += [
                f"{prefix}{field.attname}"
                for field in model._meta.concrete_fields
                if only is None or field.name in only
            ]
    return values


# Stand for the values a statement is run with while the ORM compiles it: unusual
# values within each column's range (Django compiles an out-of-range integer lookup
# to "matches nothing").
_PUBLIC_ID = "public-id-placeholder"
_PAGE_ID = 2_000_000_001
_NODE_LEVEL = 30_000
_NODE_INDEX = 9_000_000_000_000_000
_NODE_HASH = "node-hash-placeholder-"


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: list
    slots: dict[int, tuple[str, int]]  # parameter position -> (what, which)
    checkpoint_size: int  # its position in the row


class _Joined(Func):
    """``a || b || …`` flat: Django's ``Concat`` nests a pair per part, deeper than SQLite parses."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = TextField()


def _spelled_out(*names: str) -> _Joined:
    """One text of the columns ``names``, each as ``<length>:<text>;`` so that no two rows give the same.

    NULL spells as ``:;``, the empty text as ``0:;``.
    """
    parts = []
    for name in names:
        text = Cast(name, TextField())
        parts += [
            Coalesce(Cast(Length(text), TextField()), Value("")),
            Value(":"),
            Coalesce(text, Value("")),
            Value(";"),
        ]
    return _Joined(*parts)


@functools.cache
def _statement(alias: str, nodes: int) -> _Statement:
    """The state query's SQL for database ``alias`` and ``nodes`` proof nodes, compiled once per process.

    Run through a plain cursor, the row comes back as the database holds it:
    JSON as text and ciphertexts undecrypted, which is what the key hashes. The
    checkpoint and the page are each read by one subquery spelling out all their
    columns in one text: one probe each, where a subquery per column cost
    PostgreSQL noticeably more.
    """
    covering = Checkpoint.objects.filter(size__gt=OuterRef("registry_leaf__index")).order_by("size")
    checkpoint = _spelled_out(*(f.attname for f in Checkpoint._meta.concrete_fields))
    restricted = PageViewRestriction.objects.annotate(
        prefix=Substr(OuterRef("path"), 1, Length("page__path"))
    ).filter(page__path=F("prefix"))
    page = (
        Page.objects.filter(pk=_PAGE_ID)
        .order_by()
        .values(
            # The restriction last, as it comes (true or false): spelled out, it would run twice.
            state=_Joined(
                _spelled_out("live", "url_path", "live_revision_id"),
                Cast(Exists(restricted), TextField()),
            )
        )
    )
    # How many of the proof's nodes still hold the hash they held when the answer was made: one
    # subquery of one index probe per node (0.10 ms for 25 nodes on SQLite, against 0.15 ms for
    # a subquery per node). COUNT as a plain function: an aggregate would add a GROUP BY.
    unchanged = Q()
    for k in range(nodes):
        unchanged |= Q(level=_NODE_LEVEL + k, index=_NODE_INDEX + k, hash=f"{_NODE_HASH}{k}")
    nodes_unchanged = (
        RegistryNode.objects.filter(unchanged)
        .order_by()
        .values(count=Func(F("pk"), function="COUNT"))
    )
    values = [
        *_own_rows(connections[alias].vendor),
        Subquery(covering.values("size")[:1]),
        Subquery(covering.values(text=checkpoint)[:1]),
        Subquery(page[:1]),
        *([Subquery(nodes_unchanged)] if nodes else []),
    ]
    query = Credential.objects.filter(public_id=_PUBLIC_ID).order_by().values_list(*values).query
    sql, params = query.get_compiler(using=alias).as_sql()
    if connections[alias].vendor == "postgresql":
        sql = _numbered(sql)
    meaning = {_PUBLIC_ID: ("public_id", 0), _PAGE_ID: ("page", 0)}
    for k in range(nodes):
        meaning[_NODE_LEVEL + k] = ("level", k)
        meaning[_NODE_INDEX + k] = ("index", k)
        meaning[f"{_NODE_HASH}{k}"] = ("hash", k)
    return _Statement(
        sql=sql,
        params=list(params),
        slots={i: meaning[p] for i, p in enumerate(params) if p in meaning},
        checkpoint_size=len(_own_rows(connections[alias].vendor)),
    )


def _numbered(sql: str) -> str:
    """``sql`` with PostgreSQL's own ``$1, $2, …`` for the DB-API's ``%s`` (and ``%`` for ``%%``).

    Done once here, so psycopg need not parse the statement on every run: it caches
    that work only for statements under 4 KB, and this one is longer.
    """
    numbers = itertools.count(1)
    return re.sub(r"%%|%s", lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", sql)


def _cursor():
    """A cursor for the state query: Django's, and on PostgreSQL one that binds on the server.

    PostgreSQL spends most of the query's time planning its joins and subqueries
    (0.7 of 0.9 ms). A server-binding psycopg cursor lets psycopg prepare the
    statement once per connection (``prepare_threshold`` in
    ``cms/settings/base.py``); a raw one takes the statement as numbered by
    ``_numbered``. Opened as Django opens its own cursors — a failed health check
    reconnects, errors become Django's, queries are counted in tests — though a
    logged query shows its parameters as ``$1, $2, …``.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(psycopg.RawCursor(connection.connection))


#: A proof node as the answer was made from it: level, index and stored hash (None if missing).
Node = tuple[int, int, "str | None"]


def _row(public_id: str, page_id: int, nodes: tuple[Node, ...]):
    statement = _statement(connection.alias, len(nodes))
    given = {("public_id", 0): public_id, ("page", 0): page_id}
    for k, (level, index, value) in enumerate(nodes):
        given[("level", k)] = level
        given[("index", k)] = index
        given[("hash", k)] = value
    params = [
        given[statement.slots[i]] if i in statement.slots else value
        for i, value in enumerate(statement.params)
    ]
    with _cursor() as cursor:
        cursor.execute(statement.sql, params)
        return statement, cursor.fetchone()


def _key(public_id: str, kind: str, page_id: int, nodes, *, today=None):
    """The key of the present state, and the row it was made from; (None, None) without credential."""
    from .views import PUBLIC_ID

    if not PUBLIC_ID.fullmatch(public_id):
        return None, None
    statement, row = _row(public_id, page_id, nodes)
    if row is None:
        return None, None
    # The only thing today changes: whether the best-before date has passed. A date
    # column comes back as a date or as ISO text, and both compare as ISO text.
    best_before = row[_BEST_BEFORE]
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
        *nodes,
        *row,
    ):
        digest.update((b"\x00" if value is None else str(value).encode()) + b"\x1f")
    return f"verification:{digest.hexdigest()}", (statement, row)


def _proof_nodes(index: int, size: int) -> tuple[Node, ...]:
    """The stored nodes leaf ``index``'s inclusion proof in a tree of ``size`` is made of, as they are now."""
    try:
        positions = sorted(node_positions(merkle.inclusion_proof_ranges(index, size)))
    except ValueError:  # a negative index written into the leaf: the verdict says so
        return ()
    stored = stored_hashes(set(positions))
    return tuple((level, at, stored.get((level, at))) for level, at in positions)


@dataclass(frozen=True)
class State:
    """An answer's present state: its key, and what besides the credential it was read with."""

    key: str
    page_id: int
    nodes: tuple[Node, ...]
    restricted: bool


def state(public_id: str, kind: str, page_id: int, *, today=None) -> State | None:
    """The present state of ``kind``'s answer served by page ``page_id``; None if there is no such credential.

    Reads the credential first, then — when a checkpoint covers its leaf — again
    with the nodes its inclusion proof is made of.

    Parameters:
        today: the date whose best-before state counts (default: today in Europe/Stockholm).
    """
    key, read = _key(public_id, kind, page_id, (), today=today)
    if key is None:
        return None
    statement, row = read
    index, size = row[_LEAF_INDEX], row[statement.checkpoint_size]
    nodes = ()
    if index is not None and size is not None:
        nodes = _proof_nodes(index, size)
        key, _read = _key(public_id, kind, page_id, nodes, today=today)
        if key is None:
            return None
    # Wagtail asks each visitor for a restricted page's password or login: never kept.
    page = Page.objects.filter(pk=page_id).first()
    restricted = page is not None and page.get_view_restrictions().exists()
    return State(key, page_id, nodes, restricted)


@dataclass(frozen=True)
class _Kept:
    state: State
    status: int
    content_type: str
    body: bytes

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status, content_type=self.content_type)
        add_never_cache_headers(response)
        return response


def _slot(public_id: str, kind: str) -> str:
    return f"verification:{FORMAT}:{kind}:{translation.get_language()}:{public_id}"


def lookup(public_id: str, kind: str) -> HttpResponse | None:
    """The kept answer if the credential's state is still the one it was made from, else None."""
    kept = cache.get(_slot(public_id, kind))
    if kept is None:
        return None
    key, _read = _key(public_id, kind, kept.state.page_id, kept.state.nodes)
    return kept.response() if key == kept.state.key else None


def store(made_from: State | None, public_id: str, kind: str, response: HttpResponse) -> None:
    """Keep a rendered 200 answer made from state ``made_from``, if that state still holds."""
    if made_from is None or made_from.restricted or response.status_code != 200:
        return
    key, _read = _key(public_id, kind, made_from.page_id, made_from.nodes)
    if key != made_from.key:
        return
    cache.set(
        _slot(public_id, kind),
        _Kept(made_from, response.status_code, response["Content-Type"], response.content),
        settings.PORTAL_VERIFICATION_CACHE_SECONDS,
    )
