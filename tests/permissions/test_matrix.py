"""The permission matrix: who gets what from every URL of the portal, over HTTP.

Three organisations — the owner of a mikromerit, a delegated issuer, an
outsider that owns and issues a mikromerit of its own — each with an org
admin, a creator and an issuer; a signed-in person with no role; anonymous
visitors; and two holders (recipients logged in as BankID would). Every
representative's session has passed the second factor. Each row of ``TABLE`` is
one URL on one object (the owner's or the outsider's, so "own" and "other"
are both tried for every organisation) with the expected outcome for every
subject. ``docs/security.md`` carries the same table (a test checks they agree).

Outcomes: a status code, or where a redirect goes — ``login`` (the admin
login), ``denied`` (the admin dashboard with "permission denied"), ``holder``
(the holder's BankID login), ``redirect`` (elsewhere).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from micromerits import services
from micromerits.excel import IssuerRef, read_micromerit_workbook
from micromerits.models import Micromerit
from micromerits.sharing import share_link_create
from permissions.bankid.simulator import BankIDSimulator, load_identities, serve_in_thread
from permissions.models import Role
from tests.conftest import REPO_DIR, workbook
from tests.micromerits.holder_helpers import issue_to, log_in_holder
from tests.micromerits.holder_helpers import row as recipient_row

from .url_inventory import page_routes, routes, sample_path

SOFIA = "189001079806"
LARS = "189001089813"
ORGS = ("owner", "issuer", "outsider")
ROLES = ("admin", "creator", "issuer")
REPRESENTATIVES = tuple(f"{org}_{role}" for org in ORGS for role in ROLES)
SUBJECTS = ("anonymous", "no_role", *REPRESENTATIVES, "holder", "other_holder")
ROLE_OF = {"admin": Role.ADMIN, "creator": Role.CREATOR, "issuer": Role.ISSUER}


# --- the world the table is tried in ------------------------------------------------------


@dataclass
class World:
    users: dict
    owner_mm: Micromerit
    outsider_mm: Micromerit
    owner_credential: object
    outsider_credential: object
    share_tokens: dict
    share_links: dict

    def mm(self, which: str) -> Micromerit:
        return self.owner_mm if which == "owner" else self.outsider_mm

    def credential(self, which: str):
        return self.owner_credential if which == "owner" else self.outsider_credential

    def share_link(self, which: str):
        return self.share_links[which]


@pytest.fixture
def world(organisations, make_representative, make_user) -> World:
    users = {"no_role": make_user("no-role")}
    for org in ORGS:
        for role in ROLES:
            users[f"{org}_{role}"] = make_representative(
                f"{org}-{role}", organisations[org], ROLE_OF[role]
            )
    data = read_micromerit_workbook(workbook("fasadmalning.xlsx").read_bytes())
    # The owner's mikromerit: issuable by the delegated issuer (and the second issuer).
    owner_mm = services.micromerit_import(data=data, by=users["owner_creator"], publish=True)
    # The outsider's own mikromerit, issued by the outsider itself.
    outsider_data = dataclasses.replace(
        data,
        title="Kundmöte i butik (matris)",
        owner_orgnr=organisations["outsider"].orgnr,
        issuers=[IssuerRef(orgnr=organisations["outsider"].orgnr)],
    )
    outsider_mm = services.micromerit_import(
        data=outsider_data, by=users["outsider_creator"], publish=True
    )
    (owner_credential,) = issue_to(
        owner_mm,
        organisations["issuer"],
        users["issuer_issuer"],
        recipient_row(SOFIA, "Sofia", "Ek"),
    )
    (outsider_credential,) = issue_to(
        outsider_mm,
        organisations["outsider"],
        users["outsider_issuer"],
        recipient_row(LARS, "Lars", "Holmqvist"),
    )
    credentials = {"owner": owner_credential, "outsider": outsider_credential}
    tokens = {
        which: share_link_create(credential=c, holder=c.recipient)[1]
        for which, c in credentials.items()
    }
    # A second link each, for the withdrawal rows (the first must keep working).
    withdrawable = {
        which: share_link_create(credential=c, holder=c.recipient)[0]
        for which, c in credentials.items()
    }
    return World(
        users, owner_mm, outsider_mm, owner_credential, outsider_credential, tokens, withdrawable
    )


@pytest.fixture
def bankid_simulator(settings):
    """BankID's stand-in on a free loopback port, so the login pages answer (as in test_bankid)."""
    running = serve_in_thread(
        BankIDSimulator(
            identities=load_identities(REPO_DIR / "fixtures" / "demo" / "bankid-identities.csv")
        )
    )
    settings.PORTAL_BANKID_ENVIRONMENT = "simulator"
    settings.PORTAL_BANKID_SIMULATOR_URL = running.url
    yield running
    running.stop()


