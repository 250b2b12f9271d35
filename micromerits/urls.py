"""URL patterns of the mikromerit admin screens (mounted under /admin/micromerits/).

The issuing area (``issue/…``) is served by ``issuer_views``; the listing of
issued credentials is ``issuer_views.CredentialViewSet`` (``/admin/issued/``).
"""

from django.urls import path

from . import issuer_views, views

admin_urlpatterns = [
    path("import/", views.MicromeritImportView.as_view(), name="import"),
    path("template.xlsx", views.TemplateDownloadView.as_view(), name="template"),
    path("<int:pk>/export.xlsx", views.MicromeritExportView.as_view(), name="export"),
    path("<int:pk>/issuing-rights/", views.IssuingRightsView.as_view(), name="issuing_rights"),
    path(
        "<int:pk>/issuing-rights/<int:right_pk>/withdraw/",
        views.IssuingRightWithdrawView.as_view(),
        name="issuing_right_withdraw",
    ),
    # Utfärda: the issuer's area.
    path("issue/", issuer_views.IssueIndexView.as_view(), name="issue_index"),
    path("issue/<int:pk>/person/", issuer_views.IssuePersonView.as_view(), name="issue_person"),
    path("issue/<int:pk>/upload/", issuer_views.IssueUploadView.as_view(), name="issue_upload"),
    path(
        "issue/<int:pk>/upload/<str:token>/",
        issuer_views.IssuePreviewView.as_view(),
        name="issue_preview",
    ),
]
