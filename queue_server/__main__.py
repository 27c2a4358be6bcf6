"""``python -m queue_server``: the same as the ``onewindow`` command."""

from queue_server.cli import main

raise SystemExit(main())
