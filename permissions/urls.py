"""The holder's login and logout (BankID): included by ``cms.urls`` before Wagtail's pages."""

from django.urls import path

from permissions.bankid import views

urlpatterns = [
    path("logga-in/", views.login_page, name="holder_login"),
    path("logga-in/qr/", views.login_qr, name="holder_login_qr"),
    path("logga-in/status/", views.login_status, name="holder_login_status"),
    path("logga-in/avbryt/", views.login_cancel, name="holder_login_cancel"),
    path("logga-ut/", views.logout_page, name="holder_logout"),
]
