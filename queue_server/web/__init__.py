"""The HTTP adapter: the JSON API under /api/v1, its OpenAPI document, and the errors it answers.

One module per concern:

- ``routes``: the route table's declaration type; the same declarations register the routes
  and describe them in the OpenAPI document, so the two cannot drift apart.
- ``api``: the route table itself and its handlers.
- ``bodies``: request bodies, derived from the domain's command models.
- ``auth``: bearer tokens to principals, and who may use which route.
- ``problems``: every error as RFC 9457 problem+json, foreign exceptions translated in one place.
- ``openapi``: the OpenAPI 3.1 document.
- ``app``: the application, its resources and their lifecycle.
"""

from __future__ import annotations

from queue_server.web.app import build_app, create_app
from queue_server.web.keys import DATABASE, SERVICE

__all__ = ["DATABASE", "SERVICE", "build_app", "create_app"]