@pytest.fixture
def sign_in(world, admin_login):
    """A client signed in as ``subject``: second factor passed for people, BankID for holders."""

    def client_for(subject: str) -> Client:
        if subject in world.users:
            return admin_login(world.users[subject])
        client = Client()
        if subject == "holder":
            log_in_holder(client, SOFIA)
        elif subject == "other_holder":
            log_in_holder(client, LARS)
        return client

    return client_for


SNIPPET = "wagtailsnippets_micromerits_micromerit"
CHOOSER = "wagtailsnippetchoosers_micromerits_micromerit"
MM_OWNERS = ("owner", "outsider")


def _url(name, *args):
    return lambda w: reverse(name, args=args)


def _mm_url(name, which, *extra):
    return lambda w: reverse(name, args=[w.mm(which).pk, *extra])


def _revision_url(name, which):
    return lambda w: reverse(name, args=[w.mm(which).pk, w.mm(which).latest_revision_id])


def _right_url(which):
    def path(w):
        right = w.mm(which).issuing_rights.active().order_by("pk").first()
        return reverse("micromerits_admin:issuing_right_withdraw", args=[w.mm(which).pk, right.pk])

    return path


def _credential_url(name, which):
    return lambda w: reverse(name, args=[w.credential(which).pk])


def _public_id_url(name, which, *extra):
    return lambda w: reverse(name, args=[w.credential(which).public_id, *extra])


def _verify_url(which, suffix=""):
    return lambda w: f"/verifiera/{w.credential(which).public_id}/{suffix}"


def _catalogue_url(which):
    return lambda w: f"/katalog/{w.mm(which).pk}/"


