"""The product's configuration: environment variables (or a `.env` file), overridden by CLI flags.

The variable names are a contract other programs rely on; see the README's variable table.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ozon_mcp.adapters.auth.urls import proxy_problems, validate_token_url
from ozon_mcp.domain.errors import ConfigurationError

OZON_TOKEN_URL = "https://api-performance.ozon.ru/api/client/token"  # noqa: S105
OZON_API_BASE_URL = "https://api-performance.ozon.ru"

# Results go to a language model: 10 MB is far beyond any useful answer, and the reader keeps
# up to 16 times the limit in memory.
MAX_RESPONSE_BYTES_CEILING = 10_000_000

EXIT_CONFIG = 2  # the exit code of every configuration problem

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingsError(ConfigurationError):
    """One or more settings are missing or invalid; `problems` has one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Every setting of ozon-mcp, named exactly as its environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
    )

    oauth_client_id: str | None = Field(default=None, description="OAuth client id")
    oauth_client_secret: SecretStr | None = Field(default=None, description="OAuth client secret")
    oauth_token_url: str = Field(default=OZON_TOKEN_URL, description="OAuth token endpoint URL")
    api_base_url: str = Field(default=OZON_API_BASE_URL, description="base URL of the API")
    oauth_token_request_format: Literal["json", "form"] = Field(
        default="json", description="token request body: json (Ozon) or form (RFC 6749)"
    )
    oauth_client_auth: Literal["post", "basic"] = Field(
        default="post", description="client authentication: post (in the body) or basic"
    )
    oauth_scope: str | None = Field(default=None, description="space-separated scopes")
    oauth_audience: str | None = Field(default=None, description="audience parameter")
    # anyspec: which client-credentials scheme of the spec, and how tokens split by scope.
    oauth_scheme: str | None = Field(
        default=None, description="the spec's client-credentials scheme to use (several exist)"
    )
    oauth_scope_strategy: Literal["union", "per-operation"] = Field(
        default="union",
        description="union: one token for all scopes; per-operation: one per distinct scope set",
    )
    oauth_refresh_margin_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        allow_inf_nan=False,
        description="refresh this long before expiry",
    )
    oauth_max_retries: int = Field(
        default=3, ge=0, le=10, description="token request retries per cycle"
    )
    oauth_max_wait_seconds: float = Field(
        default=30.0,
        ge=0,
        le=600,
        description="longest a tool call waits for a token endpoint backoff (Retry-After)",
    )
    openapi_spec: str | None = Field(default=None, description="path of a JSON/YAML spec")
    log_level: LogLevel = Field(default="INFO", description="logging level (stderr)")
    log_format: Literal["text", "json"] = Field(default="text", description="log line format")
    ozon_mcp_output_schemas: bool = Field(default=False, description="publish output schemas")
    ozon_mcp_max_response_bytes: int = Field(
        default=100_000,
        ge=1_000,
        le=MAX_RESPONSE_BYTES_CEILING,
        description="truncate tool results above this size (1000 to 10000000 bytes)",
    )
    ozon_mcp_read_deadline_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        allow_inf_nan=False,
        description="give up on an API answer whose body is not complete after this long",
    )
    ozon_mcp_probe_operation: str = Field(
        default="GetLimitsList", description="operation `ozon-mcp check` calls as a probe"
    )
    # Statistics reports (issue 12): Ozon's daily request budget and how reports are polled.
    ozon_mcp_daily_request_budget: int = Field(
        default=100_000, ge=1, description="upstream requests allowed per Moscow day"
    )
    ozon_mcp_report_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="first wait between report status checks"
    )
    ozon_mcp_report_poll_max_seconds: float = Field(
        default=10.0, gt=0, le=600, description="longest wait between report status checks"
    )
    ozon_mcp_report_timeout_seconds: float = Field(
        default=1800.0, gt=0, description="give up on a report not ready after this long"
    )
    ozon_mcp_tools: str | None = Field(
        default=None, description="expose only these tools: operationIds, tags or globs, commas"
    )
    ozon_mcp_exclude_tools: str | None = Field(
        default=None, description="hide these tools: operationIds, tags or globs, commas"
    )
    ozon_mcp_descriptions: Literal["lean", "full"] = Field(
        default="lean", description="tool descriptions: lean (short) or full (the spec's text)"
    )
    ozon_mcp_read_only: bool = Field(
        default=False, description="expose only operations that cannot change the account"
    )
    mcp_http_bearer_token: SecretStr | None = Field(
        default=None, description="bearer token HTTP clients must send to /mcp and /metrics"
    )
    mcp_http_auth_issuer: str | None = Field(
        default=None, description="OAuth resource-server mode: the authorization server (iss)"
    )
    mcp_http_auth_audience: str | None = Field(
        default=None, description="OAuth resource-server mode: the aud bearer JWTs must name"
    )
    mcp_http_auth_required_scopes: str | None = Field(
        default=None, description="OAuth resource-server mode: scopes every token must carry"
    )
    mcp_http_auth_jwks_url: str | None = Field(
        default=None, description="the issuer's JWKS URL (default: from its metadata)"
    )
    mcp_http_allowed_hosts: str | None = Field(
        default=None, description="extra Host header values /mcp accepts (host, host:port, host:*)"
    )
    mcp_http_resource_url: str | None = Field(
        default=None, description="the URL clients use for /mcp (RFC 9728 resource)"
    )
    # Token sharing between replicas (docs/scaling.md).
    token_cache: Literal["memory", "redis"] = Field(
        default="memory", description="where tokens are kept: memory (one process) or redis"
    )
    redis_url: str | None = Field(default=None, description="Redis URL for TOKEN_CACHE=redis")
    token_cache_key: SecretStr | None = Field(
        default=None, description="encrypts shared tokens at rest (>= 32 characters)"
    )
    token_cache_allow_plaintext: bool = Field(
        default=False, description="allow TOKEN_CACHE=redis without TOKEN_CACHE_KEY"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "oauth_token_request_format",
        "oauth_client_auth",
        "log_format",
        "ozon_mcp_descriptions",
        "token_cache",
        mode="before",
    )
    @classmethod
    def _lower_choice(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator(
        "oauth_client_id",
        "oauth_scope",
        "oauth_audience",
        "openapi_spec",
        "mcp_http_auth_issuer",
        "mcp_http_auth_audience",
        "mcp_http_auth_required_scopes",
        "mcp_http_auth_jwks_url",
        "mcp_http_resource_url",
        "mcp_http_allowed_hosts",
        "redis_url",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("oauth_scheme", mode="before")
    @classmethod
    def _blank_scheme_is_unset(cls, value: object) -> object:
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("oauth_scope_strategy", mode="before")
    @classmethod
    def _strategy_choice(cls, value: object) -> object:
        return value.strip().lower() or "union" if isinstance(value, str) else value

    @field_validator("oauth_client_secret", "mcp_http_bearer_token", "token_cache_key")
    @classmethod
    def _blank_secret_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("oauth_token_url", "api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        text = value.strip()
        if not text.lower().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api-performance.ozon.ru")
        return text.rstrip("/") if text.count("/") <= 3 else text

    def missing_credentials(self) -> list[str]:
        """One problem line per credential that `serve` and `check` need but do not have."""
        problems = []
        if not self.oauth_client_id:
            problems.append(
                "OAUTH_CLIENT_ID is not set: put your client id in the environment or in .env "
                "(for Ozon: Performance account > API > client_id)"
            )
        if self.oauth_client_secret is None:
            problems.append(
                "OAUTH_CLIENT_SECRET is not set: put your client secret in the environment or "
                "in .env (it is never logged)"
            )
        return problems

    def url_problems(self) -> list[str]:
        """One line per URL that uses plain http:// off this machine (checked before connecting)."""
        problems = []
        for url, setting, carries in (
            (self.oauth_token_url, "OAUTH_TOKEN_URL", "the client secret"),
            (self.api_base_url, "API_BASE_URL", "the access token"),
        ):
            try:
                validate_token_url(
                    url, setting=setting, carries=carries, allow_query=setting != "API_BASE_URL"
                )
            except ConfigurationError as exc:
                problems.append(str(exc))
        return problems

    def token_cache_problems(self) -> list[str]:
        """One line per TOKEN_CACHE setting that cannot work (values are never echoed)."""
        from ozon_mcp.app.token_sharing import token_cache_problems

        return token_cache_problems(self)

    def connection_problems(self, *, credentials: bool = True) -> list[str]:
        """Everything that stops `serve` and `check` before any connection is made.

        `credentials=False` leaves out the OAuth client credentials: whether they are needed
        depends on the spec's security (`api_profile.credential_problems` decides it then).
        """
        problems = self.missing_credentials() if credentials else []
        problems += self.url_problems() + self.token_cache_problems()
        if not problems:
            targets = [("OAUTH_TOKEN_URL", self.oauth_token_url)]
            targets.append(("API_BASE_URL", self.api_base_url))
            problems += proxy_problems(targets)
        return problems


def load_settings(
    overrides: dict[str, Any] | None = None, env_file: Path | None = None
) -> Settings:
    """Read the settings; CLI flags in `overrides` win. Raises `SettingsError` listing problems."""
    values = {key: value for key, value in (overrides or {}).items() if value is not None}
    if env_file is not None and not Path(env_file).is_file():
        # pydantic-settings silently ignores a missing env file: the user would run with
        # other settings than they meant.
        what = "is not a file" if Path(env_file).exists() else "does not exist"
        raise SettingsError([f"--env-file: {str(env_file)!r} {what}"])
    try:
        if env_file is not None:
            return Settings(_env_file=env_file, **values)  # type: ignore[call-arg]
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError([_describe(error) for error in exc.errors()]) from None


def _describe(error: Any) -> str:
    location = error.get("loc") or ("?",)
    name = str(location[0]).upper()
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    description = Settings.model_fields.get(str(location[0]).lower())
    hint = f" ({description.description})" if description and description.description else ""
    given = error.get("input")
    shown = "" if "SECRET" in name or given is None else f" (got {str(given)[:60]!r})"
    return f"{name}: {message}{shown}{hint}"


def report_problems(problems: list[str]) -> int:
    """Print configuration problems to stderr, one per line; returns the exit code to use."""
    print("ozon-mcp: configuration problems:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_CONFIG
