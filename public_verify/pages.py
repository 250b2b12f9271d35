"""The public verification page and what it stores: a routable Wagtail page and holder-check attempts.

``VerificationPage`` lives once, at ``/verifiera/`` below the home page (made
by a data migration). Its routes are thin: ``<public_id>/`` answers for a
credential in HTML, ``<public_id>/json/`` the same answers as JSON, and the
index explains and takes an id or a pasted URL; ``public_verify.views`` does
the work. ``HolderCheckAttempt`` is the rate limit's store: rows in the
database, so the limit holds across processes and app servers.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import RichTextField
from wagtail.models import Page


class VerificationPage(RoutablePageMixin, Page):
    """Where a certificate's QR code leads: is the credential genuine, intact, the holder's."""

    intro = RichTextField(
        _("inledning"),
        blank=True,
        help_text=_("Visas ovanför formuläret på /verifiera/. Tomt ger standardtexten."),
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count = 1
    template = "public_verify/verification_page.html"

    class Meta:
        verbose_name = _("verifieringssida")

    @path("")
    def index_route(self, request):
        from . import views

        return views.verification_index(request, self)

    @path("<str:public_id>/")
    def credential_route(self, request, public_id: str):
        from . import views

        return views.credential_page(request, self, public_id)

    @path("<str:public_id>/json/")
    def credential_json_route(self, request, public_id: str):
        from . import views

        return views.credential_json(request, self, public_id)

    # Anything else below /verifiera/ (extra path segments): the same friendly 404.
    @re_path(r"^.+$")
    def not_found_route(self, request):
        from . import views

        return views.not_found(request, self)


class HolderCheckAttempt(models.Model):
    """One holder check asked for, kept only as long as the rate limit looks back.

    ``client`` is a keyed hash of the client's address, never the address
    itself; the typed personnummer is never stored. Each attempt is written
    before it is counted, so two servers answering at once can only be too
    strict, never let more attempts through than the limit.
    """

    credential = models.ForeignKey(
        "micromerits.Credential", on_delete=models.CASCADE, related_name="+"
    )
    client = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("kontroll av innehavare")
        verbose_name_plural = _("kontroller av innehavare")
        indexes = [
            models.Index(fields=["client", "created_at"]),
            models.Index(fields=["credential", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"holder check {self.pk}"