def _share_withdraw_url(which):
    return lambda w: reverse(
        "holder_share_link_withdraw", args=[w.credential(which).public_id, w.share_link(which).pk]
    )


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One URL on one object, with the outcome for every subject."""

    area: str
    name: str  # the URL (or page route) name, for the coverage check
    label: str  # what the docs table shows
    path: Callable[[World], str]
    expected: dict[str, str]
    method: str = "get"


def same_for_all(value: str) -> dict[str, str]:
    return dict.fromkeys(SUBJECTS, value)


def admin(allowed: dict[str, str] | tuple = (), *, others: str = "denied") -> dict[str, str]:
    """An admin URL: anonymous visitors, holders and the signed-in person without a role go to
    the login; a representative gets ``allowed[subject]`` (a tuple means 200) or ``others``."""
    if isinstance(allowed, tuple):
        allowed = dict.fromkeys(allowed, "200")
    table = same_for_all("login")
    for subject in REPRESENTATIVES:
        table[subject] = allowed.get(subject, others)
    return table


def holder(owner_subject: str, ok: str = "200") -> dict[str, str]:
    """A holder URL about one credential: its holder gets ``ok``, the other holder 404,
    everyone else (no holder session) is sent to the BankID login."""
    table = same_for_all("holder")
    table["holder"] = "404"
    table["other_holder"] = "404"
    table[owner_subject] = ok
    return table


def org(which: str, *roles: str) -> tuple[str, ...]:
    return tuple(f"{which}_{role}" for role in roles)


ALL_REPRESENTATIVES = REPRESENTATIVES
CREATORS = tuple(f"{o}_creator" for o in ORGS)
ADMINS = tuple(f"{o}_admin" for o in ORGS)
#: The organisation that issues each mikromerit's credentials in the world.
ISSUING_ORG = {"owner": "issuer", "outsider": "outsider"}
#: The holder of the credential of each mikromerit.
HOLDER_OF = {"owner": "holder", "outsider": "other_holder"}

TABLE: list[Row] = []


def add(area, name, label, path, expected, method="get"):
    assert set(expected) == set(SUBJECTS), label
    TABLE.append(Row(area, name, label, path, expected, method))


S = SNIPPET
for which in MM_OWNERS:
    of = f"{which}'s mikromerit"
    creator, everyone_of_owner = org(which, "creator"), org(which, "admin", "creator", "issuer")
    issuing = ISSUING_ORG[which]
    for name, label in (
        ("edit", "edit"),
        ("history", "history"),
        ("history_results", "history (results)"),
        ("usage", "usage"),
        ("delete", "delete (confirm page)"),
        ("unpublish", "unpublish (confirm page)"),
        ("preview_on_edit", "preview"),
    ):
        add(
            "mikromerit",
            f"{S}:{name}",
            f"{label}, {of}",
            _mm_url(f"{S}:{name}", which),
            admin(creator),
        )
    for name, label in (
        ("revisions_view", "view a revision"),
        ("revisions_revert", "revert to a revision"),
        ("revisions_unschedule", "unschedule a revision"),
    ):
        add(
            "mikromerit",
            f"{S}:{name}",
            f"{label}, {of}",
            _revision_url(f"{S}:{name}", which),
            admin(creator),
        )
    add(
        "mikromerit",
        f"{S}:revisions_compare",
        f"compare revisions, {of}",
        lambda w, x=which: reverse(
            f"{S}:revisions_compare", args=[w.mm(x).pk, "earliest", "latest"]
        ),
        admin(creator),
    )
    # Viewing: the owner organisation's admins too (its issuers hold no model-level view right).
    add(
        "mikromerit",
        f"{S}:inspect",
        f"inspect, {of}",
        _mm_url(f"{S}:inspect", which),
        admin(org(which, "admin", "creator")),
    )
    add(
        "mikromerit",
        f"{S}:lock",
        f"lock (POST), {of}",
        _mm_url(f"{S}:lock", which),
        admin({f"{which}_creator": "redirect"}),
        "post",
    )
    add(
        "mikromerit",
        f"{S}:unlock",
        f"unlock (POST), {of}",
        _mm_url(f"{S}:unlock", which),
        admin({f"{which}_creator": "redirect"}),
        "post",
    )
    add(
        "mikromerit",
        f"{CHOOSER}:chosen",
        f"chooser: chosen, {of}",
        lambda w, x=which: reverse(f"{CHOOSER}:chosen", args=[str(w.mm(x).pk)]),
        admin(everyone_of_owner, others="404"),
    )
    add(
        "mikromerit",
        "micromerits_admin:export",
        f"Excel export, {of}",
        _mm_url("micromerits_admin:export", which),
        admin(everyone_of_owner),
    )
    add(
        "mikromerit",
        "micromerits_admin:issuing_rights",
        f"issuing rights, {of}",
        _mm_url("micromerits_admin:issuing_rights", which),
        admin(creator),
    )
    add(
        "mikromerit",
        "micromerits_admin:issuing_right_withdraw",
        f"withdraw an issuing right (POST), {of}",
        _right_url(which),
        admin({f"{which}_creator": "redirect"}),
        "post",
    )
    add(
        "issuing",
        "micromerits_admin:issue_person",
        f"issue to one person, {of}",
        _mm_url("micromerits_admin:issue_person", which),
        admin(org(issuing, "issuer")),
    )
    add(
        "issuing",
        "micromerits_admin:issue_upload",
        f"issue from a list, {of}",
        _mm_url("micromerits_admin:issue_upload", which),
        admin(org(issuing, "issuer")),
    )
    add(
        "issuing",
        "micromerits_admin:issue_preview",
        f"list preview with an unknown token, {of}",
        _mm_url("micromerits_admin:issue_preview", which, "x" * 43),
        admin({f"{issuing}_issuer": "redirect"}),
    )
    add(
        "issuing",
        "issued_credentials:inspect",
        f"issued credential, {of}",
        _credential_url("issued_credentials:inspect", which),
        admin(org(issuing, "admin", "issuer"), others="404"),
    )
    of_credential = f"credential of {of}"
    add(
        "public",
        "credential_route",
        f"verification page, {of_credential}",
        _verify_url(which),
        same_for_all("200"),
    )
    add(
        "public",
        "credential_json_route",
        f"verification JSON, {of_credential}",
        _verify_url(which, "json/"),
        same_for_all("200"),
    )
    add(
        "public",
        "micromerit_detail",
        f"catalogue page, {of}",
        _catalogue_url(which),
        same_for_all("200"),
    )
    owner_holder = HOLDER_OF[which]
    add(
        "holder",
        "holder_credential",
        f"holder: {of_credential}",
        _public_id_url("holder_credential", which),
        holder(owner_holder),
    )
    add(
        "holder",
        "holder_credential_pdf",
        f"holder: PDF, {of_credential}",
        _public_id_url("holder_credential_pdf", which),
        holder(owner_holder),
    )
    add(
        "holder",
        "holder_credential_export",
        f"holder: JSON export, {of_credential}",
        _public_id_url("holder_credential_export", which),
        holder(owner_holder),
    )
    add(
        "holder",
        "holder_credential_hide",
        f"holder: hide (POST), {of_credential}",
        _public_id_url("holder_credential_hide", which),
        holder(owner_holder, "redirect"),
        "post",
    )
    add(
        "holder",
        "holder_credential_unhide",
        f"holder: show again (POST), {of_credential}",
        _public_id_url("holder_credential_unhide", which),
        holder(owner_holder, "redirect"),
        "post",
    )
    add(
        "holder",
        "holder_share_link_create",
        f"holder: new share link (POST), {of_credential}",
        _public_id_url("holder_share_link_create", which),
        holder(owner_holder, "redirect"),
        "post",
    )
    add(
        "holder",
        "holder_share_link_withdraw",
        f"holder: withdraw a share link (POST), {of_credential}",
        _share_withdraw_url(which),
        holder(owner_holder, "redirect"),
        "post",
    )
    add(
        "public",
        "shared_credential",
        f"shared link, {of_credential}",
        lambda w, x=which: reverse("shared_credential", args=[w.share_tokens[x]]),
        same_for_all("200"),
    )
    add(
        "public",
        "shared_certificate",
        f"shared link: PDF, {of_credential}",
        lambda w, x=which: reverse("shared_certificate", args=[w.share_tokens[x]]),
        same_for_all("200"),
    )

add(
    "admin",
    "wagtailadmin_home",
    "admin dashboard",
    _url("wagtailadmin_home"),
    admin(ALL_REPRESENTATIVES),
)
for name, label in (("list", "mikromerit list"), ("list_results", "mikromerit list (results)")):
    add("mikromerit", f"{S}:{name}", label, _url(f"{S}:{name}"), admin(CREATORS + ADMINS))
for name, label in (("add", "create a mikromerit"), ("preview_on_add", "preview while creating")):
    add("mikromerit", f"{S}:{name}", label, _url(f"{S}:{name}"), admin(CREATORS))
add(
    "mikromerit", f"{CHOOSER}:create", "chooser: create", _url(f"{CHOOSER}:create"), admin(CREATORS)
)
for name, label in (
    ("choose", "chooser"),
    ("choose_results", "chooser (results)"),
    ("chosen_multiple", "chooser: chosen (several)"),
):
    add(
        "mikromerit",
        f"{CHOOSER}:{name}",
        f"{label}, only what the user may list",
        _url(f"{CHOOSER}:{name}"),
        admin(ALL_REPRESENTATIVES),
    )
add(
    "mikromerit",
    "micromerits_admin:import",
    "Excel import",
    _url("micromerits_admin:import"),
    admin(CREATORS),
)
add(
    "mikromerit",
    "micromerits_admin:template",
    "Excel template (blank)",
    _url("micromerits_admin:template"),
    admin(ALL_REPRESENTATIVES),
)
add(
    "issuing",
    "micromerits_admin:issue_index",
    "Utfärda (what my organisation may issue)",
    _url("micromerits_admin:issue_index"),
    admin(("issuer_issuer", "outsider_issuer")),
)
for name, label in (
    ("index", "issued credentials"),
    ("index_results", "issued credentials (results)"),
):
    add(
        "issuing",
        f"issued_credentials:{name}",
        label,
        _url(f"issued_credentials:{name}"),
        admin(org("issuer", "admin", "issuer") + org("outsider", "admin", "issuer")),
    )
for dimension in ("month", "micromerit", "issuer", "level", "best_before"):
    for suffix, label in (("", ""), ("_results", " (results)")):
        add(
            "statistics",
            f"statistics:{dimension}{suffix}",
            f"statistics by {dimension}{label}",
            _url(f"statistics:{dimension}{suffix}"),
            admin(ALL_REPRESENTATIVES),
        )
add(
    "second factor",
    "permissions_otp:verify",
    "code step (already verified: onwards)",
    _url("permissions_otp:verify"),
    admin(dict.fromkeys(ALL_REPRESENTATIVES, "redirect")),
)
add(
    "second factor",
    "permissions_otp:enrol",
    "enrolment (has a device: to the code step)",
    _url("permissions_otp:enrol"),
    admin(dict.fromkeys(ALL_REPRESENTATIVES, "redirect")),
)
add(
    "second factor",
    "permissions_otp:backup_codes",
    "my backup codes",
    _url("permissions_otp:backup_codes"),
    admin(ALL_REPRESENTATIVES),
)
add(
    "second factor",
    "permissions_otp:colleagues",
    "colleagues' second factor",
    _url("permissions_otp:colleagues"),
    admin(ADMINS, others="403"),
)
add(
    "second factor",
    "permissions_otp:colleague_reset",
    "reset a colleague (GET)",
    _url("permissions_otp:colleague_reset"),
    admin(others="405"),
)
add("public", "wagtail_serve", "home page", lambda w: "/", same_for_all("200"))
add("public", "catalogue_index", "catalogue", lambda w: "/katalog/", same_for_all("200"))
add(
    "public", "index_route", "verification start page", lambda w: "/verifiera/", same_for_all("200")
)
# /verifiera/<id>/ is resolved first by the Django URL that answers kept answers
# (public_verify.urls), which hands the rest to the page's routes above.
add(
    "public",
    "verification_answer",
    "verification page asked twice (the second answer kept)",
    _verify_url(MM_OWNERS[0]),
    same_for_all("200"),
)
add(
    "public",
    "verification_answer_json",
    "verification JSON asked twice (the second answer kept)",
    _verify_url(MM_OWNERS[0], "json/"),
    same_for_all("200"),
)
add(
    "public",
    "not_found_route",
    "verification of an unknown id",
    lambda w: "/verifiera/okand/x/",
    same_for_all("404"),
)
add(
    "public",
    "shared_credential",
    "shared link, unknown token",
    lambda w: reverse("shared_credential", args=["x" * 43]),
    same_for_all("404"),
)
add(
    "public",
    "shared_certificate",
    "shared link: PDF, unknown token",
    lambda w: reverse("shared_certificate", args=["x" * 43]),
    same_for_all("404"),
)
add(
    "public",
    "set_language",
    "language switch (POST)",
    lambda w: reverse("set_language"),
    same_for_all("redirect"),
    "post",
)
add(
    "public",
    "wagtaildocs_serve",
    "document, unknown",
    lambda w: "/documents/999/x.pdf",
    same_for_all("404"),
)
add(
    "public",
    "wagtaildocs_authenticate_with_password",
    "document password form, unknown",
    lambda w: "/documents/authenticate_with_password/999/",
    same_for_all("404"),
)
add(
    "public",
    "wagtailcore_authenticate_with_password",
    "page password form, unknown",
    lambda w: "/_util/authenticate_with_password/999/999/",
    same_for_all("404"),
)
add(
    "public",
    "wagtailcore_login",
    "page privacy login",
    lambda w: "/_util/login/",
    same_for_all("200"),
)
add(
    "holder",
    "holder_credentials",
    "holder: my mikromeriter",
    _url("holder_credentials"),
    {**same_for_all("holder"), "holder": "200", "other_holder": "200"},
)
add(
    "holder",
    "holder_logout",
    "holder: log out (GET shows the form)",
    _url("holder_logout"),
    same_for_all("200"),
)


# A logged-in holder is sent on to their list; a QR code exists only for a started order.
add(
    "bankid",
    "holder_login",
    "BankID login page",
    _url("holder_login"),
    {**same_for_all("200"), "holder": "redirect", "other_holder": "redirect"},
)
add(
    "bankid",
    "holder_login_qr",
    "BankID QR code without an order",
    _url("holder_login_qr"),
    same_for_all("404"),
)
add(
    "bankid",
    "holder_login_status",
    "BankID status poll (POST)",
    _url("holder_login_status"),
    same_for_all("200"),
    "post",
)
add(
    "bankid",
    "holder_login_cancel",
    "BankID cancel (POST)",
    _url("holder_login_cancel"),
    same_for_all("200"),
    "post",
)
add(
    "bankid",
    "holder_logout",
    "holder: log out (POST)",
    _url("holder_logout"),
    same_for_all("200"),
    "post",
)


# --- running it ---------------------------------------------------------------------------------


def _denied(response) -> bool:
    """Wagtail's "permission denied": a redirect to the dashboard with an error message."""
    from django.contrib.messages import constants

    storage = getattr(response.wsgi_request, "_messages", None)
    return any(m.level >= constants.ERROR for m in getattr(storage, "_queued_messages", []))


