"""Staff photos for the window display, fetched once from the OneWindow server and kept.

A window's state names the photo of who serves there by its path on the server
(``/api/v1/centres/<centre>/staff-photos/<sha256>.jpg``). The page asks the display client for the
same path; the client fetches it from the server the first time, checks that its bytes hash to the
name (a photo is content-addressed, so a wrong or damaged answer is refused, never shown), and
keeps it in memory, so a display that loses the server still shows the faces it has seen.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict

import aiohttp

logger = logging.getLogger("display_client.photos")

PHOTO_PATH = re.compile(r"/api/v1/centres/[a-z0-9][a-z0-9_-]{0,39}/staff-photos/(?P<sha>[0-9a-f]{64})\.jpg")
FETCH_SECONDS = 5.0
KEPT = 64
"""Photos kept in memory (about 20 kB each): a hall's staff, with room to spare."""
LARGEST = 1_000_000
"""Bytes a photo may have; the server's are about 20 kB."""


class StaffPhotos:
    """The photos the window page shows, from ``server_url`` (None: no photos, the name and number only)."""

    def __init__(self, server_url: str | None) -> None:
        self.server_url = server_url.rstrip("/") if server_url else None
        self._kept: OrderedDict[str, bytes] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.server_url is not None

    async def get(self, path: str) -> bytes | None:
        """The photo at ``path`` (a photo path as the window state gives it), or None when it cannot be had."""
        found = PHOTO_PATH.fullmatch(path)
        if found is None or self.server_url is None:
            return None
        sha = found["sha"]
        if sha in self._kept:
            self._kept.move_to_end(sha)
            return self._kept[sha]
        image = await self._fetch(path)
        if image is None or hashlib.sha256(image).hexdigest() != sha:
            if image is not None:
                logger.warning("the server's photo %s does not match its name; not shown", path)
            return None
        self._kept[sha] = image
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return image

    async def _fetch(self, path: str) -> bytes | None:
        assert self.server_url is not None  # asked only when enabled
        try:
            timeout = aiohttp.ClientTimeout(total=FETCH_SECONDS)
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(self.server_url + path) as reply:
                if reply.status != 200:
                    logger.warning("the server answered %s for the photo %s", reply.status, path)
                    return None
                image = await reply.content.read(LARGEST + 1)
                return image if len(image) <= LARGEST else None
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.warning("could not fetch the photo %s from %s: %s", path, self.server_url, error)
            return None
