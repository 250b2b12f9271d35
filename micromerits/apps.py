from django.apps import AppConfig


class MicromeritsConfig(AppConfig):
    verbose_name = "Mikromeriter"
    name = "micromerits"
    default_auto_field = "django.db.models.BigAutoField"
