"""The web pages people use at screens: kiosk, ticket status, counter console, desk, manager.

Served by the same aiohttp application as the JSON API (queue_server.pages.app.add_pages); each
page is a Jinja2 template whose script calls that API with the session's cookie and CSRF value,
and listens to ``/live/...`` (Server-Sent Events) to learn when to read again.
"""
