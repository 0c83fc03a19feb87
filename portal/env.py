"""Typed readers for settings that come from the environment.

Each helper raises ``ImproperlyConfigured`` naming the variable when its value cannot be
understood, so a typo in a deployment fails at start-up instead of silently using a default.
"""

from __future__ import annotations

import ipaddress
import os
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_pounds(name: str, default: str, *, minimum: str = "0") -> Decimal:
    """An amount in pounds and pence, such as ``100`` or ``99.50``."""
    raw = os.environ.get(name)
    text = default if raw is None or raw.strip() == "" else raw.strip()
    try:
        value = Decimal(text)
        exact = value.is_finite() and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise ImproperlyConfigured(
            f"{name} must be an amount in pounds, such as 100 or 99.50; got {raw!r}"
        )
    if value < Decimal(minimum):
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {raw!r}")
    return value.quantize(Decimal("0.01"))


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_emails(name: str) -> list[str]:
    """Comma-separated e-mail addresses; refuses one that is not an address."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    addresses = env_list(name, [])
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(
                f"{name} must be e-mail addresses separated by commas; got {address!r}"
            ) from None
    return addresses


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_networks(name: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or networks in CIDR form, such as ``10.0.0.5, 172.18.0.0/16``.

    A network with host bits set (``172.18.0.5/16``) is refused rather than widened: the person
    who wrote it meant either the one address or the network, and guessing wrong would trust
    too many peers or too few.
    """
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks such as 10.0.0.5 or 172.18.0.0/16, "
                f"separated by commas; {item!r} is not one ({exc})"
            ) from None
    return tuple(networks)


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    raw = os.environ.get(name, default).strip()
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with one of {', '.join(s + '://' for s in schemes)}; got {raw!r}"
        )
    if parts.scheme in {"http", "https", "redis", "rediss"} and not parts.hostname:
        raise ImproperlyConfigured(f"{name} has no host name; got {raw!r}")
    return raw


def email_settings(url: str) -> dict[str, object]:
    """Django e-mail settings from ``smtp://user:pass@host:587?tls=1`` style URLs.

    ``console://`` prints messages, ``locmem://`` keeps them in memory (tests).
    ``smtps://`` is implicit TLS; ``?tls=1`` asks for STARTTLS.
    """
    parts = urlsplit(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with console://, locmem://, smtp:// or smtps://; got {url!r}"
        )
    result: dict[str, object] = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ImproperlyConfigured(f"EMAIL_URL has no host name; got {url!r}")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"EMAIL_URL has a bad port; got {url!r}") from None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        result.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port or (465 if parts.scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=query.get("tls", "0").lower() in _TRUE,
        )
    return result
