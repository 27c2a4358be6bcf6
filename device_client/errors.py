"""What a device client raises when it cannot do what was asked, in one short tree::

    TwinError               a twin cannot do what was asked (used outside ``async with``, reopened)
    ├── TwinConnectError    the first connection to the broker failed
    └── TwinTimeout         no answer to a request, or nothing to rate, in time (also a TimeoutError)

A broker URL that cannot be used raises queue_server.protocol.broker.BrokerUrlError (a ValueError).
"""

from __future__ import annotations


class TwinError(Exception):
    """A twin cannot do what was asked."""


class TwinConnectError(TwinError):
    """The first connection to the broker failed: a wrong address, port or password, or no broker."""


class TwinTimeout(TwinError, TimeoutError):
    """No answer to a request, or nothing to rate, within the time allowed."""
