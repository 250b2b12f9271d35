"""The creator's work in the admin over HTTP: the four-step editor, Excel upload, template, export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from micromerits.excel import read_micromerit_workbook
from micromerits.models import Micromerit
from tests.conftest import workbook

SNIPPET = "wagtailsnippets_micromerits_micromerit"


def editor_post(owner, issuers, *, title="Fasadmålning med silikatfärg", outcomes=1, publish=False):
    """The POST the four-step editor sends."""
    data = {
        "title": title,
        "title_en": "",
        "description": "Innehavaren kan måla fasader.",
        "language": "sv",
        "country_region": "Sverige",
        "owner": str(owner.pk),
        "keywords": "måleri, fasad",
        "prerequisites": "",
        "workload_hours": "40",
        "ects_credits": "",
        "seqf_level": "4",
        "eqf_level": "",
        "assessment_type": "Praktiskt prov",
        "participation_form": "on_site",
        "quality_assurance": "Certifierad bedömare",
        "supervision": "supervised_id_on_site",
        "grading_scheme": "Godkänd/Underkänd",
        "stackability": "standalone",
        "part_of": "",
        "validity_months": "60",
        "further_information": "",
        "issuing_organisations": [str(org.pk) for org in issuers],
        "learning_outcomes-TOTAL_FORMS": str(outcomes),
        "learning_outcomes-INITIAL_FORMS": "0",
        "learning_outcomes-MIN_NUM_FORMS": "0",
        "learning_outcomes-MAX_NUM_FORMS": "1000",
    }
    for i in range(outcomes):
        data.update(
            {
                f"learning_outcomes-{i}-outcome_type": "skill",
                f"learning_outcomes-{i}-introduction": "Innehavaren kan",
                f"learning_outcomes-{i}-activity": "välja",
                f"learning_outcomes-{i}-content": "relevanta metoder och verktyg",
                f"learning_outcomes-{i}-quality_context": "för att måla fasader av puts och trä",
                f"learning_outcomes-{i}-ORDER": str(i + 1),
                f"learning_outcomes-{i}-DELETE": "",
                f"learning_outcomes-{i}-id": "",
            }
        )
    if publish:
        data["action-publish"] = "action-publish"
    return data


def test_the_editor_shows_the_four_steps(people, admin_login):
    response = admin_login(people["owner_creator"]).get(reverse(f"{SNIPPET}:add"))
    content = response.content.decode()
    assert response.status_code == 200
    positions = [
        content.index(step)
        for step in (
            "1 Grunduppgifter",
            "2 Beskriv lärandet",
            "3 Omfattning och kvalitet",
            "4 Utfärdare och publicering",
        )
    ]
    assert positions == sorted(positions)


def test_creator_creates_and_publishes_through_the_editor(people, organisations, admin_login):
    client = admin_login(people["owner_creator"])
    response = client.post(
        reverse(f"{SNIPPET}:add"),
        editor_post(organisations["owner"], [organisations["issuer"]], publish=True),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    micromerit = Micromerit.objects.get()
    assert micromerit.live
    assert micromerit.owner == organisations["owner"]
    assert micromerit.created_by == people["owner_creator"]
    assert micromerit.eqf_level == 4  # empty EQF = the SeQF level
    assert [r.organisation for r in micromerit.issuing_rights.active()] == [organisations["issuer"]]
    assert micromerit.learning_outcomes.get().sentence == (
        "Innehavaren kan välja relevanta metoder och verktyg för att måla fasader av puts och trä."
    )


def test_publishing_without_issuer_or_outcome_is_refused(people, organisations, admin_login):
    client = admin_login(people["owner_creator"])
    response = client.post(
        reverse(f"{SNIPPET}:add"),
        editor_post(organisations["owner"], [], outcomes=0, publish=True),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "minst en utfärdande organisation" in content
    assert "minst ett läranderesultat" in content
    assert not Micromerit.objects.exists()


def test_an_incomplete_draft_can_be_saved(people, organisations, admin_login):
    client = admin_login(people["owner_creator"])
    data = editor_post(organisations["owner"], [], outcomes=0)
    data.update({"description": "", "workload_hours": "", "assessment_type": ""})
    response = client.post(reverse(f"{SNIPPET}:add"), data)
    assert response.status_code == 302
    micromerit = Micromerit.objects.get()
    assert not micromerit.live


def test_creator_cannot_create_for_an_organisation_they_do_not_represent(
    people, organisations, admin_login
):
    client = admin_login(people["outsider_creator"])
    response = client.post(
        reverse(f"{SNIPPET}:add"),
        editor_post(organisations["owner"], [organisations["issuer"]], publish=True),
    )
    assert response.status_code == 200
    assert not Micromerit.objects.exists()


def test_owner_cannot_be_changed_after_creation(
    published_micromerit, people, organisations, admin_login
):
    client = admin_login(people["owner_creator"])
    data = editor_post(organisations["outsider"], [organisations["issuer"]], title="Nytt namn")
    client.post(reverse(f"{SNIPPET}:edit", args=[published_micromerit.pk]), data)
    published_micromerit.refresh_from_db()
    assert published_micromerit.owner == organisations["owner"]


def test_editing_a_published_micromerit_makes_a_draft_revision(
    published_micromerit, people, organisations, admin_login
):
    client = admin_login(people["owner_creator"])
    original_title = published_micromerit.title
    data = editor_post(organisations["owner"], [organisations["issuer"]], title="Ändrad titel")
    response = client.post(reverse(f"{SNIPPET}:edit", args=[published_micromerit.pk]), data)
    assert response.status_code == 302
    published_micromerit.refresh_from_db()
    assert published_micromerit.title == original_title  # the live content is unchanged
    assert published_micromerit.has_unpublished_changes
    assert published_micromerit.get_latest_revision_as_object().title == "Ändrad titel"


def upload(client, path_or_bytes, *, publish=True, name="mikromerit.xlsx"):
    content = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return client.post(
        reverse("micromerits_admin:import"),
        {"file": SimpleUploadedFile(name, content), "publish": "on" if publish else ""},
    )


def test_creator_uploads_a_workbook_and_it_publishes(people, organisations, admin_login):
    client = admin_login(people["owner_creator"])
    response = upload(client, workbook("fasadmalning.xlsx"))
    assert response.status_code == 302
    micromerit = Micromerit.objects.get()
    assert micromerit.live
    assert micromerit.issuing_rights.active().count() == 2


def test_a_broken_upload_lists_every_problem_and_saves_nothing(people, organisations, admin_login):
    book = openpyxl.load_workbook(workbook("fasadmalning.xlsx"))
    sheet = book["Mikromerit"]
    for row in sheet.iter_rows(min_row=2):
        label = str(row[0].value)
        if label.startswith("Titel *"):
            row[1].value = None
        if label.startswith("SeQF"):
            row[1].value = 9
        if label.startswith("Deltagandeform"):
            row[1].value = "Per brevduva"
    book["Utfärdare"]["A2"] = "999999-9999"
    buffer = io.BytesIO()
    book.save(buffer)

    client = admin_login(people["owner_creator"])
    response = upload(client, buffer.getvalue())
    content = response.content.decode()
    assert response.status_code == 200
    assert "Inget sparades" in content
    assert content.count("<li>") >= 4
    assert "Utfärdare, rad 2" in content
    assert not Micromerit.objects.exists()


def test_an_upload_that_is_not_a_workbook_is_refused(people, organisations, admin_login):
    client = admin_login(people["owner_creator"])
    response = upload(client, b"%PDF-1.4 not a workbook", name="intyg.pdf")
    assert response.status_code == 200
    assert "Inget sparades" in response.content.decode()
    assert not Micromerit.objects.exists()


def test_issuer_may_not_use_the_import(people, organisations, admin_login):
    client = admin_login(people["issuer"])
    response = upload(client, workbook("fasadmalning.xlsx"))
    assert response.status_code != 200 or "Inget sparades" not in response.content.decode()
    assert not Micromerit.objects.exists()


def test_template_download_is_a_workbook_that_reads_back_as_empty(people, admin_login):
    response = admin_login(people["owner_creator"]).get(reverse("micromerits_admin:template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["Mikromerit", "Läranderesultat", "Utfärdare"]


def test_round_trip_import_export_import_gives_the_same_micromerit(
    people, organisations, admin_login
):
    client = admin_login(people["owner_creator"])
    original = read_micromerit_workbook(workbook("fasadmalning.xlsx").read_bytes())
    upload(client, workbook("fasadmalning.xlsx"))
    first = Micromerit.objects.get()

    exported = client.get(reverse("micromerits_admin:export", args=[first.pk]))
    assert exported.status_code == 200
    again = read_micromerit_workbook(exported.content)
    assert again.model_field_values() == original.model_field_values()
    assert again.outcomes == [
        type(o)(**{**o.__dict__, "row": a.row})
        for o, a in zip(original.outcomes, again.outcomes, strict=True)
    ]
    assert [i.orgnr for i in again.issuers] == [i.orgnr for i in original.issuers]

    upload(client, exported.content)
    second = Micromerit.objects.exclude(pk=first.pk).get()
    fields = list(original.model_field_values())
    assert {f: getattr(second, f) for f in fields} == {f: getattr(first, f) for f in fields}
    assert [o.sentence for o in second.learning_outcomes.all()] == [
        o.sentence for o in first.learning_outcomes.all()
    ]


@pytest.mark.parametrize("person", ["outsider_creator", "issuer"])
def test_issuing_rights_screen_is_the_owners_alone(
    person, published_micromerit, people, admin_login
):
    response = admin_login(people[person]).get(
        reverse("micromerits_admin:issuing_rights", args=[published_micromerit.pk])
    )
    assert response.status_code != 200


def test_owner_grants_and_withdraws_on_the_issuing_rights_screen(
    published_micromerit, people, organisations, admin_login
):
    client = admin_login(people["owner_creator"])
    url = reverse("micromerits_admin:issuing_rights", args=[published_micromerit.pk])
    response = client.post(url, {"organisation": organisations["outsider"].pk})
    assert response.status_code == 302
    right = published_micromerit.issuing_rights.active().get(organisation=organisations["outsider"])
    response = client.post(
        reverse(
            "micromerits_admin:issuing_right_withdraw", args=[published_micromerit.pk, right.pk]
        )
    )
    assert response.status_code == 302
    right.refresh_from_db()
    assert not right.is_active
    page = client.get(url).content.decode()
    assert organisations["outsider"].name in page
