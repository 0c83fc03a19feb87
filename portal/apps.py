from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "People and platform"

    def ready(self) -> None:
        from portal import auth_events  # noqa: F401  (connects the sign-in audit receivers)
