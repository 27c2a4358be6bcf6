"""Every centre's configuration, kept parsed: read again only when its version moved.

A server looks at all its centres every few seconds (the bus for centres added and configurations
applied elsewhere, the day's closing); parsing each configuration every time was most of an idle
city's CPU. ``StoredCentres`` reads the versions in one query and parses what is new or changed.
"""

from __future__ import annotations

from queue_server.domain.centre import Centre
from queue_server.store.database import Database
from queue_server.store.seed import StoredCentres, apply_centre, create_centre
from tests.factories import centre_data, shanghai

NOW = shanghai(2026, 11, 30, 9, 0)


async def test_a_configuration_is_parsed_again_only_when_it_changed(seeded_db: Database) -> None:
    db, stored = seeded_db, StoredCentres()
    async with db.read() as conn:
        first = await stored.read(conn)
        again = await stored.read(conn)
    assert list(first) == ["test"] and again["test"] is first["test"], "the same version: the same object"

    renamed = Centre.model_validate(centre_data(centre={"code": "test", "name": "改名后的中心"}))
    station = Centre.model_validate(centre_data(centre={"code": "station", "name": "村便民服务站"}))
    async with db.write() as conn:
        await apply_centre(conn, renamed, NOW)
        await create_centre(conn, station, NOW)
    async with db.read() as conn:
        later = await stored.read(conn)
    assert list(later) == ["station", "test"]
    assert later["test"] is not first["test"] and later["test"].name == "改名后的中心"
    assert later["station"] == station
