"""What the JSON API (queue_server.web) and the pages (queue_server.pages) share on one application.

The keys of the resources the application carries, and the browser session's cookie and CSRF
value. Both adapters import this package; it imports neither, so they stay independent of each
other and queue_server.assembly composes them.
"""
