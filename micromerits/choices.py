"""Fixed vocabularies of the mikromerit, shared by models, forms and the Excel template.

The Swedish labels are part of the Excel contract (TEMPLATE.md): the workbook
holds the label text, the database the stable value.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    SWEDISH = "sv", _("svenska")
    ENGLISH = "en", _("engelska")


class ParticipationForm(models.TextChoices):
    ON_SITE = "on_site", _("På plats")
    ONLINE = "online", _("Distans")
    BLENDED = "blended", _("Kombinerad")


class Supervision(models.TextChoices):
    UNSUPERVISED = "unsupervised", _("Ej övervakad, ingen ID-kontroll")
    SUPERVISED_NO_ID = "supervised_no_id", _("Övervakad, ingen ID-kontroll")
    SUPERVISED_ID_ON_SITE = "supervised_id_on_site", _("Övervakad med ID-kontroll på plats")
    SUPERVISED_ID_ONLINE = "supervised_id_online", _("Övervakad med ID-kontroll online")


class Stackability(models.TextChoices):
    STANDALONE = "standalone", _("Fristående")
    STACKABLE = "stackable", _("Kan ingå i annan merit")


class OutcomeType(models.TextChoices):
    KNOWLEDGE = "knowledge", _("Kunskap")
    SKILL = "skill", _("Färdighet")
    COMPETENCE = "competence", _("Kompetens")


class OrganisationKind(models.TextChoices):
    INDUSTRY_BODY = "industry_body", _("Branschorganisation")
    EMPLOYER = "employer", _("Arbetsgivare")
    VALIDATION_BODY = "validation_body", _("Valideringsaktör")
    EDUCATION_PROVIDER = "education_provider", _("Utbildningsanordnare")
    ASSOCIATION = "association", _("Förening")
    PUBLIC_AUTHORITY = "public_authority", _("Myndighet")
    OTHER = "other", _("Annan")


#: The learning-outcome introduction the Swedish model uses when none is given.
DEFAULT_OUTCOME_INTRODUCTION = "Innehavaren kan"
