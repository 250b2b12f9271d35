"""Issuance statistics: scope per organisation, the "< 5" rule, constant queries, the reports over HTTP."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from bench.common import people_born_1890s
from micromerits import services, statistics
from micromerits.excel import IssuerRef, read_micromerit_workbook
from micromerits.issuance import credentials_issue
from micromerits.management.commands.statistics import sheet_name
from micromerits.models import Credential
from micromerits.recipient_list import RecipientRow
from micromerits.statistics import (
    SUPPRESSED,
    BestBeforeState,
    Dimension,
    Filters,
    Perspective,
    issuance_view,
)
from tests.conftest import workbook
from tests.micromerits.test_commands import file_database, manage  # noqa: F401

NUMBERS = people_born_1890s(400)


def rows(count: int, *, offset: int = 0, best_before=None) -> list[RecipientRow]:
    return [
        RecipientRow(
            first_name=f"Test{n}",
            last_name="Testsson",
            personnummer=NUMBERS[offset + n],
            email=f"test{n}@example.se",
            assessment_date=timezone.localdate() - timedelta(days=1),
            grade="Godkänd",
            best_before=best_before,
            comment="",
            identity_check="Legitimation kontrollerad",
            assessment="Praktiskt prov",
            row=n + 2,
        )
        for n in range(count)
    ]


def issue(micromerit, organisation, by, recipients):
    return credentials_issue(
        micromerit=micromerit, organisation=organisation, rows=recipients, by=by, source="form"
    )


@pytest.fixture
def issuers_own_micromerit(people, organisations):
    """A mikromerit owned by the delegated issuer, which only it issues."""
    data = read_micromerit_workbook(workbook("fasadmalning.xlsx").read_bytes())
    data = dataclasses.replace(
        data,
        title="Puts av fasader",
        owner_orgnr=organisations["issuer"].orgnr,
        issuers=[IssuerRef(orgnr=organisations["issuer"].orgnr)],
    )
    return services.micromerit_import(data=data, by=people["issuer_creator"], publish=True)


@pytest.fixture
def issued(published_micromerit, issuers_own_micromerit, organisations, people):
    """Fasadmålning (owner's): 6 people by the issuer, 3 by the second issuer.
    Puts av fasader (the issuer's own): 7 people by the issuer."""
    from permissions.services import representative_add

    second = people["issuer"]  # a person acting for both issuing organisations
    representative_add(user=second, organisation=organisations["second_issuer"], role="issuer")
    issue(published_micromerit, organisations["issuer"], people["issuer"], rows(6))
    issue(published_micromerit, organisations["second_issuer"], second, rows(3, offset=10))
    issue(issuers_own_micromerit, organisations["issuer"], people["issuer"], rows(7, offset=20))
    return {"fasad": published_micromerit, "puts": issuers_own_micromerit}


def total(view) -> int:
    return view.total.credentials


def by_label(view) -> dict:
    return {row.label: row.value for row in view.rows}


def test_owner_totals_equal_every_credential_of_its_micromerits(issued, organisations):
    owner = organisations["owner"]
    expected = Credential.objects.filter(micromerit__owner=owner).count()
    assert expected == 9
    for dimension in Dimension.values:
        view = issuance_view(
            organisations=[owner], perspective=Perspective.OWNER, dimension=dimension
        )
        assert total(view) == expected, dimension


def test_issuer_totals_equal_what_it_issued(issued, organisations):
    issuer = organisations["issuer"]
    expected = Credential.objects.filter(issuer=issuer).count()
    assert expected == 13
    for dimension in Dimension.values:
        view = issuance_view(
            organisations=[issuer], perspective=Perspective.ISSUER, dimension=dimension
        )
        assert total(view) == expected, dimension
    by_micromerit = issuance_view(
        organisations=[issuer], perspective=Perspective.ISSUER, dimension=Dimension.MICROMERIT
    )
    # Its own issuance is never suppressed, even of someone else's mikromerit.
    assert by_label(by_micromerit) == {
        "Fasadmålning med silikat- och linoljefärg": 6,
        "Puts av fasader": 7,
    }


def test_an_outsider_counts_nothing(issued, organisations):
    for perspective in Perspective.values:
        for dimension in Dimension.values:
            view = issuance_view(
                organisations=[organisations["outsider"]],
                perspective=perspective,
                dimension=dimension,
            )
            assert view.rows == []
            assert total(view) == 0


def test_another_issuers_group_of_fewer_than_five_people_reads_less_than_five(
    issued, organisations
):
    view = issuance_view(
        organisations=[organisations["owner"]],
        perspective=Perspective.OWNER,
        dimension=Dimension.ISSUER,
    )
    assert by_label(view) == {"Norrbyggs Måleri AB": 6, "Yrkesvalidering Mitt AB": SUPPRESSED}
    # The Totalt row stays exact: it is every credential of the owner's mikromeriter.
    assert total(view) == 9
    # The second issuer sees its own three exactly.
    own = issuance_view(
        organisations=[organisations["second_issuer"]],
        perspective=Perspective.ISSUER,
        dimension=Dimension.ISSUER,
    )
    assert by_label(own) == {"Yrkesvalidering Mitt AB": 3}


def test_a_group_is_counted_in_people_not_credentials(published_micromerit, organisations, people):
    # Four people, two of them twice: eight credentials but four people → suppressed for the owner.
    issue(published_micromerit, organisations["issuer"], people["issuer"], rows(4))
    issue(published_micromerit, organisations["issuer"], people["issuer"], rows(2))
    issue(published_micromerit, organisations["issuer"], people["issuer"], rows(2))
    view = issuance_view(
        organisations=[organisations["owner"]],
        perspective=Perspective.OWNER,
        dimension=Dimension.MICROMERIT,
    )
    [row] = view.rows
    assert row.credentials == 8 and row.value == SUPPRESSED


def test_filters_narrow_the_figures(issued, organisations):
    issuer = organisations["issuer"]

    def count(**filters):
        return total(
            issuance_view(
                organisations=[issuer],
                perspective=Perspective.ISSUER,
                dimension=Dimension.MONTH,
                filters=Filters(**filters),
            )
        )

    today = timezone.localdate()
    assert count(micromerit=issued["puts"]) == 7
    assert count(issuer=organisations["second_issuer"]) == 0
    assert count(seqf_level=4) == 13
    assert count(seqf_level=5) == 0
    assert count(issued_from=today, issued_to=today) == 13
    assert count(issued_to=today - timedelta(days=40)) == 0


def test_best_before_states_are_valid_passing_soon_and_passed(
    published_micromerit, organisations, people
):
    today = timezone.localdate()
    # Fasadmålning's validity is 60 months: those credentials are valid today.
    issue(published_micromerit, organisations["issuer"], people["issuer"], rows(5))
    issue(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        rows(2, offset=50, best_before=today + timedelta(days=30)),
    )
    view = issuance_view(
        organisations=[organisations["issuer"]],
        perspective=Perspective.ISSUER,
        dimension=Dimension.BEST_BEFORE,
    )
    assert {row.key: row.value for row in view.rows} == {
        BestBeforeState.VALID: 5,
        BestBeforeState.PASSING_SOON: 2,
    }
    # 200 days on, the 30-day ones have passed and the 60-month ones are still valid.
    later = issuance_view(
        organisations=[organisations["issuer"]],
        perspective=Perspective.ISSUER,
        dimension=Dimension.BEST_BEFORE,
        today=today + timedelta(days=200),
    )
    assert {row.key: row.value for row in later.rows} == {
        BestBeforeState.VALID: 5,
        BestBeforeState.PASSED: 2,
    }


def test_months_without_issuance_are_zeros(issued, organisations):
    today = timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=40)).replace(day=1)  # two months back
    view = issuance_view(
        organisations=[organisations["issuer"]],
        perspective=Perspective.ISSUER,
        dimension=Dimension.MONTH,
        filters=Filters(issued_from=start, issued_to=today),
    )
    assert [row.credentials for row in view.rows][-1] == 13
    assert all(row.credentials == 0 for row in view.rows[:-1])
    assert len(view.rows) == 3
    assert view.rows[0].key == start


