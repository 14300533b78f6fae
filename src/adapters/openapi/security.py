"""What a spec says about authentication: its security schemes and each operation's requirement.

Read from `components.securitySchemes` (OpenAPI 3.0 and 3.1; Swagger 2.0 documents arrive here
already converted by `swagger2`). The rules for an operation's requirement:

- `security: []`, or a list that contains the empty requirement `{}`, means open (no credential);
- an operation that declares nothing inherits the document's global `security`;
- with no global requirement either, an operation still gets the spec's only client-credentials
  scheme (real specs forget to declare security far more often than they mean "open"); failing
  that, the spec's only scheme; with no scheme at all, the requirement is "unspecified" and the
  configured OAuth token is used (the bundled Ozon spec declares nothing).

Nothing here does I/O or reads the environment; `resolve_auth` decides per operation which
configured credential (if any) satisfies it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ozon_mcp.adapters.openapi.spec import JsonObject, escape_token

SchemeKind = Literal[
    "oauth2_client_credentials",
    "oauth2_other",
    "api_key",
    "http_bearer",
    "http_basic",
    "unsupported",
]
RequirementKind = Literal["open", "required", "unspecified"]
RequirementSource = Literal["operation", "global", "implicit", "none"]
StaticKind = Literal["api_key", "http_bearer", "http_basic"]
_STATIC_KINDS: tuple[StaticKind, ...] = ("api_key", "http_bearer", "http_basic")
_ENV_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class SecurityScheme:
    """One entry of `components.securitySchemes`, classified.

    `token_url` and `scopes` are set for client-credentials schemes (the tokenUrl as written,
    possibly relative); `token_auth_method` is the flow's `x-tokenEndpointAuthMethod`;
    `key_name`/`key_in` describe an apiKey scheme; `note` says why a scheme is unsupported.
    """

    name: str
    kind: SchemeKind
    token_url: str | None = None
    scopes: tuple[str, ...] = ()
    token_auth_method: str | None = None
    key_name: str | None = None
    key_in: Literal["header", "query", "cookie"] | None = None
    note: str = ""

    @property
    def env_prefix(self) -> str:
        """The prefix of the environment variables that hold this scheme's credential.

        `OPENAPI_CREDENTIAL_<NAME>` with the scheme name upper-cased and every run of other
        characters turned into `_`: scheme `api_key-header` -> `OPENAPI_CREDENTIAL_API_KEY_HEADER`
        (its value for apiKey and HTTP bearer; `_USERNAME` and `_PASSWORD` for HTTP basic).
        """
        return scheme_env_prefix(self.name)


def scheme_env_prefix(name: str) -> str:
    """`OPENAPI_CREDENTIAL_<NAME>`: see `SecurityScheme.env_prefix`."""
    token = _ENV_UNSAFE.sub("_", name).strip("_").upper() or "SCHEME"
    return f"OPENAPI_CREDENTIAL_{token}"


@dataclass(frozen=True)
class Requirement:
    """One alternative of a `security` list: every (scheme, scopes) pair in it is needed."""

    schemes: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class OperationSecurity:
    """An operation's security requirement after inheritance; alternatives in spec order."""

    kind: RequirementKind
    source: RequirementSource
    alternatives: tuple[Requirement, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_open(self) -> bool:
        return self.kind == "open"


def detect_schemes(document: Mapping[str, Any]) -> dict[str, SecurityScheme]:
    """Every security scheme of the document by name, in document order (bad entries skipped)."""
    components = document.get("components")
    raw = components.get("securitySchemes") if isinstance(components, dict) else None
    if not isinstance(raw, dict):
        return {}
    schemes: dict[str, SecurityScheme] = {}
    for name, scheme in raw.items():
        node = scheme
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = _local_target(document, node["$ref"])
        if isinstance(node, dict):
            schemes[str(name)] = _classify(str(name), node)
    return schemes


def _local_target(document: Mapping[str, Any], ref: str) -> Any:
    node: Any = document
    for raw in ref.removeprefix("#").split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or token not in node:
            return None
        node = node[token]
    return node


def _classify(name: str, scheme: JsonObject) -> SecurityScheme:
    kind = str(scheme.get("type", "")).strip()
    if kind == "oauth2":
        flows = scheme.get("flows")
        flow = flows.get("clientCredentials") if isinstance(flows, dict) else None
        if isinstance(flow, dict):
            scopes = flow.get("scopes")
            token_url = flow.get("tokenUrl")
            method = flow.get("x-tokenEndpointAuthMethod", scheme.get("x-tokenEndpointAuthMethod"))
            return SecurityScheme(
                name,
                "oauth2_client_credentials",
                token_url=token_url.strip() if isinstance(token_url, str) else None,
                scopes=tuple(str(s) for s in scopes) if isinstance(scopes, dict) else (),
                token_auth_method=str(method) if isinstance(method, str) else None,
            )
        found = ", ".join(str(f) for f in flows) if isinstance(flows, dict) else "none"
        return SecurityScheme(name, "oauth2_other", note=f"OAuth 2.0 flows {found}")
    if kind == "apiKey":
        where = scheme.get("in")
        key = scheme.get("name")
        if where in ("header", "query", "cookie") and isinstance(key, str) and key:
            return SecurityScheme(name, "api_key", key_name=key, key_in=where)
        return SecurityScheme(name, "unsupported", note="an apiKey scheme without name/in")
    if kind == "http":
        http = str(scheme.get("scheme", "")).strip().lower()
        if http == "bearer":
            return SecurityScheme(name, "http_bearer")
        if http == "basic":
            return SecurityScheme(name, "http_basic")
        return SecurityScheme(name, "unsupported", note=f"HTTP {http or '?'} authentication")
    return SecurityScheme(name, "unsupported", note=f"security scheme type {kind or '?'}")


def operation_security(
    document: Mapping[str, Any],
    operation: Mapping[str, Any],
    schemes: Mapping[str, SecurityScheme],
    pointer: str = "",
) -> OperationSecurity:
    """The requirement of one operation after inheritance (see the module docstring)."""
    if "security" in operation:
        return _read_requirements(operation["security"], "operation", f"{pointer}/security")
    if "security" in document:
        return _read_requirements(document["security"], "global", "/security")
    client_credentials = [s for s in schemes.values() if s.kind == "oauth2_client_credentials"]
    only = (
        client_credentials[0]
        if len(client_credentials) == 1
        else (next(iter(schemes.values())) if len(schemes) == 1 else None)
    )
    if only is not None:
        return OperationSecurity(
            "required", "implicit", (Requirement(((only.name, ()),)),), warnings=()
        )
    return OperationSecurity("unspecified", "none")


def _read_requirements(value: Any, source: RequirementSource, pointer: str) -> OperationSecurity:
    if not isinstance(value, list):
        warning = f"{pointer}: security must be a list of requirement objects; ignored"
        return OperationSecurity("unspecified", "none", warnings=(warning,))
    alternatives: list[Requirement] = []
    warnings: list[str] = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            warnings.append(f"{pointer}/{index}: a security requirement must be an object")
            continue
        if not entry:
            return OperationSecurity("open", source, warnings=tuple(warnings))
        pairs = []
        for scheme, scopes in entry.items():
            listed = scopes if isinstance(scopes, list) else []
            pairs.append((str(scheme), tuple(str(s) for s in listed)))
        alternatives.append(Requirement(tuple(pairs)))
    if not alternatives:
        return OperationSecurity("open", source, warnings=tuple(warnings))
    return OperationSecurity("required", source, tuple(alternatives), tuple(warnings))


# --- which configured credential serves an operation ----------------------------------------


@dataclass(frozen=True)
class OAuthAuth:
    """Use a client-credentials token of `scheme` with `scopes` (scheme None: the configured
    token of a spec that declares no security at all)."""

    scheme: str | None
    scopes: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "type": "oauth2_client_credentials",
            "scheme": self.scheme or "",
            "scopes": list(self.scopes),
        }


