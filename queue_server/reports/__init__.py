"""Supervision reports (电子监察): what each window, staff member and matter did over a period.

Pure and synchronous like the domain: the store loads the period's tickets and pauses
(queue_server.store.report_data), this package turns them into figures.
"""
