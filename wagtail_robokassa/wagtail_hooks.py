from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks

from .admin.permissions import register_policies

# Wagtail 8 needs custom permission policies registered before anything asks for one.
register_policies()

from .admin.dashboard import TakingsPanel, TakingsSummaryItem, can_view_takings  # noqa: E402
from .admin.link_panel import UnknownLinksPanel, can_create_links  # noqa: E402
from .admin.problems import ProblemsPanel, can_view_rejections  # noqa: E402
from .admin.site_scope import RobokassaSitesForm  # noqa: E402
from .admin.unsettled import UnsettledPanel, can_view_refunds  # noqa: E402
from .admin.viewsets import RobokassaViewSetGroup  # noqa: E402


@hooks.register("register_admin_viewset")
def register_robokassa_menu():
    return RobokassaViewSetGroup()


@hooks.register("insert_global_admin_css")
def robokassa_admin_css() -> str:
    return format_html(
        '<link rel="stylesheet" href="{}">', static("wagtail_robokassa/admin/admin.css")
    )


@hooks.register("register_group_permission_panel")
def robokassa_sites_panel():
    return RobokassaSitesForm


@hooks.register("construct_homepage_summary_items")
def add_takings_summary(request, items):
    items.append(TakingsSummaryItem(request))


@hooks.register("construct_homepage_panels")
def add_takings_panel(request, panels):
    if can_view_refunds(request.user):
        panels.append(UnsettledPanel(request))
    if can_create_links(request.user):
        panels.append(UnknownLinksPanel(request))
    if can_view_rejections(request.user):
        panels.append(ProblemsPanel(request))
    if can_view_takings(request.user):
        panels.append(TakingsPanel(request))
