"""The embedded broker's checks, as amqtt plugins: logins against Mosquitto hashes, topics against grants.

amqtt loads plugins by dotted path and configures each from a dict. Its own password plugin knows
argon2 and sha512-crypt only, not the ``$7$`` hashes ``device_credentials`` holds, and its ACL
plugin (0.12) cannot be given subscribe rules without a deprecation warning; so both are ours.

The topic rules follow what Mosquitto does with the ACL file ``onewindow mqtt-config`` writes, with
one difference where amqtt leaves no choice: amqtt sends retained messages to a new subscription
without asking any plugin, so a subscription is allowed only when one readable filter covers all
of it (Mosquitto would accept a broader one and deliver only what may be read). A last will is
checked when the client connects, because amqtt publishes it without asking either.

Kept apart from ``broker`` so that importing the broker's errors does not import amqtt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from queue_server.bus.acl import filter_covers, topic_matches
from queue_server.bus.passwords import verify_password

log = logging.getLogger(__name__)


class PasswordHashAuthPlugin(BaseAuthPlugin):
    """Let in a client whose username has a hash in ``passwords`` that its password matches."""

    @dataclass
    class Config:
        passwords: dict[str, str] = field(default_factory=dict)
        """Username -> Mosquitto ``$7$`` hash, checked before the broker starts."""
        writes: dict[str, list[str]] | None = None
        """Username -> filters it may publish to; when given, a last will elsewhere is refused."""

    async def authenticate(self, *, session: Session) -> bool:
        config: PasswordHashAuthPlugin.Config = self.config
        client = str(session.client_id or "")
        username = session.username
        if not username:
            log.info("Refused an anonymous MQTT connection (client %r): this broker needs a password", client)
            return False
        password_hash = config.passwords.get(username)
        if password_hash is None or not verify_password(session.password or "", password_hash):
            log.info("Refused MQTT user %r (client %r): unknown user or wrong password", username, client)
            return False
        will = session.will_topic if session.will_flag else None
        if will and config.writes is not None and not _may_write(config.writes.get(username, []), will):
            log.info("Refused MQTT user %r (client %r): it may not publish its last will on %r", username, client, will)
            return False
        return True


def _may_write(filters: list[str], topic: str) -> bool:
    return any(topic_matches(topic, allowed) for allowed in filters)


class GrantsTopicPlugin(BaseTopicPlugin):
    """Publish where ``writes`` allows, subscribe and receive where ``reads`` allows; nothing anonymous."""

    @dataclass
    class Config:
        writes: dict[str, list[str]] = field(default_factory=dict)
        reads: dict[str, list[str]] = field(default_factory=dict)

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        config: GrantsTopicPlugin.Config = self.config
        username = session.username if session is not None else None
        if not username or not topic:
            return False
        if action is Action.PUBLISH:
            allowed = _may_write(config.writes.get(username, []), topic)
        elif action is Action.SUBSCRIBE:
            allowed = any(filter_covers(granted, topic) for granted in config.reads.get(username, []))
        elif action is Action.RECEIVE:
            allowed = any(topic_matches(topic, granted) for granted in config.reads.get(username, []))
        else:
            allowed = False
        if not allowed and action is not Action.RECEIVE:
            log.info("Denied MQTT %s on %r to user %r", action, topic, username)
        return allowed
