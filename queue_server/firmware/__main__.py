"""``python -m queue_server.firmware``: render the committed configurations again, after a protocol change."""

from __future__ import annotations

from queue_server.firmware.render import COMMITTED, write_tree

if __name__ == "__main__":
    for path in write_tree(COMMITTED):
        print(path.relative_to(COMMITTED.parent))
