"""The public site's pages.

The home page is the root of the public site; the verification page and the
catalogue (``CataloguePage``, /katalog/) hang below it.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.signals import published

from micromerits.models import Micromerit

from . import catalogue

published.connect(catalogue.reindex_published, sender=Micromerit, dispatch_uid="catalogue-reindex")


class HomePage(Page):
    """The portal's front page: what a mikromerit is and where to go next."""

    intro = RichTextField(_("inledning"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    max_count = 1

    class Meta:
        verbose_name = _("startsida")


class CataloguePage(RoutablePageMixin, Page):
    """The public catalogue of published mikromeriter (/katalog/), one sub-page each.

    The list and the pages are routes of this one page, not Wagtail pages per
    mikromerit: a mikromerit is a snippet owned by its organisation, and the
    catalogue only ever shows its published content (``cms.catalogue``).
    """

    intro = RichTextField(_("inledning"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = _("katalog")

    @path("")
    def catalogue_index(self, request):
        form = catalogue.CatalogueFilterForm(request.GET or None)
        query = catalogue.CatalogueQuery()
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            query = catalogue.CatalogueQuery(
                q=data["q"],
                level=data["level"],
                organisation=data["organisation"],
                participation=data["participation"],
                keyword=data["keyword"],
            )
        results = catalogue.catalogue_search(query)
        page = Paginator(results, catalogue.PAGE_SIZE).get_page(request.GET.get("sida"))
        params = request.GET.copy()
        params.pop("sida", None)
        return self.render(
            request,
            context_overrides={
                "form": form,
                "micromerits": page,
                "result_count": len(results),
                "filtering": form.is_bound and form.is_valid() and form.has_changed(),
                "page_query": params.urlencode(),
            },
        )

    @path("<int:pk>/")
    def micromerit_detail(self, request, pk):
        micromerit = catalogue.published_micromerit(pk)
        if micromerit is None:
            raise Http404
        return self.render(
            request,
            template="cms/catalogue_micromerit.html",
            context_overrides={"micromerit": micromerit},
        )

    def micromerit_url(self, micromerit) -> str:
        return self.url + self.reverse_subpage("micromerit_detail", args=[micromerit.pk])
