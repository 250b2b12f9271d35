"""The verdict put into words: the three answers a verifier reads, and what the credential shows.

``verification.verify`` decides; this module says it, in plain Swedish (English
when the language is switched), for the public page, the holder's share page
and the JSON endpoint alike, so that they can never word a verdict
differently. ``credential_answers`` returns plain JSON-able values only. Nothing
here reveals the holder's personnummer, salt or commitment: the holder appears
by name only.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from micromerits.selectors import verification_url

from .verification import Status, Verdict

#: Words for the parts of the canonical document (``document.differing_parts`` paths),
#: most specific first: the first prefix that matches names the part.
PART_LABELS: list[tuple[str, str]] = [
    ("micromerit.title", gettext_lazy("mikromeritens titel")),
    ("micromerit.learning_outcomes", gettext_lazy("läranderesultaten")),
    ("micromerit.owner", gettext_lazy("skapande organisation")),
    ("micromerit.seqf_level", gettext_lazy("nivån (SeQF/EQF)")),
    ("micromerit.eqf_level", gettext_lazy("nivån (SeQF/EQF)")),
    ("micromerit.workload_hours", gettext_lazy("omfattningen")),
    ("micromerit.ects_credits", gettext_lazy("omfattningen")),
    ("micromerit.grading_scheme", gettext_lazy("betygsskalan")),
    ("micromerit.validity_months", gettext_lazy("giltighetstiden")),
    ("micromerit", gettext_lazy("mikromeritens beskrivning")),
    ("issuer", gettext_lazy("utfärdande organisation")),
    ("issued_by", gettext_lazy("utfärdarens företrädare")),
    ("issued_at", gettext_lazy("utfärdandedatum")),
    ("issued_on", gettext_lazy("utfärdandedatum")),
    ("assessment_date", gettext_lazy("bedömningsdatum")),
    ("identity_check", gettext_lazy("identitetskontrollen")),
    ("assessment", gettext_lazy("bedömningen")),
    ("grade", gettext_lazy("betyget")),
    ("best_before", gettext_lazy("bäst före-datum")),
    ("comment", gettext_lazy("utfärdarens kommentar")),
    ("holder", gettext_lazy("innehavaren")),
    ("id", gettext_lazy("intygets id")),
    ("verification_url", gettext_lazy("verifieringsadressen")),
    ("registry.digest", gettext_lazy("registrets kontrollsumma")),
    ("registry.inclusion", gettext_lazy("registrets bevis (kontrollpunkten)")),
    ("type", gettext_lazy("dokumentformatet")),
    ("version", gettext_lazy("dokumentformatet")),
]


def part_label(path: str) -> str:
    """The words for a changed part's dotted path (``assessment`` → "bedömningen")."""
    for prefix, label in PART_LABELS:
        if path == prefix or path.startswith(f"{prefix}."):
            return str(label)
    return _("övriga uppgifter")


def part_labels(paths: list[str]) -> list[str]:
    """The words for ``paths``, each named once, in the order first met."""
    labels: list[str] = []
    for path in paths:
        label = part_label(path)
        if label not in labels:
            labels.append(label)
    return labels


#: The short answer that leads each question's text.
ANSWER_WORDS = {
    "yes": gettext_lazy("Ja"),
    "no": gettext_lazy("Nej"),
    "pending": gettext_lazy("Väntar på bekräftelse"),
    "unknown": gettext_lazy("Kan inte avgöras"),
}


def _worded(answer: dict) -> dict:
    return {"answer": answer["answer"], "word": str(ANSWER_WORDS[answer["answer"]]), **answer}


def _date(value) -> str:
    return date_format(value, "j F Y") if value else ""


