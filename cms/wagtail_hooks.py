"""The site's admin shell: the statistics dashboard panel and the "Statistik" menu.

The reports themselves are ``micromerits.reports``; this module only hangs
them into the admin (URLs under /admin/statistik/, a submenu) and puts a
panel with the last twelve months of issuance on the admin home page of every
representative.
"""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component

from micromerits import reports, statistics
from micromerits.statistics import Dimension
from permissions.selectors import organisations_of


@hooks.register("register_admin_urls")
def register_statistics_urls():
    return [path("statistik/", include((reports.report_urls(), "statistics")))]


class StatisticsMenuItem(MenuItem):
    def is_shown(self, request):
        # Only people who act for an organisation have figures to see.
        return organisations_of(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_statistics_menu():
    items = [
        StatisticsMenuItem(
            label,
            reverse(f"statistics:{value}"),
            name=f"statistics-{value}",
            icon_name="table",
            order=order,
        )
        for order, (value, label) in enumerate(Dimension.choices)
    ]
    return SubmenuMenuItem(
        _("Statistik"), Menu(items=items), name="statistics", icon_name="table", order=8000
    )


class IssuanceDashboardPanel(Component):
    """This month and the last twelve months of issuance, a chart and the same figures as a table."""

    name = "issuance_statistics"
    template_name = "cms/dashboard_statistics.html"
    order = 50

    def __init__(self, organisations):
        self.organisations = organisations

    def get_context_data(self, parent_context):
        months = statistics.dashboard_months(organisations=self.organisations)
        chart = reports.bar_chart_svg(
            title=gettext("Utfärdade mikromeriter de senaste tolv månaderna"),
            labels=[m.label for m in months],
            series={
                gettext("Utfärdade av oss"): [m.issued for m in months],
                gettext("Av våra mikromeriter, alla utfärdare"): [
                    None if m.of_ours_suppressed else m.of_ours for m in months
                ],
            },
        )
        return {
            "months": months,
            "this_month": months[-1],
            "chart": chart,
            "report_url": reverse(f"statistics:{Dimension.MONTH}"),
            "suppressed_text": statistics.SUPPRESSED,
        }


@hooks.register("construct_homepage_panels")
def add_issuance_panel(request, panels):
    # Ids, not a subquery: the panel's one aggregation reads them for every credential.
    organisations = list(organisations_of(request.user).values_list("pk", flat=True))
    if organisations:
        panels.append(IssuanceDashboardPanel(organisations))


@hooks.register("insert_global_admin_css")
def statistics_css():
    return format_html('<link rel="stylesheet" href="{}">', static("cms/admin-statistics.css"))