def outcome(response) -> str:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith(reverse("wagtailadmin_login")):
            return "login"
        if location.split("?")[0] == reverse("wagtailadmin_home") and _denied(response):
            return "denied"
        if location.startswith(reverse("holder_login")):
            return "holder"
        return "redirect"
    return str(response.status_code)


def _order(row: Row) -> list[str]:
    """Subjects in table order, but for a POST those it should succeed for go last, so that
    a state change (a withdrawal, a lock) happens after everyone else has tried it."""
    if row.method != "post":
        return list(SUBJECTS)
    succeeds = [s for s in SUBJECTS if row.expected[s] in ("200", "redirect")]
    return [s for s in SUBJECTS if s not in succeeds] + succeeds


def run_rows(rows: list[Row], sign_in, world) -> list[str]:
    mismatches = []
    for row in rows:
        url = row.path(world)
        for subject in _order(row):
            response = getattr(sign_in(subject), row.method)(url)
            found = outcome(response)
            if found != row.expected[subject]:
                mismatches.append(
                    f"{row.label} [{row.method.upper()} {url}] as {subject}: "
                    f"expected {row.expected[subject]}, got {found}"
                )
    return mismatches


AREAS = sorted({row.area for row in TABLE})


def test_the_matrix_has_enough_combinations_and_both_sides_of_every_object():
    assert len(TABLE) * len(SUBJECTS) >= 200
    labels = {row.label for row in TABLE}
    for label in labels:
        if "owner's mikromerit" in label:
            assert label.replace("owner's", "outsider's") in labels, label


