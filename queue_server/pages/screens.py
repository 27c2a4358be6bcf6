"""Every screen people use, and the files each is made of: the one place to start reading a screen.

A screen is its server module (``page_<screen>.py``: handlers and ``ROUTES``), its word table
(``<screen>_words.py``, Chinese and English), its templates (``templates/``), its script and style
(``static/``, served at ``/static/<name>``) and the API routes it calls beyond the core table
(``queue_server/web/api_<screen>.py``). :func:`queue_server.pages.app.page_routes` registers the
routes of the screens listed here, and a test checks that each file named exists and that every
template and static file belongs to a screen or to the shared frame (:data:`SHARED_TEMPLATES`,
:data:`SHARED_STATIC`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from queue_server.pages import (
    audit_words,
    book_words,
    console_words,
    desk_words,
    guide_words,
    kiosk_words,
    manager_words,
    pad_words,
    page_audit,
    page_book,
    page_console,
    page_desk,
    page_guide,
    page_kiosk,
    page_manager,
    page_pad,
    page_paper,
    page_ranking,
    page_rate,
    page_rectification,
    page_reports,
    page_status,
    paper_words,
    ranking_words,
    rate_words,
    rectification_words,
    reports_words,
    status_words,
)
from queue_server.pages.routes import PageRoute
from queue_server.pages.wording import Language

WordTable = dict[Language, dict[str, str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Screen:
    """One screen: where its server code, words, templates, script and style are."""

    name: str
    server: ModuleType
    """``queue_server.pages.page_<name>``: the handlers and their ``ROUTES``."""
    words: WordTable
    templates: tuple[str, ...]
    """Under ``queue_server/pages/templates/``."""
    static: tuple[str, ...]
    """Under ``queue_server/pages/static/``: its script and its style."""
    api: tuple[str, ...] = ()
    """The modules of the API routes it calls beyond the core table, ``queue_server/web/<name>.py``
    (named, not imported: the pages and the web are independent of each other)."""

    @property
    def routes(self) -> list[PageRoute]:
        routes: list[PageRoute] = self.server.ROUTES
        return routes


SCREENS: tuple[Screen, ...] = (
    Screen(
        name="kiosk",
        server=page_kiosk,
        words=kiosk_words.WORDS,
        templates=("kiosk.html",),
        static=("kiosk.js", "kiosk.css"),
        api=("api_bookings", "api_city", "api_kiosk", "api_prints"),
    ),
    Screen(
        name="status",
        server=page_status,
        words=status_words.WORDS,
        templates=("status.html",),
        static=("status.js", "status.css"),
        api=("api_status",),
    ),
    Screen(
        name="book",
        server=page_book,
        words=book_words.BOOK_WORDS,
        templates=("book.html",),
        static=("book.js", "book.css"),
        api=("api_public_bookings",),
    ),
    Screen(
        name="rate",
        server=page_rate,
        words=rate_words.RATE_WORDS,
        templates=("rate.html",),
        static=(),  # the status page's style (status.css): the same phone, the same rating form
    ),
    Screen(
        name="guide",
        server=page_guide,
        words=guide_words.GUIDE_WORDS,
        templates=("guide.html", "guide_macros.html"),
        static=("guide.css",),
    ),
    Screen(
        name="paper",
        server=page_paper,
        words=paper_words.PAPER_WORDS,
        templates=("paper.html",),
        static=("paper.css",),
    ),
    Screen(
        name="console",
        server=page_console,
        words=console_words.CONSOLE_WORDS,
        templates=("console.html",),
        static=("console_terms.js", "console_print.js", "console.js", "console_result.js", "console.css"),
        api=("api_prints", "api_promised"),
    ),
    Screen(
        name="desk",
        server=page_desk,
        words=desk_words.DESK_WORDS,
        templates=("desk.html",),
        static=("desk.js", "desk_bookings.js", "desk.css"),
        api=("api_bookings", "api_desk", "api_prints"),
    ),
    Screen(
        name="pad",
        server=page_pad,
        words=pad_words.WORDS,
        templates=("pad.html",),
        static=("pad.js", "pad.css"),
        api=("api_pad",),
    ),
    Screen(
        name="manager",
        server=page_manager,
        words=manager_words.MANAGER_WORDS,
        templates=("manager.html",),
        static=("manager.js", "manager_promised.js", "manager_advice.js", "manager.css"),
        api=("api_manager", "api_promised", "api_advice"),
    ),
    Screen(
        name="reports",
        server=page_reports,
        words=reports_words.REPORTS_WORDS,
        templates=("reports.html", "report_centres.html", "report_macros.html"),
        static=("reports.js", "reports.css"),
        api=("api_reports",),
    ),
    Screen(
        name="audit",
        server=page_audit,
        words=audit_words.AUDIT_WORDS,
        templates=("audit.html",),
        static=("audit.css",),
        api=("api_audit",),
    ),
    Screen(
        name="ranking",
        server=page_ranking,
        words=ranking_words.RANKING_WORDS,
        templates=("ranking.html",),
        static=("ranking.css",),
        api=("api_ranking",),
    ),
    Screen(
        name="rectification",
        server=page_rectification,
        words=rectification_words.RECTIFICATION_WORDS,
        templates=("rectification.html",),
        static=("rectification.js", "rectification.css"),
        api=("api_rectification", "api_appeal_evidence", "api_promised"),
    ),
)

SHARED_TEMPLATES = ("base.html", "error.html", "login.html", "enrol.html")
"""The frame every screen extends, and the pages around the screens: log in, enrolment, errors."""
SHARED_STATIC = ("ow.js", "ow.css")
"""The script and style of the frame (``OW.*``), which every screen loads."""
