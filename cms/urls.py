"""The portal's URLs: the Wagtail admin, then everything else served as Wagtail pages."""

from django.conf import settings
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # The language switch changes nothing but the display language, so it takes no CSRF token:
    # the public pages carry no per-visitor token and can be kept (public_verify.answer_cache).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # The holder's pages (/mina-mikromeriter/) and shared credentials (/delad/).
    path("", include("micromerits.holder_urls")),
    # The holder's BankID login and logout (/logga-in/, /logga-ut/).
    path("", include("permissions.urls")),
    # /verifiera/<id>/ and its json/: kept answers first, then the Wagtail page (public_verify).
    path("", include("public_verify.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