@pytest.mark.parametrize("area", AREAS)
def test_the_permission_matrix(area, sign_in, world, request):
    """Every row of the area, every subject: the outcome the table says (all mismatches listed)."""
    if area == "bankid":
        request.getfixturevalue("bankid_simulator")
    rows = [row for row in TABLE if row.area == area]
    mismatches = run_rows(rows, sign_in, world)
    assert not mismatches, "\n".join(mismatches)


# --- coverage: every URL of the portal is in the table; Wagtail's own areas stay closed --------

#: URL namespaces of the portal's own admin screens: each of their URLs needs a row above.
PORTAL_ADMIN_NAMESPACES = (
    "micromerits_admin",
    "permissions_otp",
    "statistics",
    "issued_credentials",
    SNIPPET,
    CHOOSER,
)


def portal_url_names() -> set[str]:
    names = set()
    for route in routes():
        if route.route.startswith("admin/"):
            if route.name and route.name.split(":")[0] in PORTAL_ADMIN_NAMESPACES:
                names.add(route.name)
        elif route.name:
            names.add(route.name)
    names |= {route.name for _url, route in page_routes()}
    return names


def test_every_public_and_portal_admin_url_is_in_the_matrix(db):
    """A URL added without a row fails here: the matrix covers every URL the portal has."""
    missing = portal_url_names() - {row.name for row in TABLE}
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"


