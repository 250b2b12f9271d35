"""Every URL the portal answers, listed from Django's URL resolver, as concrete paths.

The second-factor test and the permission matrix walk these lists, so a URL
added tomorrow is tried without anyone remembering to add it to a test.
Route converters and regex groups are filled with sample values; an object's
pk can be given, so that object views answer for a real object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_NAMED_GROUP = re.compile(r"\(\?P<\w+>(?:[^()]|\([^()]*\))*\)")
_GROUP = re.compile(r"\((?:[^()?]|\?:)(?:[^()]|\([^()]*\))*\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full route text (for reading) and its name with namespaces."""

    route: str
    name: str | None
    callback: object


def _sample_route(text: str, pk: int) -> str:
    def converter(match):
        conv = match.group("conv") or "str"
        if conv in ("int", "str"):
            # A number for str too: Wagtail's choosers take "<str:pk>" and fail on letters.
            return str(pk)
        if conv == "uuid":
            return "00000000-0000-0000-0000-000000000000"
        return "x"

    return _CONVERTER.sub(converter, text)


def _sample_regex(text: str, pk: int) -> str:
    text = text.lstrip("^").rstrip("$")
    text = _NAMED_GROUP.sub(str(pk), text)
    text = _GROUP.sub(str(pk), text)
    text = text.replace(".*", "x").replace(r"\.", ".").replace("\\", "")
    return text


def routes(patterns=None, prefix: str = "", namespace: str = "") -> list[Route]:
    """Every URL pattern, flattened; regex parts are kept as ``RE[...]`` markers."""
    found: list[Route] = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = str(pattern.pattern)
        if isinstance(pattern.pattern, RegexPattern):
            text = f"RE[{text}]"
        if isinstance(pattern, URLResolver):
            inner_ns = namespace
            if pattern.namespace:
                inner_ns = f"{namespace}{pattern.namespace}:"
            found += routes(pattern.url_patterns, prefix + text, inner_ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            found.append(Route(prefix + text, name, pattern.callback))
    return found


def sample_path(route: Route, pk: int = 1) -> str:
    """A concrete path for ``route``, every variable part filled with a sample (``pk`` for ints)."""
    parts = re.split(r"(RE\[.*?\](?=[^\]]*$|<|[a-z_/]))", route.route)
    out = []
    for part in parts:
        if part.startswith("RE[") and part.endswith("]"):
            out.append(_sample_regex(part[3:-1], pk))
        else:
            out.append(_sample_route(part, pk))
    return "/" + "".join(out)


def admin_paths(pk: int = 1) -> list[str]:
    """A sample path for every admin URL pattern (sorted, without duplicates)."""
    return sorted({sample_path(r, pk) for r in routes() if r.route.startswith("admin/")})


def page_routes() -> list[tuple[str, Route]]:
    """Routes of the live routable pages (``RoutablePageMixin``): (page URL, route) pairs."""
    from wagtail.contrib.routable_page.models import RoutablePageMixin
    from wagtail.models import Page

    found = []
    for page in Page.objects.live().specific():
        if isinstance(page, RoutablePageMixin):
            for route in routes(page.get_resolver().url_patterns):
                found.append((page.url, route))
    return found
