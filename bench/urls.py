"""The portal's URLs plus ``/bench/bare/``: a view that does nothing, for bench/verify_page.py."""

from django.http import HttpResponse
from django.urls import path

from cms.urls import urlpatterns as portal_urlpatterns


def bare(request):
    """The cheapest Django answer: what every request costs before the page does any work."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *portal_urlpatterns]
