"""Who is on the other end of a request: the client's address and whether it came over HTTPS.

Behind a reverse proxy the direct peer (``REMOTE_ADDR``) is the proxy, and the client is named
only in headers that anyone can write. Those headers are believed only when the direct peer is
one of ``PORTAL_TRUSTED_PROXIES``; otherwise they are the client's own claim and are removed.
Everything that records or limits by address (the audit log, signatures, the sign-in and
password-reset limits, django-axes) asks ``client_address``, so all of them see the same one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.ipv6 import clean_ipv6_address

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# The headers a trusted proxy sets; from anyone else they are dropped before Django reads them.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def _parse(raw: str | None) -> Address | None:
    if not raw:
        return None
    try:
        return ipaddress.ip_address(raw.strip().split("%")[0])
    except ValueError:
        return None


def _trusted(address: Address) -> bool:
    # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; trust follows the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.PORTAL_TRUSTED_PROXIES)


def _stored_form(address: Address) -> str:
    """The address as the database stores and returns it: a signature's hash covers this form,
    and PostgreSQL keeps IPv6 compressed and in lower case whatever the server passed."""
    if address.version == 6:
        return clean_ipv6_address(str(address))
    return str(address)


def peer_is_trusted(request: HttpRequest) -> bool:
    peer = _parse(request.META.get("REMOTE_ADDR"))
    return peer is not None and _trusted(peer)


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address, or None when it is unknown (also AXES_CLIENT_IP_CALLABLE).

    ``X-Forwarded-For`` is read only when the direct peer is a trusted proxy, from the right:
    each proxy appends the address it was connected from, so the first untrusted address is the
    client, and everything to its left is whatever the client chose to send. An entry that is
    not an address ends the walk at the last proxy known, so a client cannot name itself by
    sending garbage.
    """
    if request is None:
        return None
    peer = _parse(request.META.get("REMOTE_ADDR"))
    if peer is None or not _trusted(peer):
        return _stored_form(peer) if peer is not None else None
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if not entry.strip():
            continue
        hop = _parse(entry)
        if hop is None:
            break
        peer = hop
        if not _trusted(hop):
            break
    return _stored_form(peer)


class ForwardedHeadersMiddleware:
    """Remove the forwarding headers from requests whose direct peer is not a trusted proxy.

    Django believes ``X-Forwarded-Proto`` through ``SECURE_PROXY_SSL_HEADER``; a client that
    reaches the web server directly must not be able to claim HTTPS (secure cookies, no
    redirect) or a host or address of its choosing. First in MIDDLEWARE, so nothing reads them
    before.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not peer_is_trusted(request):
            for header in FORWARDING_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
