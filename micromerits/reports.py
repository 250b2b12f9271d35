"""The statistics reports in the Wagtail admin (menu "Statistik"), and the charts they draw.

One ``StatisticsReportView`` per dimension (month, mikromerit, issuing
organisation, SeQF level, best-before state), each a Wagtail ``ReportView``
with filters, an xlsx/csv export and a server-side SVG chart (pygal, no
script). The views are thin: the figures come from ``micromerits.statistics``,
scoped to the organisations the user represents, so a user sees their own
organisations' issuance and nothing else; a user who represents none sees an
empty report, never another organisation's numbers.
"""

from __future__ import annotations

import django_filters
import pygal
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pygal.style import Style
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from permissions.selectors import organisations_of

from . import statistics
from .models import Credential
from .statistics import Dimension, Filters, Perspective

#: URL segment of each dimension's report, under /admin/statistik/.
DIMENSION_SLUGS = {
    Dimension.MONTH: "per-manad",
    Dimension.MICROMERIT: "per-mikromerit",
    Dimension.ISSUER: "per-utfardare",
    Dimension.LEVEL: "per-niva",
    Dimension.BEST_BEFORE: "per-bast-fore",
}

CHART_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    colors=("#00558c", "#c76b00"),
    font_family="system-ui, sans-serif",
)


def _strip_scripts(root):
    # pygal always writes a <script> with its config; the chart needs none of it.
    for element in [e for e in root.iter() if str(e.tag).rsplit("}", 1)[-1] == "script"]:
        element.getparent().remove(element)
    return root


def bar_chart_svg(*, title: str, labels: list[str], series: dict[str, list]) -> str:
    """An SVG bar chart (inline-ready, no XML declaration, no script).

    Parameters:
        series: name → values in the order of ``labels``; ``None`` draws no bar
            (a suppressed "< 5" group, which the table beside the chart names).
    """
    chart = pygal.Bar(
        title=title,
        disable_xml_declaration=True,
        js=[],
        style=CHART_STYLE,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        x_label_rotation=30 if len(labels) > 6 else 0,
        truncate_label=40,
        print_values=False,
        height=360,
        width=800,
        no_data_text=gettext("Inga utfärdanden"),
        min_scale=1,
    )
    chart.add_xml_filter(_strip_scripts)
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    svg = chart.render()
    # The table beside the chart carries the figures; the image gets a name.
    # Safe: lxml escapes every label and title in the SVG, format_html the aria-label.
    return mark_safe(  # noqa: S308
        svg.replace("<svg ", format_html('<svg role="img" aria-label="{}" ', title), 1)
    )


def level_choices():
    return [(level, gettext("SeQF %(level)s") % {"level": level}) for level in range(1, 9)]


def _own_organisations(request):
    return organisations_of(request.user).order_by("name")


class StatisticsFilterSet(WagtailFilterSet):
    """The report filters. Perspective and organisation choose the scope; the rest narrow it."""

    perspective = django_filters.ChoiceFilter(
        label=_("Perspektiv"),
        choices=Perspective.choices,
        empty_label=None,
        # The default is not a filter: no "active filter" pill, no "N matches" heading.
        initial=Perspective.OWNER,
        method="in_view",
        widget=forms.RadioSelect,
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"),
        queryset=_own_organisations,
        empty_label=_("Alla mina organisationer"),
        method="in_view",
    )
    issued_on = django_filters.DateFromToRangeFilter(
        label=_("Period"), widget=DateRangePickerWidget, method="in_view"
    )
    micromerit = django_filters.ModelChoiceFilter(
        label=_("Mikromerit"),
        queryset=lambda request: statistics.micromerits_in_scope(organisations_of(request.user)),
        empty_label=_("Alla"),
        method="in_view",
    )
    issuer = django_filters.ModelChoiceFilter(
        label=_("Utfärdande organisation"),
        queryset=lambda request: statistics.issuers_in_scope(organisations_of(request.user)),
        empty_label=_("Alla"),
        method="in_view",
    )
    seqf_level = django_filters.ChoiceFilter(
        label=_("SeQF-nivå"),
        choices=level_choices,
        empty_label=_("Alla"),
        method="in_view",
    )

    class Meta:
        model = Credential
        fields = []

    def in_view(self, queryset, name, value):
        # The figures are computed by ``micromerits.statistics`` from the cleaned
        # values (see StatisticsReportView.filters_chosen), not by filtering here.
        return queryset


