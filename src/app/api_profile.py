"""What the configuration and the spec together say about the API: where it is, where tokens
come from, how to ask for them, and which credential each exposed tool uses.

Precedence, for every value: the environment variable when it is set, else the spec, else (for
the bundled Ozon spec) the Ozon default.

- API base URL: `API_BASE_URL`, else the spec's first server (variables at their defaults); a
  spec without an absolute server URL needs `API_BASE_URL`.
- Token URL: `OAUTH_TOKEN_URL`, else the tokenUrl of the client-credentials scheme in use (a
  relative one is resolved against the API base URL). A token URL on another host than the API
  is allowed and logged once.
- Scheme: `OAUTH_SCHEME`, else the client-credentials scheme the exposed tools use (the most
  used one, with a warning, when they use several; the others' tools become unavailable).
- Token request: the Ozon profile keeps its JSON body; any other spec uses RFC 6749 (form body;
  client_secret_post, or HTTP Basic when the flow says `x-tokenEndpointAuthMethod:
  client_secret_basic`). `OAUTH_TOKEN_REQUEST_FORMAT` / `OAUTH_CLIENT_AUTH` override.
- Scope: `OAUTH_SCOPE`, else the union of the scopes of the exposed tools (one token), or, with
  `OAUTH_SCOPE_STRATEGY=per-operation`, one token per distinct scope set.
- Static credentials: `OPENAPI_CREDENTIAL_<SCHEME>` (see `SecurityScheme.env_prefix`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from ozon_mcp.adapters.auth import ClientAuthMethod, RequestFormat, TokenEndpointConfig
from ozon_mcp.adapters.auth.static_credentials import StaticCredential, read_static_credential
from ozon_mcp.adapters.auth.urls import validate_token_url
from ozon_mcp.adapters.openapi import LoadedSpec, OperationTool
from ozon_mcp.adapters.openapi.security import (
    CombinedAuth,
    Credentials,
    OAuthAuth,
    SecurityScheme,
    ToolAuth,
    Unavailable,
    detect_schemes,
    resolve_auth,
    used_client_credentials,
)
from ozon_mcp.adapters.openapi.servers import first_server_url, resolve_against, same_host
from ozon_mcp.app.settings import OZON_API_BASE_URL, Settings
from ozon_mcp.app.wording import endpoint_config as endpoint_config_named_by_env
from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.ports import ScopeSet

log = logging.getLogger("ozon_mcp.profile")

Source = Literal["env", "spec"]


@dataclass(frozen=True)
class ApiProfile:
    """The resolved API configuration (see the module docstring); holds no OAuth secret."""

    api_base_url: str
    api_base_url_source: Source
    token_url: str | None
    token_url_source: Source | None
    oauth_scheme: str | None
    request_format: RequestFormat
    client_auth: ClientAuthMethod
    scope: str | None
    per_operation: bool
    schemes: Mapping[str, SecurityScheme] = field(default_factory=dict)
    tool_auth: Mapping[str, ToolAuth] = field(default_factory=dict)
    static: Mapping[str, StaticCredential] = field(default_factory=dict, repr=False)
    # The exposed tools that only a client-credentials token can serve (no open or static
    # alternative): when there are none, OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are optional.
    client_credentials_tools: tuple[str, ...] = ()

    def oauth_needed(self) -> bool:
        """Whether any exposed tool is called with a client-credentials token (when there is
        none, no token is ever requested: nothing is started, nothing can fail)."""
        return any(_oauth_parts(auth) for auth in self.tool_auth.values())


def resolve_profile(
    settings: Settings,
    spec: LoadedSpec,
    tools: Sequence[OperationTool],
    environ: Mapping[str, str] | None = None,
) -> ApiProfile:
    """Resolve the profile for the exposed `tools`; raises ConfigurationError naming the
    variable to set when the API base URL or OAUTH_SCHEME cannot be used."""
    explicit = settings.model_fields_set
    bundled = settings.openapi_spec is None or is_ozon_spec(spec)
    if "api_base_url" in explicit or bundled:
        base_url, base_source = settings.api_base_url, _source("api_base_url" in explicit)
    else:
        base_url, base_source = first_server_url(spec.document), "spec"
        # No token over http off-machine, and no query a path would end up inside.
        validate_token_url(
            base_url, setting="API_BASE_URL", carries="the access token", allow_query=False
        )
    schemes = detect_schemes(spec.document)
    scheme = _choose_scheme(settings, schemes, tools)
    token_url: str | None
    token_source: Source | None
    if "oauth_token_url" in explicit or bundled:
        token_url, token_source = settings.oauth_token_url, _source("oauth_token_url" in explicit)
    elif scheme is not None and schemes[scheme].token_url:
        token_url = resolve_against(base_url, schemes[scheme].token_url or "")
        token_source = "spec"  # noqa: S105 - where the URL came from, not a secret
    else:
        token_url, token_source = None, None
    if token_url is not None and not same_host(token_url, base_url):
        log.info("the token endpoint %s is on another host than the API %s", token_url, base_url)
    static = _static_credentials(schemes, environ)
    missing = [
        name
        for name, value in (
            ("OAUTH_TOKEN_URL", token_url),
            ("OAUTH_CLIENT_ID", settings.oauth_client_id),
            ("OAUTH_CLIENT_SECRET", settings.oauth_client_secret),
        )
        if value is None
    ]
    credentials = Credentials(
        scheme, not missing, frozenset(static), oauth_problem=f"set {', '.join(missing)}"
    )
    tool_auth = {tool.name: resolve_auth(tool.security, schemes, credentials) for tool in tools}
    # What the tools would use with client credentials configured: those that could use nothing
    # else are the ones that make OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET necessary.
    configured = Credentials(scheme, True, frozenset(static))
    without = Credentials(scheme, False, frozenset(static))
    needing = tuple(
        tool.name
        for tool in tools
        if _oauth_parts(resolve_auth(tool.security, schemes, configured))
        and isinstance(resolve_auth(tool.security, schemes, without), Unavailable)
    )
    request_format: RequestFormat = (
        settings.oauth_token_request_format
        if "oauth_token_request_format" in explicit or bundled
        else "form"
    )
    client_auth: ClientAuthMethod = settings.oauth_client_auth
    if "oauth_client_auth" not in explicit and scheme is not None:
        method = (schemes[scheme].token_auth_method or "").strip().lower()
        client_auth = "basic" if method == "client_secret_basic" else "post"
    scope, per_operation = _scope(settings, tool_auth)
    return ApiProfile(
        api_base_url=base_url,
        api_base_url_source=base_source,
        token_url=token_url,
        token_url_source=token_source,
        oauth_scheme=scheme,
        request_format=request_format,
        client_auth=client_auth,
        scope=scope,
        per_operation=per_operation,
        schemes=schemes,
        tool_auth=tool_auth,
        static=static,
        client_credentials_tools=needing,
    )


def credential_problems(settings: Settings, profile: ApiProfile) -> list[str]:
    """One line per OAuth variable that `serve` and `check` need but do not have: none when no
    exposed tool needs a client-credentials token (open, apiKey, HTTP bearer or basic only)."""
    needing = profile.client_credentials_tools
    if not needing:
        return []
    problems = settings.missing_credentials()
    if profile.token_url is None:
        problems.append(
            "OAUTH_TOKEN_URL is not set and the spec names no client-credentials token URL: "
            "set OAUTH_TOKEN_URL to the OAuth 2.0 token endpoint"
        )
    if problems and settings.openapi_spec is not None:
        shown = ", ".join(needing[:3]) + (
            f" and {len(needing) - 3} more" if len(needing) > 3 else ""
        )
        problems.append(
            f"{len(needing)} exposed tool(s) need an OAuth client-credentials token ({shown}); "
            "to run without one, hide them with OZON_MCP_EXCLUDE_TOOLS"
        )
    return problems


def is_ozon_spec(spec: LoadedSpec) -> bool:
    """Whether the spec is Ozon Performance's (bundled, or a copy of it given as OPENAPI_SPEC):
    its server is Ozon's, so the Ozon defaults (URLs, JSON token body) apply."""
    servers = spec.document.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    url = first.get("url") if isinstance(first, dict) else None
    return isinstance(url, str) and same_host(url, OZON_API_BASE_URL)


