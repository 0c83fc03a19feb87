from django.apps import AppConfig


class RequestsConfig(AppConfig):
    # Named by the design card; see docs/architecture.md for why this hides the PyPI library.
    name = "requests"
    verbose_name = "IT requests"
