"""How a command ends: its exit code, and what went wrong as a message for the person.

Exit codes: 0 done, 1 the input was wrong (a centre file with errors, a database not initialised,
a port taken), 2 a usage error (argparse's own code).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A command cannot go on; the message says what and why (exit 1)."""


def report_errors(database_url: str, work: Callable[[], None]) -> int:
    """Run ``work``; what goes wrong is a message for the person, never a traceback."""
    from queue_server.app.sms_settings import SmsSettingsError
    from queue_server.auth.accounts import AccountError
    from queue_server.bus.broker import BrokerStartError
    from queue_server.cli.server import PortTaken, TlsError
    from queue_server.store.database import DatabaseUrlError, without_password
    from queue_server.store.errors import DatabaseError
    from queue_server.store.migrate import SchemaOutdated

    try:
        work()
    except (
        CommandError,
        AccountError,
        BrokerStartError,
        DatabaseUrlError,
        SchemaOutdated,
        TlsError,
        SmsSettingsError,
    ) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    except PortTaken as error:  # an OSError, but not the database's
        print(error.strerror, file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DatabaseError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"Cannot use the database {without_password(database_url)}: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
