"""The mikromerit's place in the Wagtail admin.

The snippet viewset is configuration only: the four steps are the editor's
tabs, and ``ObjectPermissionViewSetMixin`` makes every object view ask the
object-level policy. Custom screens (Excel, issuing rights) are plain admin
URLs registered here. The issuer's area ("Utfärda" and "Utfärdade") is in
``issuer_views``; its permission policy for ``Credential`` is registered at
the top of this module, before anything can ask for a fallback.
"""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.ui.tables import LiveStatusTagColumn, UpdatedAtColumn
from wagtail.admin.widgets import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from permissions.policies import micromerit_policy
from permissions.viewsets import ObjectPermissionViewSetMixin

from . import issuance, issuer_views, services, urls
from .forms import MicromeritForm
from .models import Credential, Micromerit
from .selectors import issuable_micromerits

# First thing after the imports: Wagtail refuses a policy once a fallback exists.
register_permission_policy(Credential, issuer_views.CredentialPermissionPolicy(Credential))


class MicromeritFormViewMixin:
    """Tell the form whether the user is publishing, and hand saved state to the services."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["publishing"] = self.action == "publish"
        return kwargs

    def save_instance(self):
        if self.view_name == "create":
            self.form.instance.created_by = self.request.user
        instance = super().save_instance()
        if self.view_name == "create":
            services.micromerit_created(micromerit=instance, by=self.request.user)
        if "issuing_organisations" in self.form.cleaned_data:
            services.issuing_rights_set(
                micromerit=instance,
                organisations=self.form.cleaned_data["issuing_organisations"],
                by=self.request.user,
            )
        return instance


class MicromeritCreateView(MicromeritFormViewMixin, CreateView):
    pass


class MicromeritEditView(MicromeritFormViewMixin, EditView):
    pass


class MicromeritViewSet(ObjectPermissionViewSetMixin, SnippetViewSet):
    """Creators' workspace: only the mikromeriter their organisations own are listed or reachable."""

    model = Micromerit
    icon = "doc-full-inverse"
    menu_label = _("Mikromeriter")
    menu_name = "micromerits"
    menu_order = 200
    add_to_admin_menu = True
    add_view_class = MicromeritCreateView
    edit_view_class = MicromeritEditView
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = ["title", "owner", "seqf_level", UpdatedAtColumn(), LiveStatusTagColumn()]
    list_filter = ["live", "seqf_level", "participation_form"]
    search_fields = ["title", "title_en", "description", "keywords"]
    inspect_view_fields = [
        "title",
        "title_en",
        "description",
        "language",
        "country_region",
        "owner",
        "created_by",
        "keywords",
        "prerequisites",
        "workload_hours",
        "ects_credits",
        "seqf_level",
        "eqf_level",
        "assessment_type",
        "participation_form",
        "quality_assurance",
        "supervision",
        "grading_scheme",
        "stackability",
        "part_of",
        "validity_months",
        "further_information",
    ]

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("title"),
                    FieldPanel("title_en"),
                    FieldPanel("description"),
                    FieldRowPanel([FieldPanel("language"), FieldPanel("country_region")]),
                    FieldPanel("owner"),
                    FieldPanel("keywords"),
                ],
                heading=_("1 Grunduppgifter"),
            ),
            ObjectList(
                [
                    HelpPanel(
                        content=_(
                            "<p>Skriv varje läranderesultat som en mening: <em>Innehavaren kan</em> "
                            "+ aktivt verb (<em>välja</em>) + innehåll (<em>relevanta metoder och "
                            "verktyg</em>) + kvalitet och sammanhang (<em>för att måla fasader</em>). "
                            "Förhandsgranskningen visar meningarna som de kommer att läsas.</p>"
                        )
                    ),
                    InlinePanel(
                        "learning_outcomes",
                        heading=_("Läranderesultat"),
                        label=_("Läranderesultat"),
                        panels=[
                            FieldPanel("outcome_type"),
                            FieldPanel("introduction"),
                            FieldPanel("activity"),
                            FieldPanel("content"),
                            FieldPanel("quality_context"),
                        ],
                    ),
                    FieldPanel("prerequisites"),
                ],
                heading=_("2 Beskriv lärandet"),
            ),
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("workload_hours"), FieldPanel("ects_credits")]),
                    FieldRowPanel([FieldPanel("seqf_level"), FieldPanel("eqf_level")]),
                    FieldPanel("assessment_type"),
                    FieldPanel("participation_form"),
                    FieldPanel("quality_assurance"),
                    FieldPanel("supervision"),
                    FieldPanel("grading_scheme"),
                    MultiFieldPanel(
                        [FieldPanel("stackability"), FieldPanel("part_of")],
                        heading=_("Stapelbarhet"),
                    ),
                    FieldPanel("validity_months"),
                    FieldPanel("further_information"),
                ],
                heading=_("3 Omfattning och kvalitet"),
            ),
            ObjectList(
                [FieldPanel("issuing_organisations")],
                heading=_("4 Utfärdare och publicering"),
            ),
        ],
        base_form_class=MicromeritForm,
    )


register_snippet(MicromeritViewSet)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("micromerits/", include((urls.admin_urlpatterns, "micromerits_admin")))]


@hooks.register("register_snippet_listing_buttons")
def micromerit_listing_buttons(snippet, user, next_url=None):
    if not isinstance(snippet, Micromerit):
        return
    policy = micromerit_policy()
    if policy.user_has_permission_for_instance(user, "grant", snippet):
        yield MenuItem(
            _("Utfärdanderätter"),
            reverse("micromerits_admin:issuing_rights", args=[snippet.pk]),
            icon_name="group",
            priority=60,
        )
    if policy.user_has_any_permission_for_instance(user, ["view", "change"], snippet):
        yield MenuItem(
            _("Exportera till Excel"),
            reverse("micromerits_admin:export", args=[snippet.pk]),
            icon_name="download",
            priority=70,
        )


@hooks.register("register_admin_menu_item")
def import_menu_item():
    from wagtail.admin.menu import MenuItem as AdminMenuItem

    class ImportMenuItem(AdminMenuItem):
        def is_shown(self, request):
            return micromerit_policy().user_has_permission(request.user, "add")

    return ImportMenuItem(
        _("Importera från Excel"),
        reverse("micromerits_admin:import"),
        icon_name="upload",
        order=210,
    )


@hooks.register("register_admin_menu_item")
def issue_menu_item():
    from wagtail.admin.menu import MenuItem as AdminMenuItem

    class IssueMenuItem(AdminMenuItem):
        def is_shown(self, request):
            # Only for people whose organisations may issue something now.
            return issuable_micromerits(request.user).exists()

    return IssueMenuItem(
        _("Utfärda"),
        reverse("micromerits_admin:issue_index"),
        icon_name="doc-full-inverse",
        order=250,
    )


@hooks.register("register_admin_viewset")
def register_credential_viewset():
    return issuer_views.CredentialViewSet()


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action(
        services.LOG_GRANT, _("Bevilja utfärdanderätt"), _("Utfärdanderätt beviljad")
    )
    actions.register_action(
        services.LOG_WITHDRAW, _("Återkalla utfärdanderätt"), _("Utfärdanderätt återkallad")
    )
    actions.register_action(issuance.LOG_ISSUE, _("Utfärda mikromerit"), _("Mikromerit utfärdad"))
    actions.register_action(
        issuer_views.LOG_EXPORT,
        _("Exportera utfärdade mikromeriter"),
        _("Utfärdade mikromeriter exporterades"),
    )
