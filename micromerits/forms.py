"""Admin forms for mikromeriter and for issuing them.

The forms only collect input; what happens on save (issuing rights, object
permissions, credentials) is done by ``micromerits.services`` and
``micromerits.issuance``, called from the admin views. The issuing forms check
no rule of a recipient themselves: ``recipient_list.check_recipient`` does, so
a form and an uploaded list follow the same rules.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput

from permissions.selectors import creator_organisations

from .models import Micromerit, Organisation
from .services import micromerit_publication_problems


class MicromeritForm(WagtailAdminModelForm):
    """The four-step editor's form.

    ``issuing_organisations`` is not a model field: issuing rights are not part
    of the mikromerit's content (they are not revisioned, and changing them is
    logged on its own), but step 4 lets the owner set them together with the
    content. ``publishing`` is set by the view when the user pressed Publish.
    """

    issuing_organisations = forms.ModelMultipleChoiceField(
        label=_("Utfärdande organisationer"),
        queryset=Organisation.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Organisationer som får utfärda mikromeriten. Minst en krävs för att publicera. "
            "Att ta bort en organisation påverkar inte redan utfärdade mikromeriter."
        ),
    )

    def __init__(self, *args, publishing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.publishing = publishing
        owner_field = self.fields.get("owner")
        if owner_field is not None:
            if self.instance.pk:
                # Fixed at creation: shown, never editable.
                owner_field.disabled = True
            elif self.for_user is not None:
                owner_field.queryset = creator_organisations(self.for_user)
                if owner_field.queryset.count() == 1:
                    owner_field.initial = owner_field.queryset.first().pk
        if self.instance.pk and not self.is_bound:
            self.initial["issuing_organisations"] = list(
                self.instance.issuing_rights.active().values_list("organisation_id", flat=True)
            )

    def _outcome_count(self) -> int:
        formset = self.formsets.get("learning_outcomes")
        if formset is None:
            return 0
        # The form is cleaned before its formsets, so read the posted values
        # rather than the formset's cleaned data.
        return sum(
            1
            for form in formset.forms
            if (form.has_changed() or form.instance.pk)
            and not (formset.can_delete and form["DELETE"].value())
        )

    def clean(self):
        cleaned = super().clean()
        if self.publishing:
            for message in micromerit_publication_problems(
                outcome_count=self._outcome_count(),
                issuer_count=len(cleaned.get("issuing_organisations") or []),
            ):
                self.add_error(None, message)
        return cleaned


# --- issuing ------------------------------------------------------------------


class IssuingFormMixin(forms.Form):
    """The issuing organisation, asked only when the user issues for several."""

    organisation = forms.ModelChoiceField(
        label=_("Utfärdande organisation"),
        queryset=Organisation.objects.none(),
        help_text=_("Du utfärdar för flera organisationer. Välj den som utfärdar."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if len(organisations) == 1:
            # One organisation: nothing to choose, so the field is not shown.
            del self.fields["organisation"]
            self.only_organisation = organisations[0]
        else:
            self.only_organisation = None

    def chosen_organisation(self) -> Organisation:
        return self.only_organisation or self.cleaned_data["organisation"]


class SingleIssueForm(IssuingFormMixin):
    """Issue a mikromerit to one person.

    Field names are ``RecipientRow``'s attribute names, so the problems
    ``check_recipient`` reports land on the field they are about.
    """

    personnummer = forms.CharField(
        label=_("Personnummer eller samordningsnummer"),
        max_length=20,
        help_text=_("10 eller 12 siffror, med eller utan - eller +."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    first_name = forms.CharField(label=_("Förnamn"), max_length=200)
    last_name = forms.CharField(label=_("Efternamn"), max_length=200)
    email = forms.CharField(
        label=_("E-post"),
        max_length=254,
        help_text=_("Mottagaren får ett meddelande hit om att mikromeriten väntar."),
        widget=forms.EmailInput,
    )
    assessment_date = forms.DateField(label=_("Bedömningsdatum"), widget=AdminDateInput)
    identity_check = forms.CharField(
        label=_("Identitetskontroll"),
        help_text=_("Hur identiteten kontrollerades, t.ex. ”Körkort kontrollerat på plats”."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    assessment = forms.CharField(
        label=_("Bedömning"),
        help_text=_("Hur kompetensen bedömdes."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    grade = forms.ChoiceField(label=_("Betyg"), required=False)
    best_before = forms.DateField(
        label=_("Bäst före"),
        required=False,
        widget=AdminDateInput,
        help_text=_(
            "Lämna tomt för att räkna det från mikromeritens giltighetstid, om den har en."
        ),
    )
    comment = forms.CharField(
        label=_("Kommentar"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Utfärdarens anteckning om personens bedömning."),
    )

    field_order = [
        "organisation",
        "personnummer",
        "first_name",
        "last_name",
        "email",
        "assessment_date",
        "identity_check",
        "assessment",
        "grade",
        "best_before",
        "comment",
    ]

    def __init__(self, *args, micromerit: Micromerit, **kwargs):
        super().__init__(*args, **kwargs)
        if micromerit.grades:
            self.fields["grade"].choices = [("", "—")] + [(g, g) for g in micromerit.grades]
        else:
            del self.fields["grade"]
        if not self.is_bound:
            self.initial.setdefault("assessment", micromerit.assessment_type)

    def recipient_values(self) -> dict[str, object]:
        """The cleaned input keyed by ``RecipientRow`` attribute, for ``check_recipient``."""
        # Every field but the organisation is a RecipientRow attribute of the same name.
        names = [name for name in self.field_order if name != "organisation"]
        return {name: self.cleaned_data.get(name) for name in names}


class RecipientListUploadForm(IssuingFormMixin):
    """Upload a recipient list (TEMPLATE.md §2) with what applies to the whole batch."""

    file = forms.FileField(
        label=_("Mottagarlista (.xlsx eller .csv)"),
        help_text=_(
            "Första bladet i en Excelfil, eller en CSV-fil i UTF-8 med , eller ;. "
            "Du får se en förhandsgranskning innan något utfärdas."
        ),
    )
    identity_check = forms.CharField(
        label=_("Identitetskontroll"),
        help_text=_(
            "Hur identiteten kontrollerades, för alla rader som inte anger det i kolumnen "
            "Identitetskontroll."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    assessment = forms.CharField(
        label=_("Bedömning"),
        help_text=_(
            "Hur kompetensen bedömdes, för alla rader som inte anger det i kolumnen Bedömning."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    field_order = ["organisation", "file", "identity_check", "assessment"]

    def __init__(self, *args, micromerit: Micromerit, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("assessment", micromerit.assessment_type)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.PORTAL_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Filen är för stor."))
        return upload
