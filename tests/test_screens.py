"""The screens' registry names every file of every screen, and nothing is left out of it."""

from __future__ import annotations

from importlib import resources

from queue_server.pages.screens import SCREENS, SHARED_STATIC, SHARED_TEMPLATES
from queue_server.web.route_table import all_routes

PAGES = resources.files("queue_server.pages")


def test_every_file_a_screen_names_exists_and_its_templates_load_its_script_and_style() -> None:
    for screen in SCREENS:
        assert screen.server.__name__ == f"queue_server.pages.page_{screen.name}", screen.name
        assert screen.routes, f"{screen.name} has no routes"
        assert set(screen.words) == {"zh", "en"}, screen.name
        for name in screen.templates:
            assert (PAGES / "templates" / name).is_file(), f"{screen.name}: no template {name}"
        for name in screen.static:
            assert (PAGES / "static" / name).is_file(), f"{screen.name}: no static file {name}"
        html = "".join((PAGES / "templates" / name).read_text(encoding="utf-8") for name in screen.templates)
        for name in screen.static:
            assert f"/static/{name}" in html, f"{screen.name}: no template of the screen loads {name}"


def test_every_template_and_static_file_belongs_to_one_screen_or_the_frame() -> None:
    claimed_templates = [name for screen in SCREENS for name in screen.templates] + list(SHARED_TEMPLATES)
    claimed_static = [name for screen in SCREENS for name in screen.static] + list(SHARED_STATIC)
    assert len(claimed_templates) == len(set(claimed_templates)), "a template is listed twice"
    assert len(claimed_static) == len(set(claimed_static)), "a static file is listed twice"
    templates = {f.name for f in (PAGES / "templates").iterdir() if f.name.endswith(".html")}
    static = {f.name for f in (PAGES / "static").iterdir() if f.is_file()}
    assert templates == set(claimed_templates), "list each template under its screen in pages/screens.py"
    assert static == set(claimed_static), "list each static file under its screen in pages/screens.py"


def test_screen_names_are_unique() -> None:
    names = [screen.name for screen in SCREENS]
    assert len(names) == len(set(names))


def test_the_api_modules_a_screen_names_serve_routes() -> None:
    serving = {route.handler.__module__.removeprefix("queue_server.web.") for route in all_routes()}
    for screen in SCREENS:
        assert set(screen.api) <= serving, f"{screen.name} names API modules that serve no route"