#: Wagtail's own admin URLs that answer any admin user. They show the person's own account,
#: static assets, or choosers and admin-API listings of pages, images and documents, which
#: Wagtail filters by its own permissions (representatives hold none on images and
#: documents; the site's pages are public anyway). The portal keeps no private data in
#: Wagtail images or documents — if it ever does, close these. Everything else of Wagtail's
#: (page editing, images, documents, users, groups, sites, settings, workflows, reports,
#: redirects...) is for superusers only in this portal.
WAGTAIL_OPEN_TO_REPRESENTATIVES = {
    "wagtailadmin_home",
    "wagtailadmin_account",
    "wagtailadmin_dismissibles",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
    # Password reset is public (anonymous visitors get it too).
    "wagtailadmin_password_reset",
    "wagtailadmin_password_reset_done",
    "wagtailadmin_password_reset_confirm",
    "wagtailadmin_password_reset_complete",
    # Link and page choosers of the rich-text editor.
    "wagtailadmin_choose_page",
    "wagtailadmin_choose_page_child",
    "wagtailadmin_choose_page_search",
    "wagtailadmin_choose_page_chosen_multiple",
    "wagtailadmin_choose_page_external_link",
    "wagtailadmin_choose_page_email_link",
    "wagtailadmin_choose_page_phone_link",
    "wagtailadmin_choose_page_anchor_link",
    "wagtailadmin_api:pages:listing",
    # Image and document choosers and listings: empty without a collection permission.
    "wagtailimages_chooser:choose",
    "wagtailimages_chooser:choose_results",
    "wagtailimages_chooser:chosen_multiple",
    "wagtaildocs_chooser:choose",
    "wagtaildocs_chooser:choose_results",
    "wagtaildocs_chooser:chosen_multiple",
    "wagtailadmin_api:images:listing",
    "wagtailadmin_api:documents:listing",
}
SWEEP_SUBJECTS = ("owner_creator", "issuer_issuer", "outsider_admin")


