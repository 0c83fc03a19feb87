"""Typed readers for settings that come from the environment.

Each helper raises ``ImproperlyConfigured`` naming the variable when its value cannot be
understood, so a typo in a deployment fails at start-up instead of silently using a default.
"""

from __future__ import annotations

import ipaddress
import os
import re
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


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def env_colour(name: str, default: str) -> str:
    """A colour such as ``#0a58ca`` behind white text: dark enough for WCAG 2.2 AA (4.5:1)."""
    raw = os.environ.get(name)
    text = default if raw is None or raw.strip() == "" else raw.strip()
    if not _HEX_COLOUR.fullmatch(text):
        raise ImproperlyConfigured(
            f"{name} must be a colour written as # and six hexadecimal digits, such as #0a58ca; "
            f"got {raw!r}"
        )
    contrast = 1.05 / (_luminance(text) + 0.05)
    if contrast < 4.5:
        raise ImproperlyConfigured(
            f"{name} is the background of the white menu text, so it must be dark enough for a "
            f"contrast of at least 4.5:1 (WCAG 2.2 AA); {text} gives {contrast:.2f}:1. "
            "Choose a darker shade."
        )
    return text.lower()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_emails(name: str) -> list[str]:
    """Comma-separated e-mail addresses; refuses one that is not an address."""
    addresses = env_list(name, [])
    _check_emails(name, addresses)
    return addresses


def env_email(name: str, default: str = "") -> str:
    """One e-mail address, or "" when unset; refuses one that is not an address."""
    raw = os.environ.get(name)
    text = default if raw is None else raw.strip()
    if text:
        _check_emails(name, [text], one=True)
    return text


def _check_emails(name: str, addresses: list[str], *, one: bool = False) -> None:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            what = "an e-mail address" if one else "e-mail addresses separated by commas"
            raise ImproperlyConfigured(f"{name} must be {what}; got {address!r}") from None


def env_static_path(name: str, default: str = "") -> str:
    """A file among the portal's static files, such as ``portal/logo.svg``, or "".

    An address elsewhere is refused: pages load images from the portal only (its CSP), and an
    e-mail that fetched one from another site would tell that site who read it.
    """
    raw = os.environ.get(name)
    text = default if raw is None else raw.strip()
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or text.startswith("/") or ".." in text.split("/"):
        raise ImproperlyConfigured(
            f"{name} must be the path of a file among the portal's static files, such as "
            f"portal/logo.svg (put the file in static/ first); got {raw!r}"
        )
    return text


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