@dataclass(frozen=True)
class NoAuth:
    """The operation is open: no Authorization header, no credential."""

    def as_json(self) -> dict[str, Any]:
        return {"type": "none"}


@dataclass(frozen=True)
class StaticAuth:
    """An apiKey, HTTP bearer or HTTP basic credential read from the environment."""

    kind: StaticKind
    scheme: str

    def as_json(self) -> dict[str, Any]:
        return {"type": self.kind, "scheme": self.scheme}


@dataclass(frozen=True)
class CombinedAuth:
    """A requirement that needs several schemes at once (an AND of them)."""

    parts: tuple[OAuthAuth | StaticAuth, ...]

    def as_json(self) -> dict[str, Any]:
        first = self.parts[0].as_json()
        return {**first, "all_of": [part.as_json() for part in self.parts]}


@dataclass(frozen=True)
class Unavailable:
    """The requirement cannot be met with what is configured; `reason` names what is missing."""

    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"type": "unavailable", "reason": self.reason}


ToolAuth = OAuthAuth | NoAuth | StaticAuth | CombinedAuth | Unavailable


@dataclass(frozen=True)
class Credentials:
    """What is configured: the chosen client-credentials scheme and the static credentials.

    `oauth_scheme` is the one client-credentials scheme whose tokens are requested (None when the
    spec has none); `oauth_ready` says whether a token can be requested at all (a token URL and
    client credentials); `static_schemes` names the schemes whose environment variables are set.
    """

    oauth_scheme: str | None
    oauth_ready: bool
    static_schemes: frozenset[str] = frozenset()
    # Why no token can be requested when `oauth_ready` is False (names the variables to set).
    oauth_problem: str = "set OAUTH_TOKEN_URL, OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET"


