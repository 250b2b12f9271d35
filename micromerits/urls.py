"""URL patterns of the mikromerit admin screens (mounted under /admin/micromerits/)."""

from django.urls import path

from . import views

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
]
