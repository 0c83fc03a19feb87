from __future__ import annotations

import pytest

from tests.oidc.provider import ProviderUser


@pytest.fixture
def at_provider(oidc) -> ProviderUser:
    """A browser at the provider, with its own cookies there."""
    return ProviderUser(oidc)
