"""The domain: organisations, mikromeriter, their learning outcomes and issuing rights.

A ``Micromerit`` is a Wagtail snippet with drafts, revisions, locking and search;
the row holds the published (live) content and drafts live in revisions, so
editing a published mikromerit never changes what was published until the owner
publishes again. Who may do what with a mikromerit is decided in
``permissions.policies``; state changes go through ``micromerits.services``.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
)
from wagtail.search import index

from .choices import (
    DEFAULT_OUTCOME_INTRODUCTION,
    Language,
    OrganisationKind,
    OutcomeType,
    ParticipationForm,
    Stackability,
    Supervision,
)
from .fields import EncryptedTextField
from .identity import InvalidIdentityNumber, normalise_orgnr

LEVEL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(8)]


def validate_orgnr(value: str) -> None:
    """Model-field validator: a well-formed organisationsnummer with a correct check digit."""
    try:
        normalise_orgnr(value)
    except InvalidIdentityNumber as exc:
        raise ValidationError(
            _(
                "Ogiltigt organisationsnummer: ange tio siffror (NNNNNN-NNNN) med rätt kontrollsiffra."
            )
        ) from exc


class Organisation(models.Model):
    """An organisation that creates or issues mikromeriter, acting through representatives."""

    name = models.CharField(_("namn"), max_length=255)
    orgnr = models.CharField(
        _("organisationsnummer"),
        max_length=11,
        unique=True,
        validators=[validate_orgnr],
        help_text=_("Tio siffror, NNNNNN-NNNN."),
    )
    kind = models.CharField(
        _("typ"), max_length=32, choices=OrganisationKind.choices, default=OrganisationKind.OTHER
    )
    country_region = models.CharField(_("land/region"), max_length=255, default="Sverige")
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logotyp"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_email = models.EmailField(_("kontakt (e-post)"), blank=True)
    website = models.URLField(_("webbplats"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.orgnr})"

    def save(self, *args, **kwargs):
        # One stored form, so that lookups by number never miss on a hyphen.
        self.orgnr = normalise_orgnr(self.orgnr)
        super().save(*args, **kwargs)


class Micromerit(
    PreviewableMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    index.Indexed,
    ClusterableModel,
):
    """The definition of a mikromerit, with every element of the EU standard.

    The owner organisation and the representative who created it are fixed at
    creation. Mandatory elements are ``blank=False`` so that publishing enforces
    them, while Wagtail lets a draft be saved before they are filled in.
    """

    # Step 1: Grunduppgifter
    title = models.CharField(_("titel"), max_length=255)
    title_en = models.CharField(_("titel på engelska"), max_length=255, blank=True)
    description = models.TextField(_("beskrivning"))
    language = models.CharField(
        _("språk"), max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    country_region = models.CharField(
        _("land/region"),
        max_length=255,
        default="Sverige",
        help_text=_("T.ex. ”Sverige” eller ”Sverige, Västerbotten”."),
    )
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("skapande organisation"),
        on_delete=models.PROTECT,
        related_name="owned_micromerits",
        help_text=_("Den organisation som äger mikromeriten. Kan inte ändras efteråt."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("skapad av"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
    )
    keywords = models.CharField(
        _("nyckelord"), max_length=500, blank=True, help_text=_("Kommaseparerade ord.")
    )

    # Step 2: Beskriv lärandet (learning outcomes are the inline LearningOutcome)
    prerequisites = models.TextField(_("förkunskapskrav"), blank=True)

    # Step 3: Omfattning och kvalitet
    workload_hours = models.DecimalField(
        _("omfattning i timmar"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=False,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    ects_credits = models.DecimalField(
        _("högskolepoäng (ECTS)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    seqf_level = models.PositiveSmallIntegerField(
        _("SeQF-nivå"), null=True, blank=True, validators=LEVEL_VALIDATORS
    )
    eqf_level = models.PositiveSmallIntegerField(
        _("EQF-nivå"),
        null=True,
        blank=True,
        validators=LEVEL_VALIDATORS,
        help_text=_("Lämna tomt för samma nivå som SeQF."),
    )
    assessment_type = models.TextField(_("bedömningsform"))
    participation_form = models.CharField(
        _("deltagandeform"), max_length=16, choices=ParticipationForm.choices
    )
    quality_assurance = models.TextField(_("kvalitetssäkring"))
    supervision = models.CharField(
        _("övervakning och identitetskontroll"),
        max_length=32,
        choices=Supervision.choices,
        blank=True,
    )
    grading_scheme = models.CharField(
        _("betygsskala"),
        max_length=255,
        blank=True,
        help_text=_("Betygsstegen åtskilda med snedstreck, t.ex. ”Godkänd/Underkänd”."),
    )
    stackability = models.CharField(
        _("stapelbarhet"), max_length=16, choices=Stackability.choices, blank=True
    )
    part_of = models.CharField(_("ingår i"), max_length=500, blank=True)
    validity_months = models.PositiveIntegerField(
        _("giltighetstid i månader"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Bäst före-datum = utfärdandedatum + så många månader."),
    )
    further_information = models.TextField(_("ytterligare information"), blank=True)

    search_fields = [
        index.SearchField("title", boost=3),
        index.SearchField("title_en", boost=2),
        index.SearchField("description"),
        index.SearchField("keywords", boost=2),
        index.AutocompleteField("title"),
        index.RelatedFields(
            "learning_outcomes",
            [
                index.SearchField("activity"),
                index.SearchField("content"),
                index.SearchField("quality_context"),
            ],
        ),
        index.FilterField("owner"),
        index.FilterField("live"),
        index.FilterField("seqf_level"),
    ]

    class Meta:
        verbose_name = _("mikromerit")
        verbose_name_plural = _("mikromeriter")
        ordering = ["title"]
        permissions = [
            ("grant_micromerit", "Can grant and withdraw issuing rights to the micromerit"),
            ("issue_micromerit", "Can issue the micromerit to a recipient"),
        ]

    def __str__(self) -> str:
        return self.title or str(_("(namnlös mikromerit)"))

    def clean(self) -> None:
        super().clean()
        # TEMPLATE.md: an empty EQF level means the same as the SeQF level.
        if self.eqf_level is None and self.seqf_level is not None:
            self.eqf_level = self.seqf_level

    @property
    def grades(self) -> list[str]:
        """The grading scheme's steps, in order (empty when there is no scheme)."""
        return [step.strip() for step in self.grading_scheme.split("/") if step.strip()]

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]

    def get_preview_template(self, request, mode_name):
        return "micromerits/micromerit_preview.html"