def test_the_dashboard_counts_this_month(issued, organisations):
    months = statistics.dashboard_months(organisations=[organisations["owner"]])
    assert len(months) == 12
    assert months[-1].month == timezone.localdate().replace(day=1)
    assert months[-1].of_ours == 9 and months[-1].issued == 0
    assert sum(m.of_ours for m in months[:-1]) == 0


def _bulk_credentials(count: int, micromerit, organisation, by):
    """``count`` more credentials like the first one issued (fast: no registry, for query counts)."""
    template = Credential.objects.filter(micromerit=micromerit).first()
    Credential.objects.bulk_create(
        [
            Credential(
                micromerit=micromerit,
                version=template.version,
                recipient=template.recipient,
                issuer=organisation,
                issued_by=by,
                batch=template.batch,
                issued_at=template.issued_at - timedelta(days=31 * (n % 12)),
                issued_on=template.issued_on - timedelta(days=31 * (n % 12)),
                assessment_date=template.assessment_date,
                identity_check="x",
                assessment="x",
                best_before=template.issued_on + timedelta(days=n % 200),
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("count", [10, 300])
def test_the_number_of_queries_does_not_grow_with_the_data(
    count, issued, organisations, people, django_assert_num_queries
):
    _bulk_credentials(count, issued["fasad"], organisations["issuer"], people["issuer"])
    owner = organisations["owner"]
    # One query per view, whatever the number of credentials.
    with django_assert_num_queries(len(Dimension.values) * 2):
        views = statistics.all_views(organisations=[owner])
    assert views[0].total.credentials == 9 + count
    with django_assert_num_queries(1):
        statistics.dashboard_months(organisations=[owner])


def test_a_report_page_makes_as_many_queries_for_300_credentials_as_for_10(
    issued, organisations, people, admin_login, django_assert_max_num_queries
):
    client = admin_login(people["owner_admin"])
    counts, added = {}, 0
    for credentials in (10, 300):
        _bulk_credentials(
            credentials - added, issued["fasad"], organisations["issuer"], people["issuer"]
        )
        added = credentials
        for name in ("statistics:month", "statistics:issuer", "wagtailadmin_home"):
            client.get(reverse(name))  # warm per-process caches (content types, site)
            with django_assert_max_num_queries(40) as captured:
                response = client.get(reverse(name))
            assert response.status_code == 200
            counts[(name, credentials)] = len(captured)
    for name in ("statistics:month", "statistics:issuer", "wagtailadmin_home"):
        assert counts[(name, 10)] == counts[(name, 300)], name


# --- over HTTP ----------------------------------------------------------------


def test_the_owner_sees_issuance_of_its_micromerits_by_every_issuer(issued, people, admin_login):
    client = admin_login(people["owner_admin"])
    response = client.get(reverse("statistics:issuer"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Norrbyggs Måleri AB" in body
    assert "&lt; 5" in body
    assert "<svg" in body and "<script" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "Puts av fasader" not in body


def test_the_issuer_sees_what_it_issued(issued, people, admin_login):
    client = admin_login(people["issuer"])
    response = client.get(reverse("statistics:micromerit"), {"perspective": "issuer"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Puts av fasader" in body
    assert "Fasadmålning med silikat- och linoljefärg" in body


def test_an_outsider_gets_an_empty_report_never_another_organisations_numbers(
    issued, people, admin_login
):
    client = admin_login(people["outsider_creator"])
    for dimension in Dimension.values:
        for perspective in Perspective.values:
            response = client.get(reverse(f"statistics:{dimension}"), {"perspective": perspective})
            assert response.status_code == 200
            body = response.content.decode()
            assert "Det finns inga utfärdanden att visa" in body
            assert "Norrbyggs Måleri AB" not in body
            assert "Fasadmålning med silikat" not in body
    export = client.get(reverse("statistics:issuer"), {"export": "csv"})
    assert b"".join(export.streaming_content).decode().strip().count("\n") == 0


def test_an_outsider_cannot_pick_another_organisation_in_the_filters(
    issued, people, organisations, admin_login
):
    client = admin_login(people["outsider_creator"])
    response = client.get(
        reverse("statistics:issuer"),
        {"organisation": organisations["owner"].pk, "micromerit": issued["fasad"].pk},
    )
    assert response.status_code == 200
    assert "Norrbyggs Måleri AB" not in response.content.decode()


def test_the_report_exports_xlsx_and_csv_with_a_totalt_row(issued, people, admin_login):
    client = admin_login(people["owner_admin"])
    response = client.get(reverse("statistics:issuer"), {"export": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert values == [
        ["Per utfärdande organisation", "Antal utfärdade"],
        ["Norrbyggs Måleri AB", 6],
        ["Yrkesvalidering Mitt AB", "< 5"],
        ["Totalt", 9],
    ]
    csv = client.get(reverse("statistics:issuer"), {"export": "csv"})
    text = b"".join(csv.streaming_content).decode()
    assert text.splitlines()[-1] == "Totalt,9"


def test_the_report_filters_by_period_and_level(issued, people, admin_login):
    client = admin_login(people["issuer"])
    today = timezone.localdate()
    response = client.get(
        reverse("statistics:micromerit"),
        {
            "perspective": "issuer",
            "issued_on_from": (today - timedelta(days=400)).isoformat(),
            "issued_on_to": (today - timedelta(days=100)).isoformat(),
        },
    )
    assert "Det finns inga utfärdanden att visa" in response.content.decode()
    response = client.get(
        reverse("statistics:micromerit"),
        {"perspective": "issuer", "micromerit": issued["puts"].pk, "export": "csv"},
    )
    assert b"".join(response.streaming_content).decode().splitlines()[1:] == [
        "Puts av fasader,7",
        "Totalt,7",
    ]


def test_the_dashboard_panel_shows_a_chart_and_a_table(issued, people, admin_login):
    client = admin_login(people["owner_admin"])
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="issuance-statistics' in body or "Utfärdade mikromeriter" in body
    assert f'<th scope="row">{date.today():%Y-%m}</th>' in body
    assert "<caption>" in body


# --- manage.py statistics -------------------------------------------------------


def run_statistics(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("statistics", *args, stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_the_command_writes_a_sheet_per_view_each_ending_with_totalt(
    issued, organisations, tmp_path
):
    path = tmp_path / "statistik.xlsx"
    status, out, _ = run_statistics("802000-1239", "--out", str(path))
    assert status == 0
    assert str(path) in out
    book = load_workbook(path)
    assert len(book.sheetnames) == len(Perspective.values) * len(Dimension.values)
    views = {sheet_name(v): v for v in statistics.all_views(organisations=[organisations["owner"]])}
    for sheet in book.worksheets:
        last = [cell.value for cell in sheet[sheet.max_row]]
        body = [
            row[1]
            for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row - 1, values_only=True)
        ]
        assert last == ["Totalt", views[sheet.title].total.credentials], sheet.title
        if SUPPRESSED not in body:
            assert sum(body) == last[1], sheet.title
    owner_totals = {s.title: s[s.max_row][1].value for s in book.worksheets}
    assert owner_totals["Skapare per månad"] == 9  # every credential of its mikromeriter
    assert owner_totals["Utfärdare per månad"] == 0  # it issued nothing
    by_issuer = [list(r) for r in book["Skapare per utfärdare"].iter_rows(values_only=True)]
    assert by_issuer == [
        ["Per utfärdande organisation", "Antal utfärdade"],
        ["Norrbyggs Måleri AB", 6],
        ["Yrkesvalidering Mitt AB", "< 5"],
        ["Totalt", 9],
    ]


def test_the_command_gives_the_same_figures_as_the_report(
    issued, organisations, people, admin_login, tmp_path
):
    path = tmp_path / "issuer.xlsx"
    assert run_statistics("5599001111", "--out", str(path))[0] == 0
    sheet = [
        list(r) for r in load_workbook(path)["Utfärdare per mikromerit"].iter_rows(values_only=True)
    ]
    client = admin_login(people["issuer"])
    response = client.get(
        reverse("statistics:micromerit"),
        # This person acts for both issuers: the report is narrowed to one, as the command is.
        {"perspective": "issuer", "organisation": organisations["issuer"].pk, "export": "xlsx"},
    )
    report = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [list(r) for r in report.iter_rows(values_only=True)] == sheet
    assert sheet[-1] == ["Totalt", 13]


@pytest.mark.parametrize(
    "orgnr, message",
    [("802000-1238", "Ogiltigt organisationsnummer"), ("556677-8899", "Ingen organisation")],
)
def test_the_command_refuses_an_invalid_or_unknown_orgnr(orgnr, message, db, tmp_path):
    path = tmp_path / "x.xlsx"
    status, _, err = run_statistics(orgnr, "--out", str(path))
    assert status == 1
    assert message in err
    assert not path.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("file_database")
def test_the_command_as_a_process_exits_1_for_bad_input_and_2_for_wrong_usage(tmp_path):
    unknown = manage("statistics", "556677-8899", "--out", str(tmp_path / "x.xlsx"))
    assert unknown.returncode == 1
    assert "Ingen organisation" in unknown.stderr and "Traceback" not in unknown.stderr
    assert manage("statistics", "802000-1239").returncode == 2
