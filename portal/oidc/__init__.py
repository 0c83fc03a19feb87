"""Organisation sign-in with OpenID Connect (Microsoft Entra ID, Google Workspace or any provider
that publishes a discovery document): the authorisation code flow with PKCE, ``state`` and
``nonce``, over httpx, with ID tokens checked by joserfc."""