class LearningOutcome(Orderable):
    """One learning outcome, written as the Swedish model writes them.

    Read together the parts form one sentence: *Innehavaren kan* (introduction)
    *välja* (activity) *relevanta metoder* (content) *för att måla fasader*
    (quality and context).
    """

    micromerit = ParentalKey(Micromerit, on_delete=models.CASCADE, related_name="learning_outcomes")
    outcome_type = models.CharField(_("typ"), max_length=16, choices=OutcomeType.choices)
    introduction = models.CharField(
        _("inledning"), max_length=100, blank=True, default=DEFAULT_OUTCOME_INTRODUCTION
    )
    activity = models.CharField(
        _("aktivitet (aktivt verb)"), max_length=255, help_text=_("T.ex. ”välja”.")
    )
    content = models.TextField(_("innehåll"), help_text=_("T.ex. ”relevanta metoder och verktyg”."))
    quality_context = models.TextField(
        _("kvalitet och sammanhang"), help_text=_("T.ex. ”för att måla fasader av puts och trä”.")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("läranderesultat")
        verbose_name_plural = _("läranderesultat")

    def __str__(self) -> str:
        return self.sentence

    @property
    def sentence(self) -> str:
        """The outcome as one Swedish sentence, ending with a full stop."""
        parts = [
            (self.introduction or DEFAULT_OUTCOME_INTRODUCTION).strip(),
            self.activity.strip(),
            self.content.strip(),
            self.quality_context.strip(),
        ]
        text = " ".join(part for part in parts if part)
        return text if text.endswith((".", "!", "?")) else f"{text}."


class IssuingRightQuerySet(models.QuerySet):
    def active(self) -> IssuingRightQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class IssuingRight(models.Model):
    """The owner's grant to an organisation to issue one mikromerit (utfärdanderätt).

    Rows are never deleted: withdrawing stamps ``withdrawn_at``, and granting
    again creates a new row, so the history of who could issue when stays whole.
    Withdrawing stops future issuance and never touches issued credentials.
    """

    micromerit = models.ForeignKey(
        Micromerit, on_delete=models.CASCADE, related_name="issuing_rights"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="issuing_rights"
    )
    granted_at = models.DateTimeField(_("beviljad"), auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("återkallad"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = IssuingRightQuerySet.as_manager()

    class Meta:
        verbose_name = _("utfärdanderätt")
        verbose_name_plural = _("utfärdanderätter")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["micromerit", "organisation"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_issuing_right_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.micromerit}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Recipient(models.Model):
    """A person who holds credentials (mottagare).

    Personnummer, names and e-mail are encrypted at rest; the person is found
    by ``personnummer_index``, a keyed hash (blind index) of the normalised
    12-digit number, so the same person issued twice is the same recipient.
    Names and e-mail are updated from the newest issuance.
    """

    personnummer_index = models.CharField(max_length=64, unique=True, editable=False)
    personnummer = EncryptedTextField(_("personnummer"), editable=False)
    first_name = EncryptedTextField(_("förnamn"))
    last_name = EncryptedTextField(_("efternamn"))
    email = EncryptedTextField(_("e-post"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mottagare")
        verbose_name_plural = _("mottagare")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        # Never the personnummer, not even in a traceback.
        return f"<Recipient {self.pk}>"

    @property
    def birth_date_text(self) -> str:
        """YYYY-MM-DD of birth (day minus 60 for a samordningsnummer): what certificates show."""
        number = self.personnummer
        day = int(number[6:8])
        if day > 60:
            day -= 60
        return f"{number[:4]}-{number[4:6]}-{day:02d}"


class IssuanceBatch(models.Model):
    """One act of issuing: a form submission, an uploaded list, or a command run."""

    class Source(models.TextChoices):
        FORM = "form", _("Formulär")
        UPLOAD = "upload", _("Uppladdad lista")
        COMMAND = "command", _("Kommandorad")

    micromerit = models.ForeignKey(Micromerit, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    filename = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("utfärdande")
        verbose_name_plural = _("utfärdanden")

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.created_at:%Y-%m-%d %H:%M} ({self.size})"


class ImmutableQuerySet(models.QuerySet):
    """Refuses bulk updates and deletes: issued credentials never change and are never revoked."""

    def update(self, **kwargs):
        raise ImmutableError("issued credentials cannot be changed")

    def delete(self):
        raise ImmutableError("issued credentials cannot be deleted")


class ImmutableError(Exception):
    """Raised on any attempt to change or delete an issued credential."""


def new_public_id() -> str:
    """24 random bytes (192 bits), URL-safe; the id is also the credential's URL.

    Never starting with ``-``: command lines take the id as an argument, and
    argparse would read such an id as an option (one id in 64 did).
    """
    while True:
        public_id = secrets.token_urlsafe(24)
        if not public_id.startswith("-"):
            return public_id


def new_holder_salt() -> str:
    return secrets.token_hex(16)  # 128 bits


class MicromeritVersion(models.Model):
    """The published content of a mikromerit, frozen, as credentials issued from it carry it.

    One row per published revision that anything was issued from: ten thousand
    credentials issued from the same publication share one copy. Never changed
    or deleted, like the credentials that refer to it.
    """

    micromerit = models.ForeignKey(Micromerit, on_delete=models.PROTECT, related_name="versions")
    revision_id = models.BigIntegerField(unique=True, editable=False)
    content = models.JSONField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("fryst version av mikromerit")
        verbose_name_plural = _("frysta versioner av mikromeriter")

    def __str__(self) -> str:
        return f"{self.content.get('title', '')} (version {self.revision_id})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("a frozen version cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("a frozen version cannot be deleted")


class Credential(models.Model):
    """One issuance of a mikromerit to one person (utfärdad mikromerit).

    It freezes the published content as it was at the moment of issuing
    (``version``, from the live revision), so later edits of the mikromerit
    never change what was issued. Once created it is
    never changed and never revoked by an organisation: ``save`` refuses
    updates, ``delete`` refuses, and the queryset refuses bulk changes.
    """

    public_id = models.CharField(max_length=64, unique=True, default=new_public_id, editable=False)
    micromerit = models.ForeignKey(Micromerit, on_delete=models.PROTECT, related_name="credentials")
    version = models.ForeignKey(
        MicromeritVersion, on_delete=models.PROTECT, related_name="credentials"
    )
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="credentials")
    issuer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="issued_credentials"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    batch = models.ForeignKey(IssuanceBatch, on_delete=models.PROTECT, related_name="credentials")
    issued_at = models.DateTimeField(_("utfärdad"))
    issued_on = models.DateField(_("utfärdandedatum"), help_text=_("Datum i Europe/Stockholm."))
    assessment_date = models.DateField(_("bedömningsdatum"))
    identity_check = models.TextField(_("identitetskontroll"))
    assessment = models.TextField(_("bedömning"))
    grade = models.CharField(_("betyg"), max_length=100, blank=True)
    best_before = models.DateField(_("bäst före"), null=True, blank=True)
    comment = models.TextField(_("kommentar"), blank=True)
    holder_salt = models.CharField(max_length=32, default=new_holder_salt, editable=False)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("utfärdad mikromerit")
        verbose_name_plural = _("utfärdade mikromeriter")
        ordering = ["-issued_at", "-pk"]
        indexes = [
            models.Index(fields=["issuer", "issued_on"]),
            models.Index(fields=["micromerit", "issued_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.content.get('title', '')} ({self.issued_on})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("issued credentials cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("issued credentials cannot be deleted")

    @property
    def content(self) -> dict:
        """The frozen published content this credential was issued with."""
        return self.version.content

    @property
    def title(self) -> str:
        return self.content.get("title", "")

    def best_before_passed(self, today=None) -> bool:
        from django.utils import timezone

        return self.best_before is not None and self.best_before < (today or timezone.localdate())


class ShareLinkQuerySet(models.QuerySet):
    def working(self, now=None) -> ShareLinkQuerySet:
        """Links that open the shared page now: not withdrawn and not expired."""
        from django.utils import timezone

        now = now or timezone.now()
        return self.filter(withdrawn_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ShareLink(models.Model):
    """A link the holder made to show one credential to someone (delningslänk).

    The token in the link carries 256 random bits and only its SHA-256 is
    stored (``token_hash``), so a copy of the database gives no working link;
    the holder sees the link once, when it is made. Rows are never deleted:
    withdrawing stamps ``withdrawn_at``, so the holder keeps the history of
    what they shared. A link never changes the credential it points to.
    """

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(
        _("anteckning"),
        max_length=100,
        blank=True,
        help_text=_("Bara för dig, t.ex. vem du delade med."),
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    expires_at = models.DateTimeField(_("upphör"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("återkallad"), null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("delningslänk")
        verbose_name_plural = _("delningslänkar")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"<ShareLink {self.pk}>"

    def is_working(self, now=None) -> bool:
        from django.utils import timezone

        now = now or timezone.now()
        return self.withdrawn_at is None and (self.expires_at is None or self.expires_at > now)

    def is_expired(self, now=None) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class HiddenCredential(models.Model):
    """The holder's choice to keep a credential out of their main list (a preference only).

    Credentials are immutable and nobody can take one away, so hiding is not a
    state of the credential: it is this row, which only the holder's own list
    reads. Unhiding deletes the row; the credential, its verification page and
    its share links are untouched either way.
    """

    credential = models.OneToOneField(
        Credential, on_delete=models.CASCADE, related_name="hidden_by_holder"
    )
    hidden_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dold mikromerit")
        verbose_name_plural = _("dolda mikromeriter")

    def __str__(self) -> str:
        return f"<HiddenCredential {self.credential_id}>"


class PendingRecipientList(models.Model):
    """An uploaded recipient list waiting for its issuer to confirm the preview (issuer area).

    Nothing is issued from it until the issuer confirms; then it is read and
    checked again, issued all or nothing, and the row deleted (also when the
    issuer discards it). Kept in the database, not in the session or a local
    file, so that the preview and the confirmation may be served by different
    app servers. The file holds personal data, so ``content`` is a Fernet token
    of its bytes under the recipients' keys, and its authenticated timestamp
    bounds how long it may wait. The URL carries a random token of which only
    the SHA-256 is stored.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    micromerit = models.ForeignKey(Micromerit, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    identity_check = models.TextField()
    assessment = models.TextField()
    content = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mottagarlista som väntar på bekräftelse")
        verbose_name_plural = _("mottagarlistor som väntar på bekräftelse")

    def __str__(self) -> str:
        return self.filename