def genuine_answer(credential, verdict: Verdict) -> dict:
    """**Äkta?** — issued by the named organisation and recorded in the registry."""
    issuer = credential.issuer.name
    if verdict.status == Status.GENUINE:
        return {
            "answer": "yes",
            "text": _(
                "Intyget är utfärdat av %(issuer)s och finns i mikromeritregistret, "
                "bekräftat av en signerad kontrollpunkt."
            )
            % {"issuer": issuer},
        }
    if verdict.status == Status.PENDING:
        return {
            "answer": "pending",
            "text": _(
                "Intyget är utfärdat av %(issuer)s och signerat av portalen, men registrets "
                "nästa kontrollpunkt är inte gjord än. Det är normalt strax efter utfärdandet "
                "och betyder inte att något är fel. Kontrollera igen om en stund."
            )
            % {"issuer": issuer},
        }
    if verdict.status == Status.DATA_CHANGED:
        return {
            "answer": "no",
            "text": _(
                "Uppgifterna som visas här är inte de som %(issuer)s utfärdade och registrerade."
            )
            % {"issuer": issuer},
        }
    if verdict.status == Status.SIGNATURE_INVALID:
        return {
            "answer": "no",
            "text": _(
                "Portalens signatur på det registrerade intyget är ogiltig, så det går inte att "
                "lita på att %(issuer)s utfärdade det."
            )
            % {"issuer": issuer},
        }
    return {"answer": "no", "text": _("Intyget finns inte i mikromeritregistret.")}


def intact_answer(verdict: Verdict) -> dict:
    """**Oförändrad och fullständig?** — and, when not, which parts no longer match."""
    if verdict.intact is True:
        return {
            "answer": "yes",
            "changed_parts": [],
            "text": _(
                "Allt som visas nedan stämmer exakt med det som registrerades när "
                "intyget utfärdades."
            ),
        }
    if verdict.intact is False:
        labels = part_labels(verdict.changed_parts)
        return {
            "answer": "no",
            "changed_parts": labels,
            "text": _("Det här stämmer inte längre med det som registrerades: %(parts)s.")
            % {"parts": ", ".join(labels)},
        }
    return {
        "answer": "unknown",
        "changed_parts": [],
        "text": _("Eftersom intyget inte kunde bekräftas går det inte att säga."),
    }


def best_before_answer(credential, verdict: Verdict) -> dict:
    """The best-before state: a passed date leaves the credential genuine."""
    best_before = credential.best_before
    if best_before is None:
        return {"date": None, "passed": False, "text": _("Intyget har inget bäst före-datum.")}
    if verdict.best_before_passed:
        text = _(
            "Bäst före-datumet %(date)s har passerat. Intyget är fortfarande äkta: det visar "
            "vad innehavaren kunde när det utfärdades, men kunskaperna kan behöva förnyas."
        )
    else:
        text = _("Bäst före %(date)s.")
    return {
        "date": best_before.isoformat(),
        "passed": verdict.best_before_passed,
        "text": text % {"date": _date(best_before)},
    }


def holder_name(credential) -> str:
    """The holder's name as the issuer recorded it (never the personnummer)."""
    recipient = credential.recipient
    return f"{recipient.first_name} {recipient.last_name}".strip()


def credential_content(credential) -> dict:
    """What the credential says, as the page and the JSON show it."""
    content = credential.content
    owner = content.get("owner") or {}
    return {
        "id": credential.public_id,
        "title": content.get("title", ""),
        "title_en": content.get("title_en", ""),
        "learning_outcomes": [
            outcome.get("sentence", "") for outcome in content.get("learning_outcomes", [])
        ],
        "issuer": {"name": credential.issuer.name, "orgnr": credential.issuer.orgnr},
        "owner": {"name": owner.get("name", ""), "orgnr": owner.get("orgnr", "")},
        "issued_on": credential.issued_on.isoformat(),
        "assessment_date": credential.assessment_date.isoformat(),
        "assessment_type": content.get("assessment_type", ""),
        "assessment": credential.assessment,
        "identity_check": credential.identity_check,
        "grade": credential.grade,
        "best_before": credential.best_before.isoformat() if credential.best_before else None,
        "seqf_level": content.get("seqf_level"),
        "eqf_level": content.get("eqf_level"),
        "workload_hours": content.get("workload_hours"),
        "holder_name": holder_name(credential),
    }


def credential_answers(credential, verdict: Verdict) -> dict:
    """The verdict and the credential's content as plain JSON-able values (the JSON endpoint's body)."""
    checkpoint = verdict.checkpoint
    return {
        "id": credential.public_id,
        "verification_url": verification_url(credential),
        "status": verdict.status,
        "genuine": _worded(genuine_answer(credential, verdict)),
        "intact": _worded(intact_answer(verdict)),
        "best_before": best_before_answer(credential, verdict),
        "credential": credential_content(credential),
        "registry": {
            "leaf_index": verdict.leaf_index,
            "checkpoint": (
                {"size": checkpoint.size, "root": checkpoint.root} if checkpoint else None
            ),
        },
    }