def _source(from_env: bool) -> Source:
    return "env" if from_env else "spec"


def _choose_scheme(
    settings: Settings, schemes: Mapping[str, SecurityScheme], tools: Sequence[OperationTool]
) -> str | None:
    client_credentials = [n for n, s in schemes.items() if s.kind == "oauth2_client_credentials"]
    if settings.oauth_scheme is not None:
        if settings.oauth_scheme not in client_credentials:
            known = ", ".join(client_credentials) or "none"
            raise ConfigurationError(
                f"OAUTH_SCHEME: {settings.oauth_scheme!r} is not a client-credentials security "
                f"scheme of the spec (it has: {known})"
            )
        return settings.oauth_scheme
    used = used_client_credentials([tool.security for tool in tools], schemes)
    if len(used) > 1:
        log.warning(
            "the exposed tools use several client-credentials schemes (%s); using %r, whose "
            "tools are the most; set OAUTH_SCHEME to choose another",
            ", ".join(used),
            used[0],
        )
    return used[0] if used else None


def _static_credentials(
    schemes: Mapping[str, SecurityScheme], environ: Mapping[str, str] | None
) -> dict[str, StaticCredential]:
    values = dict(environ) if environ is not None else _process_environment()
    found: dict[str, StaticCredential] = {}
    for name, scheme in schemes.items():
        if scheme.kind not in ("api_key", "http_bearer", "http_basic"):
            continue
        credential = read_static_credential(
            name,
            scheme.kind,
            scheme.env_prefix,
            values,
            key_name=scheme.key_name,
            key_in=scheme.key_in,
        )
        if credential is not None:
            found[name] = credential
    return found


