from django.apps import AppConfig


class PublicVerifyConfig(AppConfig):
    name = "public_verify"
    verbose_name = "Verifiering"
    default_auto_field = "django.db.models.BigAutoField"
