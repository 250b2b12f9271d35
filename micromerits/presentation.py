"""What an issued credential says, as labelled Swedish facts: one source for every page and the PDF.

The holder's detail page, the shared page and the PDF certificate all show
the same elements of a credential in the same words, read from the frozen
content (``credential.version.content``) and the credential's own fields,
never from the live mikromerit, which may have changed since. Stored choice
values (``on_site``) become their labels (*På plats*) here. The holder is
shown by name and birth date only; the personnummer never appears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import OutcomeType, ParticipationForm, Stackability, Supervision
from .models import Credential
from .selectors import verification_url

#: LinkedIn's "add licence or certification to profile" address.
LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"


@dataclass
class OutcomeGroup:
    type_label: str
    sentences: list[str] = field(default_factory=list)


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _number(text: str | None) -> str:
    # Stored as "7.5"; Swedish readers write "7,5".
    return (text or "").replace(".", ",")


def outcome_groups(content: dict) -> list[OutcomeGroup]:
    """The learning outcomes as sentences, grouped Kunskap, Färdighet, Kompetens (in that order)."""
    groups = {value: OutcomeGroup(str(label)) for value, label in OutcomeType.choices}
    for outcome in content.get("learning_outcomes", []):
        group = groups.setdefault(outcome.get("type", ""), OutcomeGroup(outcome.get("type", "")))
        group.sentences.append(outcome.get("sentence", ""))
    return [group for group in groups.values() if group.sentences]


def micromerit_facts(content: dict) -> list[tuple[str, str]]:
    """The mikromerit's elements (EU standard) from the frozen content, empty ones left out."""
    workload = ""
    if content.get("workload_hours"):
        workload = _("%(hours)s timmar") % {"hours": _number(content["workload_hours"])}
    if content.get("ects_credits"):
        workload += (", " if workload else "") + _("%(credits)s högskolepoäng") % {
            "credits": _number(content["ects_credits"])
        }
    if content.get("seqf_level"):
        level = (
            f"SeQF {content['seqf_level']}, EQF {content.get('eqf_level') or content['seqf_level']}"
        )
    else:
        level = _("Ej nivåplacerad")
    stackability = _label(Stackability, content.get("stackability", ""))
    if stackability and content.get("part_of"):
        stackability = f"{stackability} – {content['part_of']}"
    validity = ""
    if content.get("validity_months"):
        months = int(content["validity_months"])
        validity = ngettext("%(months)s månad", "%(months)s månader", months) % {"months": months}
    owner = content.get("owner") or {}
    rows = [
        (_("Skapande organisation"), f"{owner.get('name', '')} ({owner.get('orgnr', '')})"),
        (_("Land/region"), content.get("country_region", "")),
        (_("Omfattning"), workload),
        (_("Nivå"), level),
        (_("Bedömningsform"), content.get("assessment_type", "")),
        (_("Deltagandeform"), _label(ParticipationForm, content.get("participation_form", ""))),
        (_("Kvalitetssäkring"), content.get("quality_assurance", "")),
        (_("Förkunskapskrav"), content.get("prerequisites", "")),
        (
            _("Övervakning och identitetskontroll"),
            _label(Supervision, content.get("supervision", "")),
        ),
        (_("Betygsskala"), content.get("grading_scheme", "")),
        (_("Stapelbarhet"), stackability),
        (_("Giltighetstid"), validity),
        (_("Ytterligare information"), content.get("further_information", "")),
        (_("Nyckelord"), content.get("keywords", "")),
    ]
    return [(label, value) for label, value in rows if value]


def issuance_facts(credential: Credential) -> list[tuple[str, str]]:
    """What belongs to this one issuance: issuer, dates, identity check, assessment, grade."""
    issued_by = credential.issued_by
    rows = [
        (_("Utfärdare"), f"{credential.issuer.name} ({credential.issuer.orgnr})"),
        (_("Utfärdad av"), issued_by.get_full_name() or issued_by.get_username()),
        (_("Utfärdandedatum"), date_format(credential.issued_on, "j F Y")),
        (_("Bedömningsdatum"), date_format(credential.assessment_date, "j F Y")),
        (_("Identitetskontroll"), credential.identity_check),
        (_("Bedömning"), credential.assessment),
        (_("Betyg"), credential.grade),
        (
            _("Bäst före"),
            date_format(credential.best_before, "j F Y") if credential.best_before else "",
        ),
        (_("Kommentar"), credential.comment),
        (_("Id"), credential.public_id),
    ]
    return [(label, value) for label, value in rows if value]


def linkedin_url(credential: Credential) -> str:
    """LinkedIn's add-to-profile link for ``credential``, every parameter URL-encoded.

    The organisation is the issuer (who vouches for this credential); the
    credential id is the public id and the URL is the public verification page.
    """
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": credential.title,
        "organizationName": credential.issuer.name,
        "issueYear": credential.issued_on.year,
        "issueMonth": credential.issued_on.month,
    }
    if credential.best_before:
        params["expirationYear"] = credential.best_before.year
        params["expirationMonth"] = credential.best_before.month
    params["certId"] = credential.public_id
    params["certUrl"] = verification_url(credential)
    return f"{LINKEDIN_ADD_URL}?{urlencode(params)}"