def _process_environment() -> dict[str, str]:
    """The environment, over the values of ./.env (as the settings read them)."""
    values: dict[str, str] = {}
    env_file = Path(".env")
    if env_file.is_file():
        from dotenv import dotenv_values

        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


def _oauth_parts(auth: ToolAuth) -> list[OAuthAuth]:
    parts = auth.parts if isinstance(auth, CombinedAuth) else (auth,)
    return [part for part in parts if isinstance(part, OAuthAuth)]


def _scope(settings: Settings, tool_auth: Mapping[str, ToolAuth]) -> tuple[str | None, bool]:
    """The scope of the default token, and whether tokens are per scope set."""
    if settings.oauth_scope is not None:
        return settings.oauth_scope, False  # OAUTH_SCOPE overrides both strategies
    oauth = [part for auth in tool_auth.values() for part in _oauth_parts(auth)]
    if settings.oauth_scope_strategy == "per-operation":
        first = oauth[0].scopes if oauth else ()
        return ScopeSet(frozenset(first)).as_parameter(), True
    union = frozenset(scope for part in oauth for scope in part.scopes)
    return ScopeSet(union).as_parameter(), False


def endpoint_config(settings: Settings, profile: ApiProfile) -> TokenEndpointConfig:
    """The token endpoint configuration of the profile; a clear error when there is no token
    URL (neither OAUTH_TOKEN_URL nor the spec names one)."""
    if profile.token_url is None:
        raise ConfigurationError(
            "OAUTH_TOKEN_URL is not set and the spec names no client-credentials token URL "
            "(components.securitySchemes.*.flows.clientCredentials.tokenUrl): set "
            "OAUTH_TOKEN_URL to the OAuth 2.0 token endpoint"
        )
    return endpoint_config_named_by_env(
        token_url=profile.token_url,
        client_id=settings.oauth_client_id or "",
        client_secret=settings.oauth_client_secret or SecretStr(""),
        request_format=profile.request_format,
        client_auth=profile.client_auth,
        scope=profile.scope,
        audience=settings.oauth_audience,
    )


def configuration_summary(settings: Settings) -> str:
    """What the settings alone say about the token request (the `check` configuration step);
    values the spec decides are reported once the spec is read."""
    if settings.openapi_spec is None:
        return (
            f"token URL {settings.oauth_token_url} ({settings.oauth_token_request_format} body, "
            f"client auth {settings.oauth_client_auth}), API {settings.api_base_url}"
        )
    explicit = settings.model_fields_set
    token = settings.oauth_token_url if "oauth_token_url" in explicit else "from the spec"
    api = settings.api_base_url if "api_base_url" in explicit else "from the spec"
    return f"token URL {token}, API {api}, spec {settings.openapi_spec}"


def profile_summary(profile: ApiProfile) -> str:
    """The resolved URLs and token request, for the `check` spec step ("" for plain Ozon)."""
    if not profile.schemes:  # the spec says nothing about auth: the settings said it all
        return ""
    return (
        f"; API {profile.api_base_url} ({profile.api_base_url_source}), token URL "
        f"{profile.token_url or 'none'} ({profile.token_url_source or 'unset'}, "
        f"{profile.request_format} body, client auth {profile.client_auth})"
    )


def with_scopes(config: TokenEndpointConfig, scopes: ScopeSet) -> TokenEndpointConfig:
    """The same endpoint configuration for another scope set (per-operation strategy)."""
    return replace(config, scope=scopes)