def wagtail_admin_paths(pk: int) -> list[tuple[str, str]]:
    found = {}
    for route in routes():
        if not route.route.startswith("admin/"):
            continue
        if route.name and route.name.split(":")[0] in PORTAL_ADMIN_NAMESPACES:
            continue
        found.setdefault(sample_path(route, pk), route.name or route.route)
    return sorted(found.items())


def test_wagtails_own_admin_areas_give_representatives_nothing(world, sign_in):
    """Every other admin URL of the resolver (GET, a real mikromerit's pk), for three representatives."""
    opened = []
    paths = wagtail_admin_paths(world.owner_mm.pk)
    assert len(paths) > 150
    for subject in SWEEP_SUBJECTS:
        client = sign_in(subject)
        # Wagtail's /admin/failwhale/ raises on purpose (to test error reporting): a 500, not a page.
        client.raise_request_exception = False
        for path, name in paths:
            if outcome(client.get(path)) == "200" and name not in WAGTAIL_OPEN_TO_REPRESENTATIVES:
                opened.append(f"{name} {path} as {subject}")
    assert not opened, "\n".join(opened)


# --- the documented table ----------------------------------------------------------------------

#: Column headings of the documented table.
SHORT = {
    "anonymous": "anon",
    "no_role": "none",
    **{
        f"{o}_{r}": f"{short}-{r}"
        for o, short in (("owner", "own"), ("issuer", "iss"), ("outsider", "out"))
        for r in ROLES
    },
    "holder": "H1",
    "other_holder": "H2",
}
DOC_START = "<!-- permission matrix: generated from tests/permissions/test_matrix.py -->"
DOC_END = "<!-- end of permission matrix -->"
REGENERATE = (
    "DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python -c 'import django; django.setup(); "
    "from tests.permissions.test_matrix import markdown_table; print(markdown_table())'"
)


