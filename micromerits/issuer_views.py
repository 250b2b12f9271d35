"""The "Utfärda" area of the admin: issuer representatives issue and see what they issued.

An issuer sees only the mikromeriter their organisations may issue now
(``selectors.issuable_micromerits``), issues one to a person with a form or to
many with an uploaded recipient list (preview first, then all rows or none),
and lists what their organisations have issued (``CredentialViewSet``:
listing, filters, CSV/xlsx export and a read-only inspect view; no create,
edit or delete view exists). Rules live elsewhere: ``recipient_list`` checks
recipients, ``issuance.credentials_issue`` issues; these views only parse
input, call them and render the answer.

Access helpers come first. Everyone outside the area (no issuing role, or an
object of another organisation, or a forged id) gets Wagtail's refusal
(``PermissionDenied``: a redirect with "permission denied") or a 404, never
a 200. An uploaded list waits for confirmation in the database
(``PendingRecipientList``), encrypted with the recipients' keys and bound to
the uploading user; the browser only holds an unguessable token for it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cryptography.fernet import InvalidToken
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from django_filters import DateFromToRangeFilter, ModelChoiceFilter
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log
from wagtail.permission_policies.base import BasePermissionPolicy

from permissions.models import Role
from permissions.selectors import organisations_of

from . import crypto
from .forms import RecipientListUploadForm, SingleIssueForm
from .issuance import IssuanceRefused, credentials_issue
from .models import (
    Credential,
    IssuanceBatch,
    IssuingRight,
    Micromerit,
    Organisation,
    PendingRecipientList,
)
from .recipient_list import RecipientListCheck, check_recipient, check_recipient_list
from .selectors import (
    credentials_issued_by,
    issuable_micromerits,
    issuing_organisations_for,
    verification_url,
)
from .spreadsheet import Problem, WorkbookError

#: Log action for an export of the issued-credentials listing (registered in ``wagtail_hooks``).
LOG_EXPORT = "micromerits.credential.export"
#: Roles that see what their organisation has issued.
LISTING_ROLES = (Role.ISSUER, Role.ADMIN)


# --- access ---------------------------------------------------------------------


def may_see_issued(user) -> bool:
    """Whether ``user`` may open the listing of issued credentials at all.

    Issuers and administrators of an organisation that holds or has held an
    issuing right (a withdrawn right leaves what was issued to look at);
    people of organisations that never could issue are outside the area.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    return (
        user.is_superuser
        or IssuingRight.objects.filter(
            organisation__representatives__user=user,
            organisation__representatives__role__in=LISTING_ROLES,
        ).exists()
    )


def issuing_micromerit_for(request, pk) -> tuple[Micromerit, QuerySet[Organisation]]:
    """The mikromerit ``pk`` and the user's organisations that may issue it now.

    PermissionDenied for anything the user may not issue now: an unknown id, an
    unpublished mikromerit, a withdrawn right, another organisation's mikromerit
    (one answer for all, so that ids reveal nothing).
    """
    micromerit = issuable_micromerits(request.user).filter(pk=pk).first()
    if micromerit is None:
        raise PermissionDenied
    organisations = issuing_organisations_for(request.user, micromerit)
    if not organisations.exists():
        raise PermissionDenied
    return micromerit, organisations


