"""An MQTT client's housekeeping is paced by its keepalive, and a quiet connection still stays up.

aiomqtt runs paho's housekeeping (a ping due, a broker that stopped answering) every second on
every connection; a server holds one per centre, so a city woke eighty times a second for it.
OneWindow's client runs it every tenth of the keepalive (at most once a second): the pings still
go out in time, so the broker keeps a connection that says nothing for longer than its keepalive.
"""

from __future__ import annotations

import asyncio
import secrets

from paho.mqtt.enums import MQTTErrorCode

from queue_server.protocol.broker import Broker
from tests.brokers import Mosquitto


async def test_a_client_with_the_servers_keepalive_does_its_housekeeping_every_few_seconds(
    mosquitto: Mosquitto,
) -> None:
    async with Broker.from_url(mosquitto.url).client(f"quiet-{secrets.token_hex(3)}", keepalive=60) as client:
        paho = client._client
        rounds = 0
        housekeeping = paho.loop_misc

        def counted() -> MQTTErrorCode:
            nonlocal rounds
            rounds += 1
            return housekeeping()

        paho.loop_misc = counted  # type: ignore[method-assign]  # counts paho's own
        await asyncio.sleep(2.5)  # aiomqtt's own pace would have run it twice by now
    assert rounds == 0


async def test_a_connection_quiet_for_longer_than_its_keepalive_stays_up(mosquitto: Mosquitto) -> None:
    """Mosquitto drops a client it has heard nothing from for one and a half keepalives (3 s here)."""
    topic = f"quiet/{secrets.token_hex(3)}"
    async with Broker.from_url(mosquitto.url).client(f"quiet-{secrets.token_hex(3)}", keepalive=2) as client:
        await client.subscribe(topic, qos=1)
        await asyncio.sleep(5)
        await client.publish(topic, b"still here", qos=1)
        async with asyncio.timeout(5):
            message = await anext(aiter(client.messages))
    assert message.payload == b"still here"
