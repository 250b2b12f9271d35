"""The public site's pages.

The home page is the root of the public site; the verification page and the
catalogue (other issues) hang below it.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    """The portal's front page: what a mikromerit is and where to go next."""

    intro = RichTextField(_("inledning"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    max_count = 1

    class Meta:
        verbose_name = _("startsida")
