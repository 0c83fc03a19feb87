"""The suite's OpenID provider: panva's oidc-provider run by Node as a process of its own, on a
free port, as the SMTP server is; and a small driver that signs in at it as a person would."""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from joserfc.jwk import RSAKey

from tests.conftest import ROOT, missing_service
from tests.helpers import free_port
from tests.integration.processes import LoggedProcess

PROVIDER_DIR = ROOT / "tests" / "oidc_provider"
CLIENT_ID = "acceptable-use-portal"
READY_DEADLINE = 30.0
# People with an account at the provider: username -> password and the claims it sends.
ENTRA_TENANT = "3f0c5b1e-0000-4000-8000-000000000001"
PEOPLE = {
    "emma": {
        "password": "emma-at-work-2026",
        "claims": {
            "email": "Employee@example.com",
            "email_verified": True,
            "name": "Emma Jones",
            "employee_number": "E1001",
        },
    },
    "morgan": {
        "password": "morgan-at-work-2026",
        "claims": {"email": "manager@example.com", "email_verified": True, "name": "Morgan Lee"},
    },
    "stranger": {
        "password": "stranger-at-work-2026",
        "claims": {"email": "stranger@example.com", "email_verified": True, "name": "Sam Stone"},
    },
    "unverified": {
        "password": "unverified-at-work-2026",
        "claims": {"email": "employee@example.com", "email_verified": False, "name": "Emma?"},
    },
    # As Entra ID answers: no ``email_verified`` at all, and the tenant's id.
    "entra": {
        "password": "entra-at-work-2026",
        "claims": {"email": "employee@example.com", "name": "Emma Jones", "tid": ENTRA_TENANT},
    },
}


def node_modules() -> None:
    """``npm ci`` when the provider's packages are missing, so ``make test`` alone works."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing_service("needs Node.js and npm for the OpenID provider: apt-get install nodejs npm")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True, timeout=300
        )


def _signing_key(kid: str = "k1") -> dict:
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
    return key.as_dict(private=True)


class OpenIDProvider(LoggedProcess):
    def __init__(
        self,
        folder: Path,
        redirect_uris: list[str],
        *,
        port: int | None = None,
        kid: str = "k1",
        client_secret: str | None = None,
    ) -> None:
        node_modules()
        self.port = port or free_port()
        self.issuer = f"http://localhost:{self.port}"
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        config = {
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": self.client_secret,
                    "redirect_uris": redirect_uris,
                    "response_types": ["code"],
                    "grant_types": ["authorization_code"],
                    "token_endpoint_auth_method": "client_secret_post",
                }
            ],
            "users": PEOPLE,
            "jwks": {"keys": [_signing_key(kid)]},
            # Same kid, never published: what a forger would sign with.
            "forgeKey": _signing_key(),
            "cookieKeys": [secrets.token_hex(16)],
            "testControls": True,
        }
        config_file = folder / f"provider-{self.port}-{kid}.json"
        config_file.write_text(json.dumps(config))
        env = {**os.environ, "OP_CONFIG": str(config_file), "OP_PORT": str(self.port)}
        env["OP_ISSUER"] = self.issuer
        super().__init__([shutil.which("node") or "node", "op.mjs"], env, cwd=PROVIDER_DIR)
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        give_up = time.monotonic() + READY_DEADLINE
        while time.monotonic() < give_up and self.process.poll() is None:
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration").is_success:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the OpenID provider did not start:\n" + "\n".join(self.lines[-40:]))

    def tamper(self, change: str) -> None:
        """The next ID tokens are changed: forged, aud, iss, expired, nonce, stale_auth_time;
        "" for honest tokens again."""
        httpx.post(f"{self.issuer}/_test/tamper", content=change).raise_for_status()


class ProviderUser:
    """A person's browser at the provider, driven with httpx: follows the provider's redirects
    and fills in its sign-in form, and stops at the first redirect back to the portal."""

    def __init__(self, provider: OpenIDProvider) -> None:
        self.provider = provider
        self.http = httpx.Client(follow_redirects=False, timeout=10)

    def sign_in(self, authorisation_url: str, username: str | None = None, *, cancel=False) -> str:
        """The portal address the provider sends the browser back to. ``username`` is typed
        on the provider's sign-in page if it asks; a page that a browser's script would submit
        by itself (ending another person's session at the provider) is submitted."""
        provider = urlsplit(self.provider.issuer).netloc
        response = self.http.get(authorisation_url)
        while True:
            if response.status_code in (302, 303):
                location = urljoin(str(response.url), response.headers["location"])
                if urlsplit(location).netloc != provider:
                    return location
                response = self.http.get(location)
            elif response.status_code == 200 and "<form" in response.text:
                response = self._submit(response, username, cancel=cancel)
            else:
                raise AssertionError(
                    f"the provider answered {response.status_code}: {response.text}"
                )

    def _submit(
        self, page: httpx.Response, username: str | None, *, cancel: bool
    ) -> httpx.Response:
        form = page.text.split("<form", 1)[1]
        action = form.split('action="', 1)[1].split('"', 1)[0]
        if 'name="username"' in form:
            assert username is not None, "the provider asked who is signing in"
            data = {"username": username, "password": PEOPLE[username]["password"]}
            if cancel:
                data["cancel"] = "1"
        else:
            data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        return self.http.post(urljoin(str(page.url), html.unescape(action)), data=data)


def sign_in_with_provider(client, at_provider: ProviderUser, username: str, **start: str):
    """Start at the portal (a Django test client), sign in at the provider as ``username``, and
    hand the provider's answer to the portal: the portal's response, and the callback URL."""
    response = client.get("/accounts/oidc/start/", start)
    assert response.status_code == 302, response.content
    callback = at_provider.sign_in(response["Location"], username)
    return client.get(callback), callback
