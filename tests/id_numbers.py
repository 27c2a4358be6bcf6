"""Resident ID numbers for tests, made with their check digit by GB 11643's own rule (not the server's code)."""

from __future__ import annotations

WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def id_number(area: str, born: str, sequence: str) -> str:
    """An 18-character number: six digits of area, the birth date YYYYMMDD, three of sequence, the check."""
    body = area + born + sequence
    assert len(body) == 17 and body.isdigit(), body
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


ELDERLY = id_number("110105", "19491231", "002")
"""76 on 30 November 2026."""
YOUNG = id_number("320102", "19900615", "123")
"""36 on 30 November 2026."""
OTHER = id_number("440305", "19850101", "456")


def mistyped(number: str) -> str:
    """The same number with a wrong check digit."""
    return number[:17] + ("0" if number[17] != "0" else "1")
