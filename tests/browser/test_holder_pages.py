"""Browser test of the holder's pages: share a credential, open the link as someone else, withdraw it.

The holder's session is made as the BankID login makes it (``holder_login``)
and handed to Chromium as its cookie; the BankID journey itself is in
``test_journey.py``. axe-core checks the holder's page and the public shared page.
"""

from __future__ import annotations

import re

from django.conf import settings
from playwright.sync_api import expect

from tests.browser.support import axe_check
from tests.micromerits.holder_helpers import SOFIA, log_in_holder

#: The holder-side fixtures (credential, other_credential).
pytest_plugins = ["tests.micromerits.holder_fixtures"]


class CookieJar:
    """Enough of a test client for ``log_in_holder``: somewhere to put the session cookie."""

    def __init__(self):
        self.cookies = {}


def test_a_holder_shares_a_credential_and_withdraws_the_link(
    new_page, live_server, screenshots, credential
):
    jar = CookieJar()
    log_in_holder(jar, SOFIA)
    holder = new_page()
    holder.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": jar.cookies[settings.SESSION_COOKIE_NAME],
                "url": live_server.url,
            }
        ]
    )

    holder.goto("/mina-mikromeriter/")
    expect(holder.get_by_role("heading", name="Mina mikromeriter", level=1)).to_be_visible()
    screenshots(holder, "mina-mikromeriter")
    axe_check(holder, "mina-mikromeriter-lista")
    holder.get_by_role("link", name=credential.title).click()
    expect(holder.get_by_role("heading", name=credential.title, level=1)).to_be_visible()
    expect(holder.get_by_role("link", name="Lägg till i LinkedIn")).to_have_attribute(
        "href", re.compile(r"^https://www\.linkedin\.com/profile/add\?")
    )
    holder.get_by_label("Anteckning (valfri)").fill("Till rekryteraren")
    holder.get_by_role("button", name="Skapa länk").click()
    link = holder.locator("#new-link-url").input_value()
    assert "/delad/" in link
    screenshots(holder, "ny-delningslank")
    axe_check(holder, "mina-mikromeriter-detalj")

    visitor = new_page()
    visitor.goto(link.replace(settings.WAGTAILADMIN_BASE_URL.rstrip("/"), ""))
    expect(visitor.get_by_role("heading", name=credential.title, level=1)).to_be_visible()
    expect(visitor.locator(".verdict")).to_be_visible()
    assert SOFIA not in visitor.content()
    screenshots(visitor, "delad-sida")
    axe_check(visitor, "delad-sida")

    holder.get_by_role("button", name="Återkalla").click()
    expect(holder.get_by_text("Återkallad")).to_be_visible()
    visitor.reload()
    expect(visitor.get_by_role("heading", name="Länken fungerar inte")).to_be_visible()
    screenshots(visitor, "aterkallad-lank")
