"""Token sharing between processes through Redis (the `ozon-mcp[redis]` extra).

`RedisTokenCache` implements the cache ports; `SharedTokenEndpoint` decorates a token endpoint
with a distributed single flight, so that N replicas make one token request per token lifetime;
`build_redis_sharing` builds both from the settings. See docs/scaling.md.
"""

from ozon_mcp.adapters.sharing.cache import RedisTokenCache
from ozon_mcp.adapters.sharing.factory import RedisSharing, build_redis_sharing, make_cipher
from ozon_mcp.adapters.sharing.keys import MIN_KEY_CHARS, CacheKeyMismatchError, TokenCipher
from ozon_mcp.adapters.sharing.record import SharedToken
from ozon_mcp.adapters.sharing.single_flight import SharedTokenEndpoint
from ozon_mcp.adapters.sharing.store import LOGGER_NAME, RedisTokenStore, SharingUnavailable

__all__ = [
    "LOGGER_NAME",
    "MIN_KEY_CHARS",
    "CacheKeyMismatchError",
    "RedisSharing",
    "RedisTokenCache",
    "RedisTokenStore",
    "SharedToken",
    "SharedTokenEndpoint",
    "SharingUnavailable",
    "TokenCipher",
    "build_redis_sharing",
    "make_cipher",
]