class StatisticsReportView(ReportView):
    """Issuance counts grouped by one dimension, for the user's own organisations."""

    #: Which ``Dimension`` this report groups by (set per URL in ``report_urls``).
    dimension = Dimension.MONTH
    template_name = "micromerits/reports/statistics.html"
    results_template_name = "micromerits/reports/statistics_results.html"
    header_icon = "table"
    filterset_class = StatisticsFilterSet
    paginate_by = None
    list_export = ["label", "value"]

    @property
    def page_title(self):
        return gettext("Statistik: %(dimension)s") % {
            "dimension": Dimension(self.dimension).label.lower()
        }

    @property
    def index_url_name(self):
        return f"statistics:{self.dimension}"

    @property
    def index_results_url_name(self):
        return f"statistics:{self.dimension}_results"

    @property
    def export_headings(self):
        return {
            "label": str(Dimension(self.dimension).label),
            "value": gettext("Antal utfärdade"),
        }

    @property
    def columns(self):
        return [
            Column("label", label=Dimension(self.dimension).label),
            Column("value", label=_("Antal utfärdade")),
        ]

    def get_filename(self):
        return f"statistik-{DIMENSION_SLUGS[self.dimension]}-{timezone.localdate():%Y-%m-%d}"

    def get_filterset_kwargs(self):
        kwargs = super().get_filterset_kwargs()
        data = kwargs["data"].copy()
        data.setdefault("perspective", Perspective.OWNER)
        kwargs["data"] = data
        return kwargs

    @cached_property
    def filters_chosen(self) -> dict:
        """The cleaned filter values, or the defaults when the filter form has errors."""
        if self.filters is not None and self.filters.is_valid():
            return self.filters.form.cleaned_data
        return {"perspective": Perspective.OWNER}

    @cached_property
    def perspective(self) -> str:
        return self.filters_chosen.get("perspective") or Perspective.OWNER

    @cached_property
    def organisations(self):
        chosen = self.filters_chosen.get("organisation")
        if chosen is not None:
            return [chosen.pk]
        # Ids, not a subquery: the aggregation's "issued by someone else" test reads
        # them for every credential, and a plain list keeps SQLite's plan simple.
        return list(organisations_of(self.request.user).values_list("pk", flat=True))

    @cached_property
    def view(self) -> statistics.View:
        chosen = self.filters_chosen
        period = chosen.get("issued_on")
        level = chosen.get("seqf_level")
        filters = Filters(
            issued_from=period.start.date() if period and period.start else None,
            issued_to=period.stop.date() if period and period.stop else None,
            micromerit=chosen.get("micromerit"),
            issuer=chosen.get("issuer"),
            seqf_level=int(level) if level else None,
        )
        return statistics.issuance_view(
            organisations=self.organisations,
            perspective=self.perspective,
            dimension=self.dimension,
            filters=filters,
        )

    def get_queryset(self):
        rows = self.view.rows
        return [*rows, self.view.total] if rows else []

    def get_filtered_queryset(self):
        # The rows are already filtered and grouped; they are not a queryset.
        return self.get_queryset()

    @cached_property
    def chart(self) -> str:
        rows = self.view.rows
        return bar_chart_svg(
            title=self.view.title,
            labels=[row.label for row in rows],
            series={
                gettext("Antal utfärdade"): [
                    None if row.suppressed else row.credentials for row in rows
                ]
            },
        )

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        query = self.request.GET.copy()
        query.pop("export", None)
        query.pop("_w_filter_fragment", None)
        context["dimension_links"] = [
            {
                "label": label,
                "url": f"{reverse(f'statistics:{value}')}?{query.urlencode()}",
                "current": value == self.dimension,
            }
            for value, label in Dimension.choices
        ]
        context["perspective_label"] = Perspective(self.perspective).label
        context["suppressed_text"] = statistics.SUPPRESSED
        return context


def report_urls():
    """URL patterns of every report (index and results, as Wagtail's own reports have)."""
    from django.urls import path

    patterns = []
    for dimension in Dimension.values:
        slug = DIMENSION_SLUGS[dimension]
        patterns += [
            path(f"{slug}/", StatisticsReportView.as_view(dimension=dimension), name=dimension),
            path(
                f"{slug}/results/",
                StatisticsReportView.as_view(dimension=dimension, results_only=True),
                name=f"{dimension}_results",
            ),
        ]
    return patterns
