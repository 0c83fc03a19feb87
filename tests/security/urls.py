"""Every URL pattern the portal serves, found by walking the resolver, with a path to ask for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

ADMIN = "admin"


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"; the admin's few unnamed patterns get their route instead
    template: str  # the path with %(arg)s placeholders
    pattern: URLPattern

    @property
    def namespace(self) -> str:
        return self.name.split(":")[0] if ":" in self.name else ""

    @property
    def is_admin(self) -> bool:
        return self.namespace == ADMIN


def routes() -> list[Route]:
    """Every pattern, however deeply included, in the order the resolver tries them."""
    return list(_walk(get_resolver().url_patterns, "/", ()))


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str, namespace: tuple[str, ...]
) -> Iterator[Route]:
    for pattern in patterns:
        template = prefix + normalize(pattern.pattern.regex.pattern)[0][0]
        if isinstance(pattern, URLResolver):
            inner = (*namespace, pattern.namespace) if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, template, inner)
        else:
            name = pattern.name or str(pattern.pattern)
            yield Route(":".join((*namespace, name)), template, pattern)


def admin_path(route: Route) -> str:
    """A path for an admin page that names a real object of the model it is about."""
    parts = route.template.removeprefix("/admin/").split("/")
    model = None
    if len(parts) > 2 and not parts[0].startswith("%"):
        try:
            model = apps.get_model(parts[0], parts[1])
        except LookupError:
            model = None
    first = model.objects.order_by("pk").first() if model is not None else None
    values: dict[str, str] = defaultdict(lambda: "1")
    values["object_id"] = values["id"] = str(first.pk) if first is not None else "1"
    values["app_label"] = "portal"
    values["url"] = "no-such-page/"
    user_type = ContentType.objects.get_by_natural_key("portal", "user")
    values["content_type_id"] = str(user_type.pk)
    if "content_type_id" in route.template:
        values["object_id"] = str(apps.get_model("portal", "user").objects.order_by("pk")[0].pk)
    return route.template % values
