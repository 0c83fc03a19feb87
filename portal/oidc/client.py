"""Talking to the organisation's OpenID provider: discovery, keys, the authorisation request,
the code exchange and the checks on the ID token.

Every failure is one of two kinds: ``ProviderUnavailable`` (the provider did not answer, or
answered nonsense: try again later, or use a password) and ``Refused`` (the answer was wrong or
not for us: nobody is signed in, and the reason goes to the audit log).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

# Short, so that a provider that is down costs the sign-in page a few seconds, not a minute.
TIMEOUT = httpx.Timeout(2.5, connect=1.5)
CACHE_SECONDS = 60 * 60
# How long after a failed fetch the provider is taken to be down without asking it again.
DOWN_SECONDS = 15
# Keys are fetched again for a token whose key is unknown (the provider rotated its keys), at
# most this often: a stream of tokens naming made-up keys does not become a stream of fetches.
REFETCH_KEYS_SECONDS = 60
LEEWAY_SECONDS = 60
SCOPE = "openid email profile"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
FLOWS = "oidc_flows"
MAX_FLOWS = 5


class ProviderUnavailable(Exception):
    """The provider could not be reached, or its answer made no sense."""


class Refused(Exception):
    """The provider's answer cannot sign anyone in; ``reason`` is recorded in the audit log."""

    def __init__(self, reason: str, *, claims: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.claims = claims or {}
        # The flow the refused answer belonged to, once known: where a re-authentication
        # goes back to.
        self.flow: dict[str, Any] | None = None


@dataclass(frozen=True)
class Answer:
    """A checked callback: the flow it completes and the ID token's claims."""

    flow: dict[str, Any]
    claims: dict[str, Any]


def _get_json(url: str) -> dict[str, Any]:
    down_key = f"oidc:down:{settings.OIDC_ISSUER}"
    if cache.get(down_key):
        raise ProviderUnavailable("the provider did not answer a moment ago")
    try:
        response = httpx.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        cache.set(down_key, True, DOWN_SECONDS)
        raise ProviderUnavailable(f"{url}: {exc}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return document


def discovery() -> dict[str, Any]:
    """The provider's discovery document, cached."""
    key = f"oidc:discovery:{settings.OIDC_ISSUER}"
    document = cache.get(key)
    if document is None:
        document = _get_json(f"{settings.OIDC_ISSUER}/.well-known/openid-configuration")
        # OpenID Connect Discovery 4.3: the document must name the issuer it was asked for.
        if document.get("issuer") != settings.OIDC_ISSUER:
            raise ProviderUnavailable("the discovery document names another issuer")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str) or not document[name].startswith("http"):
                raise ProviderUnavailable(f"the discovery document has no {name}")
        cache.set(key, document, CACHE_SECONDS)
    return document


def _keys(*, refetch: bool = False) -> KeySet:
    key = f"oidc:jwks:{settings.OIDC_ISSUER}"
    document = None if refetch else cache.get(key)
    if document is None:
        document = _get_json(discovery()["jwks_uri"])
        cache.set(key, document, CACHE_SECONDS)
    try:
        return KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ProviderUnavailable(f"the provider's keys cannot be read: {exc}") from exc


def _decode(id_token: str) -> dict[str, Any]:
    """The token's claims, once its signature is proved by one of the provider's keys."""
    try:
        try:
            return jwt.decode(id_token, _keys(), algorithms=ALGORITHMS).claims
        except InvalidKeyIdError:
            if not cache.add(f"oidc:refetch:{settings.OIDC_ISSUER}", True, REFETCH_KEYS_SECONDS):
                raise Refused("unknown_signing_key") from None
            return jwt.decode(id_token, _keys(refetch=True), algorithms=ALGORITHMS).claims
    except InvalidKeyIdError:
        raise Refused("unknown_signing_key") from None
    except (JoseError, ValueError, TypeError) as exc:
        raise Refused("bad_signature") from exc


def check_id_token(id_token: str, *, nonce: str) -> dict[str, Any]:
    """The claims of ``id_token`` after every check OpenID Connect Core 3.1.3.7 asks for."""
    claims = _decode(id_token)
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": settings.OIDC_ISSUER},
        aud={"essential": True, "value": settings.OIDC_CLIENT_ID},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise Refused("expired_token", claims=claims) from None
    except MissingClaimError as exc:
        raise Refused(f"missing_{exc.claim}", claims=claims) from None
    except JoseError as exc:
        raise Refused(f"wrong_{getattr(exc, 'claim', 'token')}", claims=claims) from None
    audience = claims["aud"]
    if (
        isinstance(audience, list)
        and len(audience) > 1
        and claims.get("azp") != settings.OIDC_CLIENT_ID
    ):
        raise Refused("wrong_aud", claims=claims)
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise Refused("missing_sub", claims=claims)
    # Entra ID with one tenant: a token from any other tenant is refused, whatever it says.
    if settings.OIDC_TENANT_ID and claims.get("tid") != settings.OIDC_TENANT_ID:
        raise Refused("wrong_tid", claims=claims)
    return claims


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorisation_url(
    request: HttpRequest, *, purpose: str, next_url: str, reauthenticate: bool = False
) -> str:
    """Where to send the browser to sign in at the provider; the flow's secrets stay in the
    session, keyed by its ``state``. ``reauthenticate`` makes the provider ask again whoever
    is signed in there (``prompt=login``, ``max_age=0``)."""
    document = discovery()
    state, nonce, verifier = (
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(48),
    )
    redirect_uri = request.build_absolute_uri(reverse("oidc:callback"))
    flows = dict(request.session.get(FLOWS, {}))
    flows[state] = {
        "nonce": nonce,
        "verifier": verifier,
        "purpose": purpose,
        "next": next_url,
        "redirect_uri": redirect_uri,
        "started_at": int(time.time()),
    }
    # A few sign-ins in other tabs may be under way; older ones are forgotten.
    request.session[FLOWS] = dict(list(flows.items())[-MAX_FLOWS:])
    params = {
        "response_type": "code",
        "client_id": settings.OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    if reauthenticate:
        params.update(prompt="login", max_age="0")
    endpoint = document["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def _take_flow(request: HttpRequest) -> dict[str, Any]:
    """The flow the callback's ``state`` names, removed from the session: it works once."""
    state = request.GET.get("state", "")
    if not state:
        raise Refused("missing_state")
    flows = dict(request.session.get(FLOWS, {}))
    flow = flows.pop(state, None)
    request.session[FLOWS] = flows
    if flow is None:
        raise Refused("unknown_state")
    return flow


def _exchange(code: str, flow: dict[str, Any]) -> str:
    """The ID token for ``code``, from the token endpoint."""
    document = discovery()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow["redirect_uri"],
        "code_verifier": flow["verifier"],
    }
    auth = None
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_post" in methods:
        data.update(client_id=settings.OIDC_CLIENT_ID, client_secret=settings.OIDC_CLIENT_SECRET)
    else:
        auth = httpx.BasicAuth(settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET)
    try:
        response = httpx.post(
            document["token_endpoint"],
            data=data,
            auth=auth,
            timeout=TIMEOUT,
            headers={"Accept": "application/json"},
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"token endpoint: {exc}") from exc
    if response.status_code >= 500:
        raise ProviderUnavailable(f"token endpoint answered {response.status_code}")
    if response.status_code != 200 or not isinstance(body, dict):
        raise Refused("code_refused")
    id_token = body.get("id_token")
    if not isinstance(id_token, str):
        raise Refused("no_id_token")
    return id_token


def complete(request: HttpRequest) -> Answer:
    """Check the provider's answer at the callback: the flow it belongs to, then the token."""
    flow = _take_flow(request)
    try:
        return Answer(flow=flow, claims=_checked_claims(request, flow))
    except Refused as refused:
        refused.flow = flow
        raise


def _checked_claims(request: HttpRequest, flow: dict[str, Any]) -> dict[str, Any]:
    error = request.GET.get("error", "")
    if error:
        raise Refused("cancelled" if error == "access_denied" else f"provider_error:{error[:40]}")
    # RFC 9207: a provider that names itself in the answer must name the right issuer.
    if "iss" in request.GET and request.GET["iss"] != settings.OIDC_ISSUER:
        raise Refused("wrong_iss")
    code = request.GET.get("code", "")
    if not code:
        raise Refused("missing_code")
    return check_id_token(_exchange(code, flow), nonce=flow["nonce"])