def markdown_table() -> str:
    """The table as docs/security.md shows it (``REGENERATE`` prints it)."""
    head = ["area", "URL (object)", "method", *(SHORT[s] for s in SUBJECTS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in sorted(TABLE, key=lambda row: row.area):
        cells = [row.area, row.label, row.method.upper(), *(row.expected[s] for s in SUBJECTS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([DOC_START, *lines, DOC_END])


def test_the_documented_table_is_the_tested_table():
    text = (REPO_DIR / "docs" / "security.md").read_text(encoding="utf-8")
    assert DOC_START in text, "docs/security.md lacks the permission matrix"
    documented = text[text.index(DOC_START) : text.index(DOC_END) + len(DOC_END)]
    assert documented == markdown_table(), (
        f"docs/security.md's matrix differs from the test's: regenerate it with {REGENERATE}"
    )


def test_the_chooser_shows_no_other_organisations_draft(world, sign_in, organisations):
    """The matrix's finding, as content: a draft's title never reaches another organisation."""
    data = read_micromerit_workbook(workbook("fasadmalning.xlsx").read_bytes())
    draft = services.micromerit_import(
        data=dataclasses.replace(data, title="Hemligt utkast"), by=world.users["owner_creator"]
    )
    assert not draft.live
    for subject, sees in (
        ("owner_creator", True),
        ("issuer_issuer", False),
        ("outsider_creator", False),
    ):
        client = sign_in(subject)
        for name in ("choose", "choose_results"):
            html = client.get(reverse(f"{CHOOSER}:{name}")).content.decode()
            assert ("Hemligt utkast" in html) is sees, (subject, name)
        chosen = client.get(reverse(f"{CHOOSER}:chosen", args=[str(draft.pk)]))
        assert chosen.status_code == (200 if sees else 404), subject
        several = client.get(reverse(f"{CHOOSER}:chosen_multiple"), {"id": draft.pk})
        assert ("Hemligt utkast" in several.content.decode()) is sees, subject


def test_every_public_page_fits_the_strict_content_security_policy(world, sign_in, request):
    """Every public and holder page the table opens (as a holder, who sees the most): the strict
    policy is sent, and the HTML needs nothing it forbids."""
    from tests.permissions.test_headers import INLINE_HANDLER, INLINE_SCRIPT, STYLE_ATTRIBUTE

    request.getfixturevalue("bankid_simulator")
    checked = 0
    for row in TABLE:
        if row.area not in ("public", "holder", "bankid") or row.method != "get":
            continue
        for subject in ("anonymous", "holder", "other_holder"):
            if row.expected[subject] != "200":
                continue
            response = sign_in(subject).get(row.path(world))
            policy = response["Content-Security-Policy"]
            assert "'unsafe-inline'" not in policy and "script-src 'self'" in policy, row.label
            if response["Content-Type"].startswith("text/html"):
                html = response.content.decode()
                for pattern in (INLINE_SCRIPT, INLINE_HANDLER, STYLE_ATTRIBUTE):
                    found = pattern.search(html)
                    assert not found, f"{row.label} as {subject}: {found.group(0)}"
                checked += 1
    assert checked >= 15
