"""Security headers: a strict Content-Security-Policy on public pages, the admin's own, cookies, framing, referrer."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

PUBLIC_PAGES = ["/", "/verifiera/", "/logga-in/", "/katalog/"]


def directives(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_the_strict_policy_and_the_other_headers(client, db, path):
    # /logga-in/ answers 503 without a BankID service; the headers are the same.
    response = client.get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_need_nothing_the_policy_forbids(client, db, path):
    """What the strict policy would block: inline scripts, event handler attributes, style attributes."""
    response = client.get(path, follow=True)
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)
    assert not STYLE_ATTRIBUTE.search(html), STYLE_ATTRIBUTE.search(html)


def test_the_admin_has_its_own_policy(people, admin_login):
    response = admin_login(people["owner_creator"]).get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_admin_login_page_also_gets_the_admin_policy(client, db):
    response = client.get(reverse("wagtailadmin_login"))
    assert response.status_code == 200
    assert "'unsafe-inline'" in directives(response["Content-Security-Policy"])["script-src"]


def test_session_and_csrf_cookies_are_httponly_and_samesite(client, people):
    page = client.get(reverse("wagtailadmin_login"))
    csrf = page.cookies["csrftoken"]
    assert csrf["httponly"]
    assert csrf["samesite"] == "Lax"
    response = client.post(
        reverse("wagtailadmin_login"),
        {"username": people["owner_creator"].username, "password": "correct-horse-battery"},
    )
    session = response.cookies["sessionid"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"


def test_production_makes_cookies_secure_and_sets_hsts(settings, client, db):
    """The production values (tested in full in test_production) applied to a real response."""
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.CSRF_COOKIE_SECURE = True
    response = client.get(reverse("wagtailadmin_login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.cookies["csrftoken"]["secure"]
