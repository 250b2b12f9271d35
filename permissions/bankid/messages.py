"""BankID's recommended user messages (RFA1–RFA23) and which one answers which hint code.

The texts follow the *BankID Relying Party Guidelines* ("Recommended user
messages"): the Swedish text is the msgid, the English one its translation in
``permissions/locale/en``. ``message_for_hint`` picks the message for a
``collect`` answer, ``message_for_error`` for an error from ``auth``,
``collect`` or ``cancel``, as the guidelines' tables say.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RFA = {
    "RFA1": _("Starta BankID-appen."),
    "RFA2": _("Du har inte BankID-appen installerad. Kontakta din bank."),
    "RFA3": _("Åtgärden avbruten. Försök igen."),
    "RFA4": _(
        "En identifiering eller underskrift för det här personnumret är redan påbörjad. "
        "Försök igen."
    ),
    "RFA5": _("Internt tekniskt fel. Försök igen."),
    "RFA6": _("Åtgärden avbruten."),
    "RFA8": _(
        "BankID-appen svarar inte. Kontrollera att den är startad och att du har "
        "internetanslutning. Om du inte har något giltigt BankID kan du skaffa ett hos din "
        "bank. Försök sedan igen."
    ),
    "RFA9": _("Skriv in din säkerhetskod i BankID-appen och välj Legitimera eller Skriv under."),
    "RFA13": _("Försöker starta BankID-appen."),
    "RFA15A": _(
        "Söker efter BankID, det kan ta en liten stund … Om det har gått några sekunder och "
        "inget BankID har hittats har du sannolikt inget BankID som går att använda för den "
        "aktuella identifieringen/underskriften i den här datorn. Om du har ett BankID-kort, "
        "sätt in det i kortläsaren. Om du inte har något BankID kan du skaffa ett hos din bank."
    ),
    "RFA15B": _(
        "Söker efter BankID, det kan ta en liten stund … Om det har gått några sekunder och "
        "inget BankID har hittats har du sannolikt inget BankID som går att använda för den "
        "aktuella identifieringen/underskriften i den här enheten. Om du inte har något BankID "
        "kan du skaffa ett hos din bank."
    ),
    "RFA16": _(
        "Det BankID du försöker använda är för gammalt eller spärrat. Använd ett annat BankID "
        "eller skaffa ett nytt hos din bank."
    ),
    "RFA17A": _(
        "BankID-appen verkar inte finnas i din dator eller telefon. Installera den och skaffa "
        "ett BankID hos din bank. Installera appen från din appbutik eller "
        "https://install.bankid.com."
    ),
    "RFA17B": _(
        "Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden. "
        "Kontrollera att BankID-appen är uppdaterad. Om du inte har BankID-appen måste du "
        "installera den och skaffa ett BankID hos din bank. Installera appen från din "
        "appbutik eller https://install.bankid.com."
    ),
    "RFA19": _(
        "Vill du identifiera dig eller skriva under med BankID på den här datorn eller med "
        "ett Mobilt BankID?"
    ),
    "RFA20": _(
        "Vill du identifiera dig eller skriva under med ett BankID på den här enheten eller "
        "med ett BankID på en annan enhet?"
    ),
    "RFA21": _("Identifiering eller underskrift pågår."),
    "RFA22": _("Okänt fel. Försök igen."),
    "RFA23": _("Fotografera och läs av din ID-handling med BankID-appen."),
}

#: Messages of the portal's own, for failures that are not BankID's answers.
NETWORK_ERROR = _(
    "Vi kunde inte nå BankID just nu. Kontrollera din anslutning och försök igen om en stund."
)
NOT_CONFIGURED = _("Inloggning med BankID är inte tillgänglig just nu. Försök igen senare.")
NO_ORDER = _("Ingen inloggning pågår. Börja om för att logga in med BankID.")
CANCELLED_HERE = _("Inloggningen avbröts. Du är inte inloggad.")
LOGGED_IN = _("Du är inloggad.")


def message_for_hint(
    *, status: str, hint_code: str | None, autostarted: bool = False, mobile: bool = False
) -> str:
    """The user message for a ``collect`` answer (``status`` pending or failed).

    ``autostarted``: the user pressed "open BankID on this device" (the RP
    tried to start the app); ``mobile``: the browser is on a phone or tablet.
    Unknown hint codes get RFA21 while pending and RFA22 when failed, as the
    guidelines require, so a new code from BankID never shows as an error page.
    """
    if status == "pending":
        if hint_code == "outstandingTransaction":
            return RFA["RFA13"] if autostarted else RFA["RFA1"]
        if hint_code == "noClient":
            return RFA["RFA1"]
        if hint_code == "started":
            return RFA["RFA15B"] if mobile else RFA["RFA15A"]
        if hint_code == "userSign":
            return RFA["RFA9"]
        if hint_code == "userMrtd":
            return RFA["RFA23"]
        return RFA["RFA21"]
    failed = {
        "expiredTransaction": RFA["RFA8"],
        "certificateErr": RFA["RFA16"],
        "userCancel": RFA["RFA6"],
        "cancelled": RFA["RFA3"],
        "startFailed": RFA["RFA17A"] if autostarted else RFA["RFA17B"],
    }
    return failed.get(hint_code or "", RFA["RFA22"])


def message_for_error(error_code: str | None) -> str:
    """The user message for an error answer (HTTP 4xx/5xx) of the RP API."""
    if error_code == "alreadyInProgress":
        return RFA["RFA4"]
    if error_code in {"internalError", "maintenance", "requestTimeout"}:
        return RFA["RFA5"]
    # invalidParameters, unauthorized, notFound …: an error in the portal, not the user's.
    return RFA["RFA22"]
