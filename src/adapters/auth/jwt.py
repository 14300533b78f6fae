"""Read the `exp` claim of a JWT access token, without verifying it.

The claim is only used to schedule a refresh when the token endpoint omits `expires_in`; the
token's signature is the resource server's business, not ours.
"""

from __future__ import annotations

import base64
import binascii
import json
import math

_MAX_JWT_LENGTH = 16_384


def read_jwt_exp(raw_token: str) -> float | None:
    """The `exp` claim (seconds since the epoch) of a JWT, or None if `raw_token` is not one."""
    if len(raw_token) > _MAX_JWT_LENGTH or raw_token.count(".") != 2:
        return None
    payload_part = raw_token.split(".")[1]
    try:
        padded = payload_part + "=" * (-len(payload_part) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        return None
    if not isinstance(payload, dict):
        return None
    exp = payload.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        value = float(exp)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None
