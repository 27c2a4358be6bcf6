"""The HTTP adapter: the JSON API under /api/v1, its OpenAPI document, and the errors it answers.

One module per concern:

- ``routes``: the route declaration type; the same declarations register the routes and
  describe them in the OpenAPI document, so the two cannot drift apart.
- ``api``: the core route table and its handlers; ``api_<screen>``: the routes one screen needs
  beyond it (the desk, the manager, reports ...), each with the shapes of its answers.
- ``route_table``: every route, listed module by module.
- ``schemas``: the shapes of the API's own answers (the hall's views are in queue_server.app.views).
- ``bodies``: request bodies, derived from the application's command models.
- ``auth``, ``session_auth``: bearer tokens and browser sessions to principals, and who may use
  which route; ``limits``: the ticket limits per kiosk and address.
- ``problems``: every error as RFC 9457 problem+json, foreign exceptions translated in one place.
- ``openapi``: the OpenAPI 3.1 document, generated from the routes and their types.
- ``keys``: the typed keys of what the application and each request carry.
- ``app``: the API as an aiohttp application; queue_server.assembly adds the pages and a service.
"""