class CredentialPermissionPolicy(BasePermissionPolicy):
    """Who may see issued credentials in the admin: issuers and administrators of the issuer.

    Nobody may add, change or delete one through the admin: credentials are
    created only by ``credentials_issue`` and never change (the model refuses too).
    """

    def user_has_permission(self, user, action):
        return action == "view" and may_see_issued(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return action == "view" and credentials_issued_by(user).filter(pk=instance.pk).exists()

    def instances_user_has_any_permission_for(self, user, actions):
        if "view" in actions:
            return credentials_issued_by(user)
        return Credential.objects.none()

    def users_with_any_permission(self, actions):
        if "view" not in actions:
            return get_user_model().objects.none()
        return self._users(organisation__issuing_rights__isnull=False)

    def users_with_any_permission_for_instance(self, actions, instance):
        if "view" not in actions:
            return get_user_model().objects.none()
        return self._users(organisation=instance.issuer)

    @staticmethod
    def _users(**organisation_filter):
        """Superusers, and issuers and administrators of the organisations filtered."""
        User = get_user_model()
        representatives = {
            f"representations__{key}": value for key, value in organisation_filter.items()
        }
        return (
            User.objects.filter(is_active=True, is_superuser=True)
            | User.objects.filter(
                is_active=True, representations__role__in=LISTING_ROLES, **representatives
            )
        ).distinct()


# --- the list of what may be issued -------------------------------------------------


class IssueIndexView(WagtailAdminTemplateMixin, TemplateView):
    """The mikromeriter the user's organisations may issue now, each with its two ways to issue."""

    template_name = "micromerits/admin/issue_index.html"
    page_title = gettext_lazy("Utfärda")
    header_icon = "doc-full-inverse"

    def dispatch(self, request, *args, **kwargs):
        self.micromerits = list(issuable_micromerits(request.user))
        if not self.micromerits:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["items"] = [
            (micromerit, list(issuing_organisations_for(self.request.user, micromerit)))
            for micromerit in self.micromerits
        ]
        context["issued_url"] = reverse("issued_credentials:index")
        return context


class IssuingViewMixin(WagtailAdminTemplateMixin):
    """Resolves the mikromerit of the URL, refusing anyone who may not issue it now."""

    header_icon = "doc-full-inverse"

    def dispatch(self, request, pk, *args, **kwargs):
        self.micromerit, self.organisations = issuing_micromerit_for(request, pk)
        return super().dispatch(request, pk, *args, **kwargs)

    def get_page_subtitle(self):
        return self.micromerit.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("micromerits_admin:issue_index"), "label": _("Utfärda")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["micromerit"] = self.micromerit
        kwargs["organisations"] = self.organisations
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["micromerit"] = self.micromerit
        return context


# --- one person -----------------------------------------------------------------


class IssuePersonView(IssuingViewMixin, FormView):
    """Issue the mikromerit to one person: the same checks and service as a list of one."""

    form_class = SingleIssueForm
    template_name = "micromerits/admin/issue_person.html"
    page_title = gettext_lazy("Utfärda till en person")

    def form_valid(self, form):
        try:
            row = check_recipient(
                form.recipient_values(),
                today=timezone.localdate(),
                grades=self.micromerit.grades,
            )
            [credential] = credentials_issue(
                micromerit=self.micromerit,
                organisation=form.chosen_organisation(),
                rows=[row],
                by=self.request.user,
                source=IssuanceBatch.Source.FORM,
            )
        except WorkbookError as error:
            for problem in error.problems:
                field = problem.column if problem.column in form.fields else None
                form.add_error(field, problem.message)
            return self.form_invalid(form)
        except IssuanceRefused as refusal:
            form.add_error(None, refusal.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Mikromeriten utfärdades till %(name)s. Verifieringsadress: %(url)s")
            % {"name": str(credential.recipient), "url": verification_url(credential)},
        )
        return redirect("issued_credentials:inspect", credential.pk)


# --- a recipient list: upload, preview, confirm ---------------------------------------


#: How many problems the preview also lists as text above the table.
PROBLEMS_LISTED = 100
#: How long an uploaded list waits for confirmation.
PENDING_TTL_SECONDS = 60 * 60
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass
class PendingUpload:
    """An uploaded recipient list waiting for its issuer to confirm it, decrypted for use.

    Stored as a ``PendingRecipientList`` row (see there why in the database,
    encrypted, and with only a hash of the token); the browser holds the token.
    """

    token: str
    row: PendingRecipientList
    content: bytes

    @property
    def filename(self) -> str:
        return self.row.filename

    @property
    def organisation_id(self) -> int:
        return self.row.organisation_id

    @property
    def identity_check(self) -> str:
        return self.row.identity_check

    @property
    def assessment(self) -> str:
        return self.row.assessment

    @classmethod
    def create(cls, *, content: bytes, **fields) -> PendingUpload:
        # Lists nobody confirmed are swept here rather than by a scheduled job.
        PendingRecipientList.objects.filter(
            created_at__lt=timezone.now() - timedelta(seconds=PENDING_TTL_SECONDS)
        ).delete()
        token = secrets.token_urlsafe(32)
        row = PendingRecipientList.objects.create(
            token_hash=_token_hash(token),
            content=crypto.keyring().fernet.encrypt(content).decode("ascii"),
            **fields,
        )
        return cls(token=token, row=row, content=content)

    @classmethod
    def load(cls, token: str, *, user, micromerit: Micromerit) -> PendingUpload | None:
        """The pending list ``token`` of ``user`` for ``micromerit``; None if gone or not theirs."""
        if not _TOKEN.fullmatch(token):
            return None
        row = PendingRecipientList.objects.filter(
            token_hash=_token_hash(token), user=user, micromerit=micromerit
        ).first()
        if row is None:
            return None
        try:
            content = crypto.keyring().fernet.decrypt(
                row.content.encode("ascii"), ttl=PENDING_TTL_SECONDS
            )
        except InvalidToken:
            row.delete()
            return None
        return cls(token=token, row=row, content=content)

    def discard(self) -> None:
        PendingRecipientList.objects.filter(pk=self.row.pk).delete()


class IssueUploadView(IssuingViewMixin, FormView):
    """Upload a recipient list; nothing is issued until the preview is confirmed."""

    form_class = RecipientListUploadForm
    template_name = "micromerits/admin/issue_upload.html"
    page_title = gettext_lazy("Ladda upp mottagarlista")

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        pending = PendingUpload.create(
            user=self.request.user,
            micromerit=self.micromerit,
            organisation=form.chosen_organisation(),
            filename=upload.name[:255],
            identity_check=form.cleaned_data["identity_check"],
            assessment=form.cleaned_data["assessment"],
            content=upload.read(),
        )
        return redirect("micromerits_admin:issue_preview", self.micromerit.pk, pending.token)


@dataclass
class PreviewCell:
    text: str
    problems: list[str]


@dataclass
class PreviewRow:
    number: int
    cells: list[PreviewCell]
    #: Problems of the row that concern no single column.
    problems: list[str]

    @property
    def has_problems(self) -> bool:
        return bool(self.problems) or any(cell.problems for cell in self.cells)


def masked_personnummer(value: object) -> str:
    """A personnummer as the preview shows it: the birth date, the last four digits hidden."""
    text = "" if value is None else str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if len(text) <= 4:
        return "*" * len(text)
    return text[:-4] + "****"


def cell_text(name: str, value: object) -> str:
    if name == "personnummer":
        return masked_personnummer(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


class IssuePreviewView(IssuingViewMixin, TemplateView):
    """Every row of the uploaded list, every problem on its row and column; confirm issues all.

    GET shows the preview; POST ``confirm`` reads the stored file again (the
    date may have changed, the right may have been withdrawn) and issues every
    row or none; POST ``discard`` deletes the stored file.
    """

    template_name = "micromerits/admin/issue_preview.html"
    page_title = gettext_lazy("Förhandsgranska mottagarlista")

    def dispatch(self, request, pk, token, *args, **kwargs):
        self.token = token
        return super().dispatch(request, pk, *args, **kwargs)

    @cached_property
    def pending(self) -> PendingUpload | None:
        return PendingUpload.load(self.token, user=self.request.user, micromerit=self.micromerit)

    def gone(self):
        messages.error(
            self.request,
            _(
                "Den uppladdade listan finns inte längre (den sparas i en timme). Ladda upp den igen."
            ),
        )
        return redirect("micromerits_admin:issue_upload", self.micromerit.pk)

    def organisation(self) -> Organisation | None:
        return self.organisations.filter(pk=self.pending.organisation_id).first()

    def check(self):
        return check_recipient_list(
            self.pending.content,
            filename=self.pending.filename,
            today=timezone.localdate(),
            grades=self.micromerit.grades,
            default_identity_check=self.pending.identity_check,
            default_assessment=self.pending.assessment,
        )

    def get(self, request, *args, **kwargs):
        if self.pending is None:
            return self.gone()
        return self.render_preview()

    def post(self, request, *args, **kwargs):
        if self.pending is None:
            return self.gone()
        if "discard" in request.POST:
            self.pending.discard()
            messages.info(request, _("Listan togs bort. Inget utfärdades."))
            return redirect("micromerits_admin:issue_index")
        organisation = self.organisation()
        if organisation is None:
            raise PermissionDenied
        try:
            check = self.check()
            if check.problems:
                return self.render_preview(check=check)
            credentials = credentials_issue(
                micromerit=self.micromerit,
                organisation=organisation,
                rows=check.recipients,
                by=request.user,
                source=IssuanceBatch.Source.UPLOAD,
                filename=self.pending.filename,
            )
        except WorkbookError as error:
            return self.render_preview(extra_problems=error.problems)
        except IssuanceRefused as refusal:
            return self.render_preview(refusal=refusal.message)
        self.pending.discard()
        messages.success(
            request,
            _("%(count)s mikromeriter utfärdades. Mottagarna får e-post om dem.")
            % {"count": len(credentials)},
        )
        return redirect(reverse("issued_credentials:index") + f"?batch={credentials[0].batch_id}")

    def render_preview(self, *, check=None, extra_problems=(), refusal: str = ""):
        problems: list[Problem] = list(extra_problems)
        table: list[PreviewRow] = []
        columns: list[tuple[str, str, str]] = []
        warnings: list[Problem] = []
        recipients = 0
        try:
            check = check or self.check()
        except WorkbookError as error:
            problems.extend(error.problems)
        else:
            columns, warnings = check.columns, check.warnings
            recipients = len(check.recipients)
            table = preview_table(check)
            problems.extend(check.problems)
        context = self.get_context_data(
            columns=columns,
            table=table,
            # Each problem also as text ("Blad, rad 3, kolumn C: …"), the first hundred:
            # the table marks them in place, this list names row and column.
            problem_list=[str(p) for p in problems[:PROBLEMS_LISTED]],
            problems_not_listed=max(0, len(problems) - PROBLEMS_LISTED),
            warnings=warnings,
            problem_count=len(problems),
            bad_rows=sum(1 for row in table if row.has_problems),
            recipient_count=recipients,
            can_confirm=not problems and not refusal and recipients > 0,
            refusal=refusal,
            pending=self.pending,
            organisation=self.organisation(),
        )
        return self.render_to_response(context)


def preview_table(check: RecipientListCheck) -> list[PreviewRow]:
    """Every data row of ``check`` with its problems put on their cells (or on the row)."""
    letters = {letter for _name, _header, letter in check.columns}
    by_row: dict[int, list[Problem]] = {}
    for problem in check.problems:
        if problem.row is not None:
            by_row.setdefault(problem.row, []).append(problem)
    table = []
    for row in check.rows:
        row_problems = by_row.get(row.number, [])
        table.append(
            PreviewRow(
                number=row.number,
                cells=[
                    PreviewCell(
                        cell_text(name, row.cells.get(name)),
                        [p.message for p in row_problems if p.column == letter],
                    )
                    for name, _header, letter in check.columns
                ],
                problems=[p.message for p in row_problems if p.column not in letters],
            )
        )
    return table


# --- what has been issued -------------------------------------------------------------


def _issued_micromerits(request):
    return Micromerit.objects.filter(
        pk__in=credentials_issued_by(request.user).values("micromerit")
    ).order_by("title")


def _listing_organisations(request):
    return (
        organisations_of(request.user)
        .filter(pk__in=credentials_issued_by(request.user).values("issuer"))
        .order_by("name")
    )


class CredentialFilterSet(WagtailFilterSet):
    """Filters of the listing; their choices are only what the user may see."""

    micromerit = ModelChoiceFilter(label=gettext_lazy("Mikromerit"), queryset=_issued_micromerits)
    issued_on = DateFromToRangeFilter(
        label=gettext_lazy("Period (utfärdandedatum)"), widget=DateRangePickerWidget
    )
    issuer = ModelChoiceFilter(
        label=gettext_lazy("Utfärdande organisation"), queryset=_listing_organisations
    )
    batch = ModelChoiceFilter(
        label=gettext_lazy("Utfärdande"),
        queryset=lambda request: IssuanceBatch.objects.filter(
            pk__in=credentials_issued_by(request.user).values("batch")
        ).order_by("-created_at"),
    )

    class Meta:
        model = Credential
        fields = ["micromerit", "issued_on", "issuer", "batch"]


def recipient_name(credential: Credential) -> str:
    return f"{credential.recipient.first_name} {credential.recipient.last_name}"


#: Export columns: heading → value. No personnummer: name and birth date identify the person.
EXPORT_COLUMNS = {
    "public_id": (gettext_lazy("Id"), lambda c: c.public_id),
    "title": (gettext_lazy("Mikromerit"), lambda c: c.title),
    "recipient": (gettext_lazy("Mottagare"), recipient_name),
    "birth_date": (gettext_lazy("Födelsedatum"), lambda c: c.recipient.birth_date_text),
    "issuer": (gettext_lazy("Utfärdande organisation"), lambda c: c.issuer.name),
    "issuer_orgnr": (gettext_lazy("Organisationsnummer"), lambda c: c.issuer.orgnr),
    "issued_by": (gettext_lazy("Utfärdad av"), lambda c: c.issued_by.get_username()),
    "issued_on": (gettext_lazy("Utfärdandedatum"), lambda c: c.issued_on),
    "assessment_date": (gettext_lazy("Bedömningsdatum"), lambda c: c.assessment_date),
    "identity_check": (gettext_lazy("Identitetskontroll"), lambda c: c.identity_check),
    "assessment": (gettext_lazy("Bedömning"), lambda c: c.assessment),
    "grade": (gettext_lazy("Betyg"), lambda c: c.grade),
    "best_before": (gettext_lazy("Bäst före"), lambda c: c.best_before or ""),
    "comment": (gettext_lazy("Kommentar"), lambda c: c.comment),
    "verification_url": (gettext_lazy("Verifieringsadress"), verification_url),
}


def neutralised_csv_text(value: str) -> str:
    """Text that a spreadsheet opening the CSV will not run as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class CredentialIndexView(generic.IndexView):
    """The listing, scoped to the user's organisations' credentials, with CSV/xlsx export."""

    # Names and comments are typed by issuers; Wagtail's xlsx export already
    # refuses formulas, its CSV export does not.
    custom_value_preprocess = {
        **generic.IndexView.custom_value_preprocess,
        str: {generic.IndexView.FORMAT_CSV: neutralised_csv_text},
    }

    def get_base_queryset(self):
        return credentials_issued_by(self.request.user).select_related("version")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label=_("Mikromerit"),
                get_url=lambda credential: reverse(
                    "issued_credentials:inspect", args=[credential.pk]
                ),
            ),
            Column("recipient", label=_("Mottagare"), accessor=recipient_name),
            Column("issuer", label=_("Utfärdande organisation"), accessor="issuer.name"),
            Column("issued_on", label=_("Utfärdad"), sort_key="issued_on"),
            Column("grade", label=_("Betyg")),
            Column("best_before", label=_("Bäst före")),
            Column("verification_url", label=_("Verifieringsadress"), accessor=verification_url),
        ]

    def to_row_dict(self, item):
        return {field: EXPORT_COLUMNS[field][1](item) for field in self.list_export}

    def get_heading(self, queryset, field):
        return str(EXPORT_COLUMNS[field][0])

    def as_spreadsheet(self, queryset, spreadsheet_format):
        # Reading names out of the portal is worth an audit line per organisation.
        for organisation in Organisation.objects.filter(
            pk__in=queryset.order_by().values("issuer")
        ):
            log(
                instance=organisation,
                action=LOG_EXPORT,
                user=self.request.user,
                data={"format": spreadsheet_format, "filters": self.request.GET.dict()},
            )
        return super().as_spreadsheet(queryset, spreadsheet_format)


class CredentialInspectView(generic.InspectView):
    """One credential, read-only, without the personnummer (name and birth date only)."""

    #: What the view shows, in order: never the personnummer (the recipient is a name).
    labels = {
        "title": gettext_lazy("Mikromerit"),
        "recipient": gettext_lazy("Mottagare"),
        "birth_date": gettext_lazy("Födelsedatum"),
        "issuer": gettext_lazy("Utfärdande organisation"),
        "issued_by": gettext_lazy("Utfärdad av"),
        "issued_at": gettext_lazy("Utfärdad"),
        "issued_on": gettext_lazy("Utfärdandedatum"),
        "assessment_date": gettext_lazy("Bedömningsdatum"),
        "identity_check": gettext_lazy("Identitetskontroll"),
        "assessment": gettext_lazy("Bedömning"),
        "grade": gettext_lazy("Betyg"),
        "best_before": gettext_lazy("Bäst före"),
        "comment": gettext_lazy("Kommentar"),
        "verification_url": gettext_lazy("Verifieringsadress"),
        "public_id": gettext_lazy("Id"),
    }

    def get_object(self, queryset=None):
        # Scoped: another organisation's credential is a 404, as if it did not exist.
        return get_object_or_404(
            credentials_issued_by(self.request.user).select_related("version"), pk=self.pk
        )

    def get_fields(self):
        return list(self.labels)

    def get_field_label(self, field_name, field):
        return str(self.labels[field_name])

    def get_title_display_value(self):
        return self.object.title

    def get_recipient_display_value(self):
        return recipient_name(self.object)

    def get_birth_date_display_value(self):
        return self.object.recipient.birth_date_text

    def get_issuer_display_value(self):
        return str(self.object.issuer)

    def get_issued_by_display_value(self):
        user = self.object.issued_by
        return user.get_full_name() or user.get_username()

    def get_best_before_display_value(self):
        if self.object.best_before is None:
            return "—"
        if self.object.best_before_passed():
            return _("%(date)s (passerat)") % {"date": self.object.best_before.isoformat()}
        return self.object.best_before.isoformat()

    def get_comment_display_value(self):
        return self.object.comment or "—"

    def get_verification_url_display_value(self):
        url = verification_url(self.object)
        return format_html('<a href="{}">{}</a>', url, url)


class CredentialViewSet(ModelViewSet):
    """Utfärdade: what the user's organisations have issued. Read-only by construction.

    Only the listing (with its results fragment) and the inspect view have
    URLs; there is no add, edit, delete, copy, history or usage view to reach,
    so a guessed ``edit/<pk>/`` or ``delete/<pk>/`` is a 404.
    """

    model = Credential
    name = "issued_credentials"
    url_prefix = "issued"
    icon = "tick-inverse"
    menu_label = gettext_lazy("Utfärdade")
    menu_name = "issued_credentials"
    menu_order = 260
    add_to_admin_menu = True
    index_view_class = CredentialIndexView
    inspect_view_class = CredentialInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    filterset_class = CredentialFilterSet
    list_export = list(EXPORT_COLUMNS)
    export_filename = "utfardade-mikromeriter"
    list_per_page = 50

    def get_common_view_kwargs(self, **kwargs):
        kwargs = super().get_common_view_kwargs(**kwargs)
        for name in (
            "add_url_name",
            "edit_url_name",
            "delete_url_name",
            "history_url_name",
            "usage_url_name",
            "copy_url_name",
        ):
            kwargs[name] = None
        return kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]
