"""The public catalogue: only published mikromeriter, their published content, search and filters."""

from __future__ import annotations

import dataclasses
import re

import pytest

from cms.models import CataloguePage, HomePage
from micromerits import services
from micromerits.excel import read_micromerit_workbook
from micromerits.models import Micromerit
from tests.conftest import workbook

CATALOGUE = "/katalog/"
FASAD = "Fasadmålning med silikat- och linoljefärg"
KUNDMOTE = "Kundmöte i butik på svenska och engelska"


def fasad_data(**changes):
    data = read_micromerit_workbook(workbook("fasadmalning.xlsx").read_bytes())
    return dataclasses.replace(data, **changes)


@pytest.fixture
def catalogue(published_micromerit, people, organisations):
    """Fasadmålning (published, with a newer draft), Kundmöte i butik (published by the
    outsider organisation), a never-published draft and a withdrawn (unpublished) one."""
    kundmote = services.micromerit_import(
        data=read_micromerit_workbook(workbook("kundmote-i-butik.xlsx").read_bytes()),
        by=people["outsider_creator"],
        publish=True,
    )
    draft_only = services.micromerit_import(
        data=fasad_data(title="Fönsterrenovering, utkast"),
        by=people["owner_creator"],
        publish=False,
    )
    unpublished = services.micromerit_import(
        data=fasad_data(title="Takmålning, indragen"), by=people["owner_creator"], publish=True
    )
    unpublished.unpublish(user=people["owner_creator"])
    # A draft of the published Fasadmålning: new title and a changed learning outcome.
    draft = published_micromerit.get_latest_revision_as_object()
    draft.title = "Hemligt utkast om fasader"
    outcomes = list(draft.learning_outcomes.all())
    outcomes[0].content = "hemliga utkastmetoder"
    draft.learning_outcomes = outcomes
    draft.save_revision(user=people["owner_creator"])
    return {
        "fasad": published_micromerit,
        "kundmote": kundmote,
        "draft_only": draft_only,
        "unpublished": unpublished,
    }


def titles(response) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', response.content.decode())


def test_the_catalogue_page_exists_under_the_home_page_and_is_linked_from_it(client, db):
    page = CataloguePage.objects.get()
    assert page.get_parent().specific_class is HomePage
    assert page.url == CATALOGUE
    home = client.get("/")
    assert f'href="{CATALOGUE}"' in home.content.decode()


def test_the_catalogue_lists_only_published_micromerits(client, catalogue):
    response = client.get(CATALOGUE)
    assert response.status_code == 200
    assert titles(response) == [FASAD, KUNDMOTE]
    body = response.content.decode()
    assert "Fönsterrenovering" not in body
    assert "Takmålning" not in body
    assert "Hemligt utkast" not in body


def test_a_micromerit_with_a_draft_shows_its_published_text(client, catalogue):
    response = client.get(f"{CATALOGUE}{catalogue['fasad'].pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<h1>{FASAD}</h1>" in body
    assert (
        "Innehavaren kan välja relevanta metoder och verktyg för att måla fasader av puts och trä."
        in body
    )
    assert "hemliga utkastmetoder" not in body and "Hemligt utkast" not in body
    # The issuers are the organisations with an active issuing right.
    assert "Norrbyggs Måleri AB" in body and "Yrkesvalidering Mitt AB" in body
    assert "Praktiskt prov på arbetsplats och muntlig redovisning" in body  # assessment
    assert "40 timmar" in body  # scope


def test_drafts_and_unpublished_micromerits_have_no_page(client, catalogue):
    for name in ("draft_only", "unpublished"):
        assert client.get(f"{CATALOGUE}{catalogue[name].pk}/").status_code == 404
    assert client.get(f"{CATALOGUE}999999/").status_code == 404


def test_the_search_finds_a_micromerit_by_a_word_in_a_learning_outcome(client, catalogue):
    # "konsumentköplagen" is only in a learning outcome of Kundmöte i butik.
    assert titles(client.get(CATALOGUE, {"q": "konsumentköplagen"})) == [KUNDMOTE]
    # "grundning" only in one of Fasadmålning's.
    assert titles(client.get(CATALOGUE, {"q": "grundning"})) == [FASAD]
    # Words of drafts and unpublished mikromeriter are not found.
    assert titles(client.get(CATALOGUE, {"q": "utkastmetoder"})) == []
    assert titles(client.get(CATALOGUE, {"q": "Takmålning"})) == []


def test_the_filters_narrow_the_catalogue(client, catalogue, organisations):
    assert titles(client.get(CATALOGUE, {"level": "2"})) == [KUNDMOTE]
    assert titles(client.get(CATALOGUE, {"level": "4"})) == [FASAD]
    assert titles(client.get(CATALOGUE, {"participation": "blended"})) == [KUNDMOTE]
    assert titles(client.get(CATALOGUE, {"participation": "on_site"})) == [FASAD]
    assert titles(client.get(CATALOGUE, {"keyword": "silikatfärg"})) == [FASAD]
    assert titles(client.get(CATALOGUE, {"keyword": "kundmöte"})) == [KUNDMOTE]
    # An organisation: the owner's and those it may issue.
    assert titles(client.get(CATALOGUE, {"organisation": organisations["owner"].pk})) == [FASAD]
    assert titles(client.get(CATALOGUE, {"organisation": organisations["issuer"].pk})) == [FASAD]
    assert titles(
        client.get(CATALOGUE, {"organisation": organisations["outsider"].pk, "q": "kunder"})
    ) == [KUNDMOTE]


def test_bad_filter_values_get_a_swedish_message_and_change_nothing(client, catalogue):
    response = client.get(CATALOGUE, {"level": "9", "organisation": "nonsense"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Något i sökningen var fel" in body
    assert titles(response) == [FASAD, KUNDMOTE]


def test_the_public_pages_have_no_inline_script_or_style(client, catalogue):
    for url in (CATALOGUE, f"{CATALOGUE}{catalogue['fasad'].pk}/", "/"):
        body = client.get(url).content.decode()
        assert "<script" not in body
        assert "style=" not in body
        assert not re.search(r"\son[a-z]+=", body)


def test_a_withdrawn_issuing_right_is_not_listed_among_the_issuers(
    client, catalogue, people, organisations
):
    services.issuing_rights_set(
        micromerit=Micromerit.objects.get(pk=catalogue["fasad"].pk),
        organisations=[organisations["issuer"]],
        by=people["owner_creator"],
    )
    body = client.get(f"{CATALOGUE}{catalogue['fasad'].pk}/").content.decode()
    assert "Norrbyggs Måleri AB" in body
    assert "Yrkesvalidering Mitt AB" not in body


def test_a_learning_outcome_changed_and_published_again_is_found_by_its_new_words(
    client, published_micromerit, people
):
    draft = published_micromerit.get_latest_revision_as_object()
    outcomes = list(draft.learning_outcomes.all())
    outcomes[0].content = "zebrarandiga fasader"
    draft.learning_outcomes = outcomes
    draft.save_revision(user=people["owner_creator"]).publish(user=people["owner_creator"])
    assert titles(client.get(CATALOGUE, {"q": "zebrarandiga"})) == [FASAD]
