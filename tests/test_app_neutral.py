"""The application speaks no transport: no problem URN and no HTTP status code in ``queue_server/app``.

import-linter keeps aiohttp and aiomqtt out of the package (``app-transport-neutral``); this keeps
out what an import rule cannot see: the web's vocabulary copied in as literals.
"""

from __future__ import annotations

import ast
from pathlib import Path

import queue_server.app

APP = Path(queue_server.app.__file__).parent

HTTP_STATUSES = {200, 201, 202, 204, 303, *range(400, 452), *range(500, 512)}

COUNTS = {"BATCH_LIMIT", "PHOTO_SIZE", "REASON_LONGEST"}
"""Names whose value happens to look like a status (200 actions share a transaction; a staff photo
is 300 by 400 pixels; a reason for seeing personal data is at most 200 characters)."""


def _counts(tree: ast.Module) -> set[ast.AST]:
    """Numbers that are counts, not statuses: a named count's value, a keyword argument's (a field's
    ``max_length=200``) unless the keyword is ``status``."""
    counts: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg != "status":
            counts.add(node.value)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id in COUNTS for target in targets):
                counts.update(ast.walk(node.value))  # a tuple's numbers too
    return counts


def test_the_application_holds_no_http_status_and_no_problem_urn() -> None:
    found = []
    for source in sorted(APP.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        tree = ast.parse(text)
        counts = _counts(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "urn:" in node.value:
                found.append(f"{source.name}:{node.lineno}: {node.value!r}")
            is_number = isinstance(node, ast.Constant) and type(node.value) is int
            if is_number and node.value in HTTP_STATUSES and node not in counts:
                found.append(f"{source.name}:{node.lineno}: {node.value}")
    assert found == [], "the web maps refusals to statuses and problem types (queue_server.web.problems)"
