"""URLs of the holder's pages (``/mina-mikromeriter/``) and of shared credentials (``/delad/``).

Included from ``cms.urls`` before Wagtail's catch-all. The public id in a
holder URL is the credential's random id, never anything personal; the token
in a shared URL is the share link's secret.
"""

from django.conf import settings
from django.urls import path

from . import holder_views as views

#: "/mina-mikromeriter/" without the slashes, so the e-mails' link and these URLs agree.
HOLDER_PREFIX = settings.PORTAL_HOLDER_PATH.strip("/") + "/"

urlpatterns = [
    path(HOLDER_PREFIX, views.credential_list, name="holder_credentials"),
    path(f"{HOLDER_PREFIX}<str:public_id>/", views.credential_detail, name="holder_credential"),
    path(
        f"{HOLDER_PREFIX}<str:public_id>/dolj/",
        views.credential_hide,
        name="holder_credential_hide",
    ),
    path(
        f"{HOLDER_PREFIX}<str:public_id>/visa/",
        views.credential_unhide,
        name="holder_credential_unhide",
    ),
    path(
        f"{HOLDER_PREFIX}<str:public_id>/intyg.pdf",
        views.credential_pdf,
        name="holder_credential_pdf",
    ),
    path(
        f"{HOLDER_PREFIX}<str:public_id>/mikromerit.json",
        views.credential_export,
        name="holder_credential_export",
    ),
    path(
        f"{HOLDER_PREFIX}<str:public_id>/delningslankar/",
        views.share_link_create,
        name="holder_share_link_create",
    ),
    path(
        f"{HOLDER_PREFIX}<str:public_id>/delningslankar/<int:pk>/aterkalla/",
        views.share_link_withdraw,
        name="holder_share_link_withdraw",
    ),
    path("delad/<str:token>/", views.shared_credential, name="shared_credential"),
    path("delad/<str:token>/intyg.pdf", views.shared_certificate, name="shared_certificate"),
]
