"""The use cases, out of any transport: what a person or a device asks of a centre, done through
the domain and the store, with typed results and :class:`~queue_server.app.refusals.Refusal`.

The adapters (the JSON API, the pages, the bus) parse their own input, call a use case and turn
its result or refusal into their own terms; nothing here knows an HTTP status, a problem type or
an MQTT client. The outbox messages a change causes are named by the device protocol's subjects
(queue_server.protocol), which the bus relays as it finds them.
"""
