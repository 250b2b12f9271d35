"""The "Utfärda" area of the admin, over HTTP: issuing by form and upload, the read-only listing.

Three organisations as everywhere: the owner of Fasadmålning (holds no issuing
right), a delegated issuer (Norrbyggs Måleri, with a second issuer beside it),
and an outsider. People are Skatteverket test numbers or born 1890–1899.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from bench.common import people_born_1890s
from micromerits import crypto, services
from micromerits.issuance import add_months
from micromerits.issuer_views import LOG_EXPORT, PendingUpload
from micromerits.models import Credential, IssuanceBatch, PendingRecipientList, Recipient
from permissions.models import Role

#: From Skatteverket's published test numbers (shared/data/testpersonnummer.csv).
SOFIA = "189001079806"
LARS = "189001089813"
#: A 10-digit number of someone over a hundred takes "+" ("-" would mean 1990).
SOFIA_FORMS = ("189001079806", "18900107-9806", "900107+9806", " 18900107 9806 ")

HEADER = ["Förnamn *", "Efternamn *", "Personnummer *", "E-post *", "Bedömningsdatum *", "Betyg"]
FIELDS_COMPARED = (
    "micromerit_id",
    "version_id",
    "recipient_id",
    "issuer_id",
    "issued_by_id",
    "issued_on",
    "assessment_date",
    "identity_check",
    "assessment",
    "grade",
    "best_before",
    "comment",
)


@pytest.fixture
def outsider_issuer(organisations, make_representative):
    return make_representative("outsider-issuer", organisations["outsider"], Role.ISSUER)


@pytest.fixture
def second_issuer(organisations, make_representative):
    return make_representative("second-issuer", organisations["second_issuer"], Role.ISSUER)


def assessed() -> str:
    return (timezone.localdate() - timedelta(days=3)).isoformat()


def person_form(**extra) -> dict:
    values = {
        "personnummer": "18900107-9806",
        "first_name": "Sofia",
        "last_name": "Ek",
        "email": "sofia.ek@example.se",
        "assessment_date": assessed(),
        "identity_check": "Körkort kontrollerat på plats",
        "assessment": "Praktiskt prov på arbetsplats",
        "grade": "Godkänd",
        "best_before": "",
        "comment": "Mycket noggrann",
    }
    values.update(extra)
    return values


def workbook(rows: list[list], header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Mottagare"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, micromerit, content: bytes, filename="mottagare.xlsx", **extra):
    data = {
        "file": SimpleUploadedFile(filename, content),
        "identity_check": "Körkort kontrollerat på plats",
        "assessment": "Praktiskt prov på arbetsplats",
    }
    data.update(extra)
    return client.post(reverse("micromerits_admin:issue_upload", args=[micromerit.pk]), data)


def issue_url(name: str, micromerit) -> str:
    return reverse(f"micromerits_admin:issue_{name}", args=[micromerit.pk])


def body(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def issue_by_form(client, micromerit, **extra):
    return client.post(issue_url("person", micromerit), person_form(**extra))


# --- what an issuer sees ---------------------------------------------------------


def test_an_issuer_sees_the_mikromeriter_their_organisation_may_issue_with_both_ways(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    response = client.get(reverse("micromerits_admin:issue_index"))
    assert response.status_code == 200
    page = body(response)
    assert published_micromerit.title in page
    assert issue_url("person", published_micromerit) in page
    assert issue_url("upload", published_micromerit) in page
    assert "Utfärda till en person" in page and "Ladda upp mottagarlista" in page


def test_the_utfarda_menu_item_is_shown_only_to_people_who_may_issue_something(
    published_micromerit, people, admin_login, client
):
    index = reverse("micromerits_admin:issue_index")
    assert index in body(admin_login(people["issuer"]).get(reverse("wagtailadmin_home")))
    for person in ("owner_creator", "owner_issuer", "outsider_creator"):
        client.logout()
        home = body(admin_login(people[person]).get(reverse("wagtailadmin_home")))
        assert index not in home, person


def test_a_mikromerit_whose_right_was_withdrawn_is_no_longer_listed(
    published_micromerit, organisations, people, admin_login
):
    right = published_micromerit.issuing_rights.active().get(organisation=organisations["issuer"])
    services.issuing_right_withdraw(right=right, by=people["owner_creator"])
    response = admin_login(people["issuer"]).get(reverse("micromerits_admin:issue_index"))
    assert response.status_code != 200
    assert published_micromerit.title not in body(response)


# --- the three ways give the same credential ------------------------------------------


def test_the_form_the_upload_and_the_command_give_the_same_credentials(
    published_micromerit, people, admin_login, tmp_path
):
    client = admin_login(people["issuer"])
    comment = "Mycket noggrann"
    identity, assessment = "Körkort kontrollerat på plats", "Praktiskt prov på arbetsplats"

    response = issue_by_form(client, published_micromerit)
    assert response.status_code == 302, body(response)

    header = [*HEADER, "Kommentar"]
    row = ["Sofia", "Ek", "900107+9806", "sofia.ek@example.se", assessed(), "Godkänd", comment]
    response = upload(client, published_micromerit, workbook([row], header))
    assert response.status_code == 302
    preview = client.get(response.url)
    assert preview.status_code == 200
    assert client.post(response.url, {"confirm": "1"}).status_code == 302

    path = tmp_path / "mottagare.csv"
    path.write_text(
        ";".join(header) + "\n" + ";".join(row).replace("900107+9806", SOFIA) + "\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command(
        "issue_credentials",
        str(published_micromerit.pk),
        str(path),
        user="issuer",
        identity_check=identity,
        assessment=assessment,
        stdout=out,
    )
    assert out.getvalue().startswith("credential ")

    by_source = {
        batch.source: Credential.objects.get(batch=batch) for batch in IssuanceBatch.objects.all()
    }
    assert set(by_source) == {"form", "upload", "command"}
    form, uploaded, command = by_source["form"], by_source["upload"], by_source["command"]
    for field in FIELDS_COMPARED:
        assert getattr(form, field) == getattr(uploaded, field) == getattr(command, field), field
    assert form.grade == "Godkänd"
    assert form.comment == comment
    assert form.best_before == add_months(form.issued_on, 60)
    assert Recipient.objects.count() == 1
    assert len({form.public_id, uploaded.public_id, command.public_id}) == 3


@pytest.mark.parametrize("number", SOFIA_FORMS)
def test_the_form_accepts_every_way_of_writing_a_personnummer(
    number, published_micromerit, people, admin_login
):
    response = issue_by_form(
        admin_login(people["issuer"]), published_micromerit, personnummer=number
    )
    assert response.status_code == 302
    assert Credential.objects.get().recipient.personnummer == SOFIA


def test_the_form_offers_the_grades_of_the_grading_scheme(
    published_micromerit, people, admin_login
):
    page = body(admin_login(people["issuer"]).get(issue_url("person", published_micromerit)))
    assert re.search(r'<option value="Godkänd"', page)
    assert re.search(r'<option value="Underkänd"', page)


def test_bad_input_in_the_form_is_explained_on_its_field_and_saves_nothing(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = issue_by_form(
        client,
        published_micromerit,
        personnummer="18900107-9807",
        email="inte-en-adress",
        assessment_date=future,
    )
    assert response.status_code == 200
    page = body(response)
    assert "Ogiltigt personnummer eller samordningsnummer" in page
    assert "E-postadressen är inte giltig" in page
    assert "Bedömningsdatum får inte vara senare än i dag" in page
    assert "18900107-9807" not in re.sub(r'value="[^"]*"', "", page)  # only in the input field
    assert not Credential.objects.exists()
    assert not Recipient.objects.exists()


def test_an_issuer_for_two_organisations_chooses_which_one_issues(
    published_micromerit, organisations, people, admin_login
):
    from permissions.services import representative_add

    issuer = people["issuer"]
    representative_add(user=issuer, organisation=organisations["second_issuer"], role=Role.ISSUER)
    client = admin_login(issuer)
    assert 'name="organisation"' in body(client.get(issue_url("person", published_micromerit)))
    response = issue_by_form(client, published_micromerit)
    assert response.status_code == 200
    assert not Credential.objects.exists()
    response = issue_by_form(
        client, published_micromerit, organisation=organisations["second_issuer"].pk
    )
    assert response.status_code == 302
    assert Credential.objects.get().issuer == organisations["second_issuer"]


def test_an_organisation_an_issuer_does_not_represent_cannot_be_chosen(
    published_micromerit, organisations, people, admin_login
):
    response = issue_by_form(
        admin_login(people["issuer"]),
        published_micromerit,
        organisation=organisations["second_issuer"].pk,
    )
    # One organisation: the field is not even there, so the issuer's own is used.
    assert response.status_code == 302
    assert Credential.objects.get().issuer == organisations["issuer"]


# --- refusals -------------------------------------------------------------------


def _withdraw(micromerit, organisations, people):
    right = micromerit.issuing_rights.active().get(organisation=organisations["issuer"])
    services.issuing_right_withdraw(right=right, by=people["owner_creator"])


def _unpublish(micromerit, organisations, people):
    micromerit.unpublish(user=people["owner_creator"])


REFUSALS = {
    # who tries, and what happened before
    "an organisation without the right": ("outsider_issuer", None),
    "a withdrawn right": ("issuer", _withdraw),
    "an unpublished mikromerit": ("issuer", _unpublish),
    "the owner's own creator": ("owner_creator", None),
    "the owner's own issuer": ("owner_issuer", None),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_issuing_is_refused_in_every_view_and_nothing_is_saved(
    case, published_micromerit, organisations, people, outsider_issuer, admin_login
):
    who, before = REFUSALS[case]
    if before:
        before(published_micromerit, organisations, people)
    user = outsider_issuer if who == "outsider_issuer" else people[who]
    client = admin_login(user)

    for name in ("person", "upload"):
        response = client.get(issue_url(name, published_micromerit))
        assert response.status_code in (302, 403, 404), (case, name)
    response = issue_by_form(client, published_micromerit)
    assert response.status_code in (302, 403, 404), case
    response = upload(
        client,
        published_micromerit,
        workbook([["Sofia", "Ek", SOFIA, "sofia.ek@example.se", assessed(), "Godkänd"]]),
    )
    assert response.status_code in (302, 403, 404), case
    assert "/upload/" not in response.get("Location", ""), case  # no preview was made

    assert not Credential.objects.exists(), case
    assert not Recipient.objects.exists(), case
    assert not IssuanceBatch.objects.exists(), case


def test_a_right_withdrawn_between_preview_and_confirm_issues_nothing(
    published_micromerit, organisations, people, admin_login
):
    client = admin_login(people["issuer"])
    response = upload(
        client,
        published_micromerit,
        workbook([["Sofia", "Ek", SOFIA, "sofia.ek@example.se", assessed(), "Godkänd"]]),
    )
    preview_url = response.url
    assert "Bekräfta och utfärda 1 mikromerit" in body(client.get(preview_url))
    _withdraw(published_micromerit, organisations, people)
    response = client.post(preview_url, {"confirm": "1"})
    assert response.status_code != 200
    assert not Credential.objects.exists()
    assert not IssuanceBatch.objects.exists()


# --- uploads ---------------------------------------------------------------------


def test_a_list_with_one_bad_row_issues_nothing_and_the_preview_names_row_and_column(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    rows = [
        ["Sofia", "Ek", SOFIA, "sofia.ek@example.se", assessed(), "Godkänd"],
        ["Lars", "Berg", "18900108-9814", "lars.berg@example.se", assessed(), "Godkänd"],
        ["Anna", "Lind", "18900101-9802", "anna.lind@example.se", assessed(), "Utmärkt"],
    ]
    response = upload(client, published_micromerit, workbook(rows))
    assert response.status_code == 302
    preview_url = response.url
    assert "/upload/" in preview_url
    # Nothing is saved before confirmation: only the encrypted file waits, under a hashed token.
    assert not Credential.objects.exists() and not Recipient.objects.exists()
    [waiting] = PendingRecipientList.objects.all()
    assert "Lars" not in waiting.content and "8900108" not in waiting.content
    assert preview_url.rstrip("/").rsplit("/", 1)[1] not in waiting.token_hash

    response = client.get(preview_url)
    assert response.status_code == 200
    page = body(response)
    assert "Mottagare, rad 3, kolumn C: Ogiltigt personnummer" in page
    assert "Mottagare, rad 4, kolumn F: Betyget finns inte i mikromeritens betygsskala" in page
    assert 'id="row-3" class="preview-row-problem"' in page
    assert 'id="row-2" class="preview-row-problem"' not in page
    assert "Listan har 2 fel" in page
    assert 'name="confirm"' not in page
    # The personnummer is shown masked in the preview, never whole.
    assert SOFIA not in page and "18900108-9814" not in page
    assert "18900107****" in page

    response = client.post(preview_url, {"confirm": "1"})
    assert response.status_code == 200
    assert "Mottagare, rad 3, kolumn C" in body(response)
    assert not Credential.objects.exists()
    assert not IssuanceBatch.objects.exists()
    assert not Recipient.objects.exists()


def test_a_list_with_the_same_person_twice_names_both_rows(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    rows = [
        ["Sofia", "Ek", SOFIA, "sofia.ek@example.se", assessed(), "Godkänd"],
        ["Sofia", "Ek", "900107+9806", "sofia.ek@example.se", assessed(), "Godkänd"],
    ]
    response = client.get(upload(client, published_micromerit, workbook(rows)).url)
    assert "på rad 2 och rad 3" in body(response)
    assert not Credential.objects.exists()


def test_a_file_that_is_not_a_list_is_explained_and_issues_nothing(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    response = upload(client, published_micromerit, b"\x00\x01 not a workbook", "lista.xlsx")
    page = body(client.get(response.url))
    assert "Filen är inte en Excelfil (.xlsx)" in page
    assert 'name="confirm"' not in page
    response = upload(client, published_micromerit, b"x", "lista.pdf")
    assert "Filtypen stöds inte" in body(client.get(response.url))
    assert not Credential.objects.exists()


def test_a_good_list_of_two_thousand_people_issues_in_one_go(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    numbers = people_born_1890s(2000)
    rows = [
        [f"Person{n}", "Testsson", number, f"person{n}@example.se", assessed(), "Godkänd"]
        for n, number in enumerate(numbers)
    ]
    response = upload(client, published_micromerit, workbook(rows))
    preview = client.get(response.url)
    assert preview.status_code == 200
    assert "Listan är felfri: 2000 mottagare" in body(preview)

    confirmed = client.post(response.url, {"confirm": "1"})
    assert confirmed.status_code == 302
    assert Credential.objects.count() == 2000
    [batch] = IssuanceBatch.objects.all()
    assert batch.source == "upload" and batch.size == 2000 and batch.filename == "mottagare.xlsx"
    assert Recipient.objects.count() == 2000
    # The waiting file is gone once the list is issued; confirming again issues nothing more.
    assert not PendingRecipientList.objects.exists()
    again = client.post(response.url, {"confirm": "1"})
    assert again.status_code == 302
    assert Credential.objects.count() == 2000


def test_a_csv_list_with_semicolons_is_issued_like_a_workbook(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    text = ";".join(HEADER) + "\n" + f"Lars;Berg;{LARS};lars.berg@example.se;{assessed()};\n"
    response = upload(client, published_micromerit, text.encode("utf-8"), "lista.csv")
    assert client.post(response.url, {"confirm": "1"}).status_code == 302
    assert Credential.objects.get().recipient.personnummer == LARS


def test_another_person_cannot_see_or_confirm_someone_elses_upload(
    published_micromerit, organisations, people, admin_login, make_representative, client
):
    colleague = make_representative("colleague", organisations["issuer"], Role.ISSUER)
    response = upload(
        admin_login(people["issuer"]),
        published_micromerit,
        workbook([["Sofia", "Ek", SOFIA, "sofia.ek@example.se", assessed(), "Godkänd"]]),
    )
    preview_url = response.url
    client.logout()
    other = admin_login(colleague)
    assert other.get(preview_url).status_code == 302
    assert other.post(preview_url, {"confirm": "1"}).status_code == 302
    assert not Credential.objects.exists()
    forged = preview_url.rstrip("/").rsplit("/", 1)[0] + "/" + "A" * 43 + "/"
    assert other.get(forged).status_code == 302
    assert other.get(preview_url.replace("/upload/", "/upload/../")).status_code in (302, 404)


def test_an_expired_or_discarded_upload_is_gone(published_micromerit, people, admin_login):
    client = admin_login(people["issuer"])
    content = workbook([["Sofia", "Ek", SOFIA, "sofia.ek@example.se", assessed(), "Godkänd"]])
    preview_url = upload(client, published_micromerit, content).url
    assert client.post(preview_url, {"discard": "1"}).status_code == 302
    assert not PendingRecipientList.objects.exists()
    assert client.post(preview_url, {"confirm": "1"}).status_code == 302
    assert not Credential.objects.exists()
    token = preview_url.rstrip("/").rsplit("/", 1)[1]
    assert PendingUpload.load(token, user=people["issuer"], micromerit=published_micromerit) is None


def test_an_upload_older_than_an_hour_cannot_be_confirmed(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    content = workbook([["Sofia", "Ek", SOFIA, "sofia.ek@example.se", assessed(), "Godkänd"]])
    preview_url = upload(client, published_micromerit, content).url
    waiting = PendingRecipientList.objects.get()
    two_hours_ago = int(time.time()) - 2 * 60 * 60
    waiting.content = crypto.keyring().fernet.encrypt_at_time(content, two_hours_ago).decode()
    waiting.save()

    response = client.post(preview_url, {"confirm": "1"})
    assert response.status_code == 302
    assert response.url == issue_url("upload", published_micromerit)
    assert not Credential.objects.exists()
    assert not PendingRecipientList.objects.exists()


# --- the listing of what was issued ------------------------------------------------------


@pytest.fixture
def issued(published_micromerit, people, second_issuer, admin_login, client):
    """One credential issued by the issuer (Sofia) and one by the second issuer (Lars)."""
    assert issue_by_form(admin_login(people["issuer"]), published_micromerit).status_code == 302
    client.logout()
    response = issue_by_form(
        admin_login(second_issuer),
        published_micromerit,
        personnummer=LARS,
        first_name="Lars",
        last_name="Berg",
        email="lars.berg@example.se",
    )
    assert response.status_code == 302
    client.logout()
    return {
        "issuer": Credential.objects.get(issued_by=people["issuer"]),
        "second_issuer": Credential.objects.get(issued_by=second_issuer),
    }


def test_the_listing_shows_only_the_users_organisations_credentials(issued, people, admin_login):
    client = admin_login(people["issuer"])
    response = client.get(reverse("issued_credentials:index"))
    assert response.status_code == 200
    page = body(response)
    assert "Sofia Ek" in page
    assert "Lars Berg" not in page
    assert f"/verifiera/{issued['issuer'].public_id}/" in page
    assert issued["second_issuer"].public_id not in page


def test_an_organisation_administrator_sees_what_the_organisation_issued(
    issued, organisations, make_representative, admin_login
):
    admin = make_representative("issuer-admin", organisations["issuer"], Role.ADMIN)
    page = body(admin_login(admin).get(reverse("issued_credentials:index")))
    assert "Sofia Ek" in page and "Lars Berg" not in page


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_exports_show_only_own_credentials_and_no_personnummer(export, issued, people, admin_login):
    client = admin_login(people["issuer"])
    response = client.get(reverse("issued_credentials:index") + f"?export={export}")
    assert response.status_code == 200
    if export == "csv":
        rows = list(csv.reader(io.StringIO(body(response))))
    else:
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    assert len(rows) == 2  # heading + one credential
    assert "Personnummer" not in rows[0]
    assert "Sofia" in text and "1890-01-07" in text
    assert "Lars" not in text and issued["second_issuer"].public_id not in text
    assert f"/verifiera/{issued['issuer'].public_id}/" in text
    digits = re.sub(r"\D", "", text)
    for number in (SOFIA, SOFIA[2:], LARS, LARS[2:]):
        assert number not in digits
    assert ModelLogEntry.objects.filter(action=LOG_EXPORT).count() == 1


def test_a_csv_export_does_not_hand_a_formula_to_the_spreadsheet(
    published_micromerit, people, admin_login
):
    client = admin_login(people["issuer"])
    response = issue_by_form(client, published_micromerit, comment="=HYPERLINK(1)")
    assert response.status_code == 302
    export = body(client.get(reverse("issued_credentials:index") + "?export=csv"))
    assert "'=HYPERLINK(1)" in export


def test_the_listing_filters_by_mikromerit_period_and_organisation(
    issued, organisations, people, published_micromerit, admin_login
):
    from permissions.services import representative_add

    representative_add(
        user=people["issuer"], organisation=organisations["second_issuer"], role=Role.ISSUER
    )
    client = admin_login(people["issuer"])
    index = reverse("issued_credentials:index")
    assert "Lars Berg" in body(client.get(index))

    own = body(client.get(index, {"issuer": organisations["issuer"].pk}))
    assert "Sofia Ek" in own and "Lars Berg" not in own
    today = timezone.localdate()
    same = body(
        client.get(
            index, {"micromerit": published_micromerit.pk, "issued_on_from": today.isoformat()}
        )
    )
    assert "Sofia Ek" in same and "Lars Berg" in same
    earlier = body(client.get(index, {"issued_on_to": (today - timedelta(days=1)).isoformat()}))
    assert "Sofia Ek" not in earlier and "Lars Berg" not in earlier
    # Another organisation's id is not a choice: the filter refuses it instead of leaking.
    foreign = body(client.get(index, {"issuer": organisations["outsider"].pk}))
    assert "Sofia Ek" not in foreign or "Välj ett giltigt alternativ" in foreign


def test_the_inspect_view_shows_name_birth_date_and_verification_url_never_the_personnummer(
    issued, people, admin_login
):
    credential = issued["issuer"]
    response = admin_login(people["issuer"]).get(
        reverse("issued_credentials:inspect", args=[credential.pk])
    )
    assert response.status_code == 200
    page = body(response)
    assert "Sofia Ek" in page
    assert "1890-01-07" in page
    assert f"/verifiera/{credential.public_id}/" in page
    assert "Körkort kontrollerat på plats" in page
    digits = re.sub(r"\D", "", page)
    assert SOFIA not in digits and SOFIA[2:] not in digits


def test_another_organisations_credential_is_out_of_reach_even_by_id(issued, people, admin_login):
    client = admin_login(people["issuer"])
    for pk in (issued["second_issuer"].pk, 999_999):
        response = client.get(reverse("issued_credentials:inspect", args=[pk]))
        assert response.status_code == 404
        assert "Lars" not in body(response)


def test_no_admin_view_lets_anyone_change_or_delete_a_credential(
    issued, people, admin_login, make_user, client
):
    credential = issued["issuer"]
    before = {field: getattr(credential, field) for field in FIELDS_COMPARED}
    superuser = make_user("root", is_superuser=True, is_staff=True)
    pk = credential.pk
    for name in ("add", "edit", "delete", "copy", "history", "usage"):
        with pytest.raises(NoReverseMatch):
            reverse(f"issued_credentials:{name}", args=[] if name == "add" else [pk])
    guessed = [
        "/admin/issued/new/",
        f"/admin/issued/edit/{pk}/",
        f"/admin/issued/delete/{pk}/",
        f"/admin/issued/copy/{pk}/",
        f"/admin/issued/history/{pk}/",
        f"/admin/issued/usage/{pk}/",
        f"/admin/issued/inspect/{pk}/delete/",
    ]
    for user in (people["issuer"], superuser):
        client.logout()
        client = admin_login(user)
        assert client.get(reverse("issued_credentials:inspect", args=[pk])).status_code == 200
        for url in guessed:
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"grade": "Underkänd"}).status_code == 404, url
        # The inspect view offers no edit or delete button either.
        page = body(client.get(reverse("issued_credentials:inspect", args=[pk])))
        assert "/edit/" not in page and "/delete/" not in page
        assert client.post(
            reverse("issued_credentials:inspect", args=[pk]), {"grade": "Underkänd"}
        ).status_code in (405, 403)
    credential = Credential.objects.get(pk=pk)
    assert {field: getattr(credential, field) for field in FIELDS_COMPARED} == before


# --- outsiders ----------------------------------------------------------------------


def area_urls(micromerit, credential) -> list[str]:
    forged_token = "A" * 43
    return [
        reverse("micromerits_admin:issue_index"),
        issue_url("person", micromerit),
        issue_url("upload", micromerit),
        reverse("micromerits_admin:issue_preview", args=[micromerit.pk, forged_token]),
        reverse("micromerits_admin:issue_person", args=[999_999]),
        reverse("micromerits_admin:issue_upload", args=[999_999]),
        reverse("issued_credentials:index"),
        reverse("issued_credentials:index_results"),
        reverse("issued_credentials:index") + "?export=csv",
        reverse("issued_credentials:index") + "?export=xlsx",
        reverse("issued_credentials:inspect", args=[credential.pk]),
        reverse("issued_credentials:inspect", args=[999_999]),
    ]


@pytest.mark.parametrize("person", ["outsider_creator", "owner_creator", "issuer_creator"])
def test_people_outside_the_area_are_refused_on_every_url(
    person, issued, published_micromerit, people, admin_login
):
    client = admin_login(people[person])
    for url in area_urls(published_micromerit, issued["issuer"]):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), (person, url, response.status_code)
        assert "Sofia" not in body(response), (person, url)
    response = client.post(issue_url("person", published_micromerit), person_form())
    assert response.status_code in (302, 403, 404)
    assert Credential.objects.count() == 2


def test_an_outsider_issuer_is_refused_on_every_url(
    issued, published_micromerit, outsider_issuer, admin_login
):
    client = admin_login(outsider_issuer)
    for url in area_urls(published_micromerit, issued["issuer"]):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), (url, response.status_code)
        assert "Sofia" not in body(response) and "Lars" not in body(response), url
    assert reverse("issued_credentials:index") not in body(client.get(reverse("wagtailadmin_home")))


def test_an_issuer_whose_right_was_withdrawn_still_sees_what_was_issued(
    issued, published_micromerit, organisations, people, admin_login
):
    _withdraw(published_micromerit, organisations, people)
    client = admin_login(people["issuer"])
    assert client.get(reverse("micromerits_admin:issue_index")).status_code == 302
    response = client.get(reverse("issued_credentials:index"))
    assert response.status_code == 200
    assert "Sofia Ek" in body(response)


def test_the_credential_policy_names_the_same_people_as_the_views(
    issued, people, second_issuer, outsider_issuer
):
    from wagtail.permissions import policy_registry

    policy = policy_registry.get_by_type(Credential)
    credential = issued["issuer"]
    allowed = set(policy.users_with_any_permission_for_instance(["view"], credential))
    assert people["issuer"] in allowed
    assert second_issuer not in allowed and outsider_issuer not in allowed
    assert people["issuer"] in set(policy.users_with_any_permission(["view"]))
    assert outsider_issuer not in set(policy.users_with_any_permission(["view"]))
    for action in ("add", "change", "delete"):
        assert not policy.user_has_permission(people["issuer"], action)
        assert not policy.users_with_any_permission([action]).exists()
    assert policy.user_has_permission_for_instance(people["issuer"], "view", credential)
    assert not policy.user_has_permission_for_instance(second_issuer, "view", credential)
