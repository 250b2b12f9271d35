"""Admin views of mikromeriter beyond Wagtail's snippet views.

Excel import, template download and export, and the issuing-rights screen.
Each view resolves its mikromerit through ``micromerit_for`` (404 for an
unknown id, PermissionDenied for someone without the right) and leaves every
state change to ``micromerits.services``.
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from permissions.policies import micromerit_policy

from . import services
from .excel import (
    WorkbookError,
    micromerit_data_from_instance,
    write_micromerit_template,
    write_micromerit_workbook,
)
from .models import IssuingRight, Micromerit, Organisation

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def micromerit_for(request, pk, actions: tuple[str, ...]) -> Micromerit:
    """The mikromerit ``pk`` if the user holds any of ``actions`` on it; else 404 or PermissionDenied."""
    micromerit = get_object_or_404(Micromerit, pk=pk)
    if not micromerit_policy().user_has_any_permission_for_instance(
        request.user, actions, micromerit
    ):
        raise PermissionDenied
    return micromerit


def xlsx_response(write, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    write(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Ifylld Excelmall (.xlsx)"),
        help_text=gettext_lazy("Mallen för mikromeriter, ifylld. Inget sparas om filen har fel."),
    )
    publish = forms.BooleanField(
        label=gettext_lazy("Publicera direkt"),
        required=False,
        help_text=gettext_lazy("Annars sparas mikromeriten som utkast."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.PORTAL_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Filen är för stor."))
        return upload


class MicromeritImportView(WagtailAdminTemplateMixin, FormView):
    """Upload a filled mikromerit workbook: a new draft, or published when asked."""

    form_class = ImportForm
    template_name = "micromerits/admin/import.html"
    page_title = gettext_lazy("Importera mikromerit från Excel")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not micromerit_policy().user_has_permission(request.user, "add"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            micromerit, data = services.micromerit_import_workbook(
                source=form.cleaned_data["file"].read(),
                by=self.request.user,
                publish=form.cleaned_data["publish"],
            )
        except WorkbookError as error:
            return self.render_to_response(
                self.get_context_data(form=form, problems=error.problems)
            )
        for warning in data.warnings:
            messages.warning(self.request, str(warning))
        messages.success(
            self.request,
            _("Mikromeriten ”%(title)s” importerades.") % {"title": micromerit.title},
        )
        return redirect("wagtailsnippets_micromerits_micromerit:edit", micromerit.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["template_url"] = reverse("micromerits_admin:template")
        return context


class TemplateDownloadView(View):
    """The blank workbook, with drop-down lists and help text."""

    def get(self, request):
        return xlsx_response(write_micromerit_template, "mikromerit-mall.xlsx")


class MicromeritExportView(View):
    """The mikromerit's latest content (draft included) in the template's layout."""

    def get(self, request, pk):
        micromerit = micromerit_for(request, pk, ("view", "change"))
        latest = micromerit.get_latest_revision_as_object()
        data = micromerit_data_from_instance(latest, services.micromerit_issuer_refs(micromerit))
        return xlsx_response(
            lambda target: write_micromerit_workbook(data, target),
            f"mikromerit-{micromerit.pk}-{slugify(latest.title)[:40]}.xlsx",
        )


class GrantForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.all()
    )

    def __init__(self, *args, micromerit: Micromerit, **kwargs):
        super().__init__(*args, **kwargs)
        active = micromerit.issuing_rights.active().values("organisation_id")
        self.fields["organisation"].queryset = Organisation.objects.exclude(pk__in=active)


class IssuingRightsView(WagtailAdminTemplateMixin, FormView):
    """The owner's screen for granting and withdrawing issuing rights, with their history."""

    template_name = "micromerits/admin/issuing_rights.html"
    header_icon = "group"

    def dispatch(self, request, pk, *args, **kwargs):
        self.micromerit = micromerit_for(request, pk, ("grant",))
        return super().dispatch(request, pk, *args, **kwargs)

    def get_page_title(self):
        return _("Utfärdanderätter")

    def get_page_subtitle(self):
        return str(self.micromerit)

    def get_form(self, form_class=None):
        return GrantForm(**self.get_form_kwargs(), micromerit=self.micromerit)

    def form_valid(self, form):
        organisation = form.cleaned_data["organisation"]
        services.issuing_right_grant(
            micromerit=self.micromerit, organisation=organisation, by=self.request.user
        )
        messages.success(
            self.request,
            _("%(organisation)s får nu utfärda mikromeriten.")
            % {"organisation": organisation.name},
        )
        return redirect("micromerits_admin:issuing_rights", self.micromerit.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["micromerit"] = self.micromerit
        context["rights"] = self.micromerit.issuing_rights.select_related(
            "organisation", "granted_by", "withdrawn_by"
        ).order_by("withdrawn_at", "organisation__name")
        return context


class IssuingRightWithdrawView(View):
    """POST only: withdraw one issuing right of a mikromerit the user's organisation owns."""

    def post(self, request, pk, right_pk):
        micromerit = micromerit_for(request, pk, ("grant",))
        right = get_object_or_404(IssuingRight, pk=right_pk, micromerit=micromerit)
        services.issuing_right_withdraw(right=right, by=request.user)
        messages.success(
            request,
            _(
                "%(organisation)s får inte längre utfärda mikromeriten. Redan utfärdade "
                "mikromeriter påverkas inte."
            )
            % {"organisation": right.organisation.name},
        )
        return redirect("micromerits_admin:issuing_rights", micromerit.pk)
