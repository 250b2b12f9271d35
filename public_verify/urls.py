"""``/verifiera/<id>/`` and ``/verifiera/<id>/json/`` answered before Wagtail's page routing.

``views.credential_answer`` answers from ``answer_cache`` when it can and
otherwise hands the request to Wagtail, whose ``VerificationPage`` routes it
as before; the page stays where editors see and manage it.
"""

from django.urls import path

from micromerits.selectors import VERIFY_PATH

from . import answer_cache, views

PREFIX = VERIFY_PATH.lstrip("/")

urlpatterns = [
    path(
        f"{PREFIX}<str:public_id>/",
        views.credential_answer,
        {"kind": answer_cache.HTML},
        name="verification_answer",
    ),
    path(
        f"{PREFIX}<str:public_id>/json/",
        views.credential_answer,
        {"kind": answer_cache.JSON},
        name="verification_answer_json",
    ),
]
