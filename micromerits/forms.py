"""Admin forms for mikromeriter.

The form only collects and validates input; what happens on save (issuing
rights, object permissions) is done by ``micromerits.services``, called from
the admin views.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from permissions.selectors import creator_organisations

from .models import Organisation
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
