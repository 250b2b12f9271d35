"""The public catalogue's reads: published mikromeriter, searched and filtered.

Only what is published is public: ``live=True``, and the content of the row,
which is the published content (drafts live in revisions and never reach the
row until the owner publishes). The search goes through Wagtail search (the
database backend), which indexes the title, description, keywords and the
learning outcomes; filters the index cannot answer (form of participation,
keyword, issuing organisation) are applied in the database afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail.search.backends import get_search_backend

from micromerits.choices import ParticipationForm
from micromerits.models import IssuingRight, Micromerit, Organisation

#: Mikromeriter per catalogue page.
PAGE_SIZE = 20


def published_micromerits() -> QuerySet[Micromerit]:
    """Every published mikromerit, with what a catalogue entry shows, in title order."""
    return (
        Micromerit.objects.filter(live=True)
        .select_related("owner")
        .prefetch_related(
            "learning_outcomes",
            Prefetch(
                "issuing_rights",
                queryset=IssuingRight.objects.active()
                .select_related("organisation")
                .order_by("organisation__name"),
                to_attr="active_issuing_rights",
            ),
        )
        .order_by("title")
    )


def catalogue_organisations() -> QuerySet[Organisation]:
    """Organisations that own or may issue a published mikromerit."""
    return (
        Organisation.objects.filter(
            Q(owned_micromerits__live=True)
            | Q(
                issuing_rights__withdrawn_at__isnull=True,
                issuing_rights__micromerit__live=True,
            )
        )
        .distinct()
        .order_by("name")
    )


def catalogue_keywords() -> list[str]:
    """Every keyword of a published mikromerit, once, in alphabetical order."""
    words: dict[str, str] = {}
    for text in Micromerit.objects.filter(live=True).values_list("keywords", flat=True):
        for word in text.split(","):
            if word.strip():
                words.setdefault(word.strip().casefold(), word.strip())
    return sorted(words.values(), key=str.casefold)


def level_choices():
    return [("", _("Alla nivåer"))] + [
        (str(n), _("SeQF %(level)s") % {"level": n}) for n in range(1, 9)
    ]


class CatalogueFilterForm(forms.Form):
    """The catalogue's search box and filters, read from the query string."""

    q = forms.CharField(label=_("Sök"), required=False, max_length=200)
    level = forms.TypedChoiceField(
        label=_("SeQF-nivå"), required=False, coerce=int, empty_value=None, choices=level_choices
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organisation.objects.none(),
        empty_label=_("Alla organisationer"),
    )
    participation = forms.ChoiceField(
        label=_("Deltagandeform"),
        required=False,
        choices=[("", _("Alla former"))] + list(ParticipationForm.choices),
    )
    keyword = forms.ChoiceField(label=_("Nyckelord"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = catalogue_organisations()
        self.fields["keyword"].choices = [("", _("Alla nyckelord"))] + [
            (word, word) for word in catalogue_keywords()
        ]


@dataclass(frozen=True)
class CatalogueQuery:
    q: str = ""
    level: int | None = None
    organisation: Organisation | None = None
    participation: str = ""
    keyword: str = ""


def catalogue_search(query: CatalogueQuery) -> list[Micromerit]:
    """Published mikromeriter matching ``query``: best matches first when searching, else by title."""
    queryset = published_micromerits()
    if query.level is not None:
        queryset = queryset.filter(seqf_level=query.level)
    if query.organisation is not None:
        queryset = queryset.filter(
            Q(owner=query.organisation)
            | Q(
                issuing_rights__organisation=query.organisation,
                issuing_rights__withdrawn_at__isnull=True,
            )
        ).distinct()
    if query.participation:
        queryset = queryset.filter(participation_form=query.participation)
    if query.keyword:
        # A first cut in the database, then whole words only ("bygg" must not match "byggnad").
        queryset = queryset.filter(keywords__icontains=query.keyword)
    results = list(queryset)
    if query.keyword:
        wanted = query.keyword.casefold()
        results = [m for m in results if wanted in (w.casefold() for w in m.keyword_list)]
    if query.q.strip():
        ranked = [
            m.pk
            for m in get_search_backend().search(
                query.q, Micromerit.objects.filter(live=True), operator="and"
            )
        ]
        position = {pk: n for n, pk in enumerate(ranked)}
        results = sorted((m for m in results if m.pk in position), key=lambda m: position[m.pk])
    return results


def published_micromerit(pk: int) -> Micromerit | None:
    """The published mikromerit ``pk`` with what its page shows, or None (unknown or unpublished)."""
    return published_micromerits().filter(pk=pk).first()


def reindex_published(sender, instance, **kwargs) -> None:
    """Index a mikromerit again once publishing has saved its learning outcomes.

    Wagtail's post-save index update is a task; run at once (the immediate task
    backend, as in tests) it reads the mikromerit before modelcluster has written
    the new learning outcomes, so a changed outcome would be found only after the
    next save. This indexes again once publishing is complete, whatever the task
    backend. Connected in ``cms.models`` to Wagtail's ``published`` signal.
    """
    from wagtail.search import index

    index.insert_or_update_object(Micromerit.objects.get(pk=instance.pk))
