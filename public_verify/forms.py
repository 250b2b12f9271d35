"""Forms of the public verification page: find a credential, check its holder.

Both are thin: the personnummer is checked by ``holder_check.holder_check``
(so that invalid input counts as an attempt), and the credential id by the view.
Neither form ever renders what was typed back into the page.
"""

from django import forms
from django.utils.translation import gettext_lazy as _


class FindCredentialForm(forms.Form):
    """The index page's form: a credential id or a pasted verification URL (sent by GET)."""

    id = forms.CharField(
        label=_("Intygets id eller adress"),
        max_length=500,
        help_text=_("Skriv id:t som står på intyget, eller klistra in adressen från QR-koden."),
    )


class HolderCheckForm(forms.Form):
    """The personnummer from the presenter's ID document (sent by POST, never echoed)."""

    personnummer = forms.CharField(
        label=_("Personnummer från innehavarens id-handling"),
        required=False,
        max_length=200,
        help_text=_("ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN. Numret visas aldrig och sparas inte."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
