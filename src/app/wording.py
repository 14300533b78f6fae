"""How the server words the domain's facts: every `Setting` by its environment variable.

The domain and the token adapters report which setting a failure points at (`Setting`); this
module is where the server says which variable that is, so an operator reads "check
OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET" while a library user of `ClientCredentialsAuth` reads
"client_id=" and "client_secret=" for the same failure.
"""

from __future__ import annotations

from types import MappingProxyType

from ozon_mcp.adapters.auth.config import TokenEndpointConfig
from ozon_mcp.domain.errors import Setting, SettingError, SettingNames

ENV_NAMES: SettingNames = MappingProxyType(
    {
        Setting.CLIENT_ID: "OAUTH_CLIENT_ID",
        Setting.CLIENT_SECRET: "OAUTH_CLIENT_SECRET",
        Setting.TOKEN_URL: "OAUTH_TOKEN_URL",
        Setting.SCOPE: "OAUTH_SCOPE",
        Setting.REQUEST_FORMAT: "OAUTH_TOKEN_REQUEST_FORMAT",
        Setting.CLIENT_AUTH: "OAUTH_CLIENT_AUTH",
    }
)


def endpoint_config(**values: object) -> TokenEndpointConfig:
    """A `TokenEndpointConfig` whose errors name the environment variables to fix."""
    try:
        return TokenEndpointConfig(**values)  # type: ignore[arg-type]
    except SettingError as exc:
        raise exc.worded(ENV_NAMES) from None