def resolve_auth(
    security: OperationSecurity,
    schemes: Mapping[str, SecurityScheme],
    credentials: Credentials,
) -> ToolAuth:
    """The credential that serves an operation: the first alternative, in spec order, that the
    configuration can satisfy; otherwise `Unavailable` naming what each alternative lacks."""
    if security.kind == "open":
        return NoAuth()
    if security.kind == "unspecified":
        if credentials.oauth_ready:
            return OAuthAuth(None, ())
        return Unavailable(f"no OAuth token can be requested: {credentials.oauth_problem}")
    missing: list[str] = []
    for alternative in security.alternatives:
        parts: list[OAuthAuth | StaticAuth] = []
        lacking: list[str] = []
        for name, scopes in alternative.schemes:
            part, problem = _satisfy(name, scopes, schemes, credentials)
            if part is not None:
                parts.append(part)
            else:
                lacking.append(problem)
        if not lacking and parts:
            return parts[0] if len(parts) == 1 else CombinedAuth(tuple(parts))
        missing.append(" and ".join(lacking))
    return Unavailable("; or ".join(dict.fromkeys(missing)) or "no usable security requirement")


def _satisfy(
    name: str,
    scopes: tuple[str, ...],
    schemes: Mapping[str, SecurityScheme],
    credentials: Credentials,
) -> tuple[OAuthAuth | StaticAuth | None, str]:
    scheme = schemes.get(name)
    if scheme is None:
        return None, f"security scheme {name!r} is not defined in the spec"
    if scheme.kind == "oauth2_client_credentials":
        if credentials.oauth_scheme == name and credentials.oauth_ready:
            return OAuthAuth(name, tuple(sorted(set(scopes)))), ""
        if credentials.oauth_scheme not in (None, name):
            return None, (
                f"client-credentials scheme {name!r} (OAUTH_SCHEME selects "
                f"{credentials.oauth_scheme!r})"
            )
        return None, f"client-credentials scheme {name!r} ({credentials.oauth_problem})"
    if scheme.kind in _STATIC_KINDS:
        if name in credentials.static_schemes:
            return StaticAuth(scheme.kind, name), ""
        return None, f"{scheme.kind} scheme {name!r} (set {_env_names(scheme)})"
    if scheme.kind == "oauth2_other":
        return None, f"scheme {name!r} ({scheme.note}; only clientCredentials is supported)"
    return None, f"scheme {name!r} ({scheme.note} is not supported)"


def _env_names(scheme: SecurityScheme) -> str:
    if scheme.kind == "http_basic":
        return f"{scheme.env_prefix}_USERNAME and {scheme.env_prefix}_PASSWORD"
    return scheme.env_prefix


def client_credentials_schemes(schemes: Mapping[str, SecurityScheme]) -> list[SecurityScheme]:
    """The client-credentials schemes of a spec, in document order."""
    return [s for s in schemes.values() if s.kind == "oauth2_client_credentials"]


def used_client_credentials(
    securities: Sequence[OperationSecurity], schemes: Mapping[str, SecurityScheme]
) -> list[str]:
    """The client-credentials schemes the given operations name, most used first (ties: spec
    order)."""
    order = {name: index for index, name in enumerate(schemes)}
    counts: dict[str, int] = {}
    for security in securities:
        named = {
            name
            for alternative in security.alternatives
            for name, _scopes in alternative.schemes
            if name in schemes and schemes[name].kind == "oauth2_client_credentials"
        }
        for name in named:
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda name: (-counts[name], order[name]))


def scheme_pointer(name: str) -> str:
    """The JSON pointer of a security scheme, for messages."""
    return f"/components/securitySchemes/{escape_token(name)}"
