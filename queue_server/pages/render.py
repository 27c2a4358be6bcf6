"""Rendering a page: the language, the session's CSRF value and the words, then the template.

The language is Chinese unless the visitor chose English (``?lang=en``, kept in a cookie); every
page has a switch. Page data reaches the page's script as JSON inside the page, never as HTML.
"""

from __future__ import annotations

import json
from typing import Any

import jinja2
from aiohttp import web

from queue_server.auth.accounts import Principal
from queue_server.http_common.keys import SESSION
from queue_server.pages.wording import LANGUAGES, Language, words

LANGUAGE_COOKIE = "ow_lang"
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("queue_server.pages", "templates"),
    autoescape=jinja2.select_autoescape(("html",)),
    undefined=jinja2.StrictUndefined,
)


def language_of(request: web.Request) -> Language:
    asked = request.query.get("lang") or request.cookies.get(LANGUAGE_COOKIE, "")
    for language in LANGUAGES:
        if asked == language:
            return language
    return "zh"


def script_json(data: Any) -> str:
    """JSON to put inside ``<script type="application/json">``: ``</`` cannot end the element early."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def render(
    request: web.Request,
    template: str,
    *,
    title: str,
    page_words: dict[Language, dict[str, str]] | None = None,
    data: dict[str, Any] | None = None,
    status: int = 200,
    **context: Any,
) -> web.Response:
    """The page ``template`` with the shared context; ``data`` goes to the page's script as JSON."""
    language = language_of(request)
    table = words(language, page_words) if page_words else words(language)
    session = request.get(SESSION)
    csrf = session.csrf if session is not None else context.pop("csrf", "")
    principal = session.principal if session is not None else None
    html = _TEMPLATES.get_template(template).render(
        lang=language,
        html_lang="zh-CN" if language == "zh" else "en",
        other_lang="en" if language == "zh" else "zh",
        words=table,
        title=title,
        csrf=csrf,
        principal=principal,
        path=request.path,
        page_json=script_json({"words": table, "lang": language, "csrf": csrf, **(data or {})}),
        **context,
    )
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.query.get("lang") in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, path="/", samesite="Lax")
    return response


def centre_code(request: web.Request, principal: Principal) -> str:
    """The centre a page shows: ``?centre=`` when the account may see it, else the account's first."""
    asked = request.query.get("centre", "")
    if asked and principal.may_see(asked):
        return asked
    if not principal.centres:
        raise web.HTTPForbidden(text="This account belongs to no centre")
    return principal.centres[0]
