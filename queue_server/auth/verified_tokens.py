"""Bearer tokens verified a moment ago, so a request need not read its token from the database.

Every API request carries a bearer token, and looking it up was a read transaction of its own
(pool checkout, ``SELECT``, rollback): about a tenth of the server's time per request. A token
that was found valid is kept here for :data:`TOKEN_TTL_SECONDS`; after that the next request
reads it again. So a token revoked, or an account disabled, by another process (``onewindow
token revoke``, another instance) stops working within that time: the bound is
:data:`TOKEN_TTL_SECONDS`, well under the five seconds the deployment promises. Only valid tokens
are kept; an unknown or revoked one is read from the database every time, as before.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from queue_server.auth.accounts import Principal

TOKEN_TTL_SECONDS = 2.0
"""How long a verified token is believed without reading it again: the revocation delay's bound."""
TOKEN_CACHE_SIZE = 4096
"""At most this many tokens are kept; the least recently verified one goes first."""


class VerifiedTokens:
    """Principals of bearer tokens verified within the last ``ttl`` seconds, at most ``size`` of them.

    The key is the token's SHA-256, so the memory holds no token in plain text.
    """

    def __init__(
        self,
        ttl: float = TOKEN_TTL_SECONDS,
        size: int = TOKEN_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0 or size < 1:
            raise ValueError(f"Cannot keep verified tokens for {ttl} s, {size} at most: give ttl >= 0 and size >= 1")
        self.ttl = ttl
        self.size = size
        self.clock = clock
        """Seconds that only go forward; a test may set another."""
        self._kept: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()

    def get(self, token: str) -> Principal | None:
        """The token's principal if it was verified less than ``ttl`` seconds ago, else None."""
        key = _key(token)
        found = self._kept.get(key)
        if found is None:
            return None
        verified_at, principal = found
        if self.clock() - verified_at >= self.ttl:
            del self._kept[key]
            return None
        return principal

    def put(self, token: str, principal: Principal) -> None:
        """Keep a principal just read from the database for its token."""
        key = _key(token)
        self._kept[key] = (self.clock(), principal)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def clear(self) -> None:
        """Forget every token: this process just revoked one or changed an account."""
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


def _key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
