"""The cache of verified bearer tokens: how long it believes a token and how many it keeps."""

from __future__ import annotations

import pytest

from queue_server.auth.accounts import Principal, Role
from queue_server.auth.verified_tokens import TOKEN_TTL_SECONDS, VerifiedTokens


def principal(subject: str) -> Principal:
    return Principal(role=Role.KIOSK, subject=subject, centres=("test",), staff_code=None, via="token", user_id=None)


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_believed_until_its_bound_and_then_read_again() -> None:
    clock = Clock()
    verified = VerifiedTokens(clock=clock)
    verified.put("ow_a", principal("a"))
    clock.now += TOKEN_TTL_SECONDS * 0.99
    assert verified.get("ow_a") == principal("a")
    clock.now += TOKEN_TTL_SECONDS * 0.01
    assert verified.get("ow_a") is None
    assert len(verified) == 0


def test_the_bound_is_within_what_revocation_promises() -> None:
    assert 0 < TOKEN_TTL_SECONDS <= 5.0


def test_at_most_size_tokens_are_kept_the_least_recently_verified_going_first() -> None:
    verified = VerifiedTokens(size=2, clock=Clock())
    verified.put("ow_a", principal("a"))
    verified.put("ow_b", principal("b"))
    verified.put("ow_a", principal("a"))  # verified again: now the newest
    verified.put("ow_c", principal("c"))
    assert verified.get("ow_b") is None
    assert verified.get("ow_a") == principal("a")
    assert verified.get("ow_c") == principal("c")


def test_clear_forgets_every_token() -> None:
    verified = VerifiedTokens(clock=Clock())
    verified.put("ow_a", principal("a"))
    verified.clear()
    assert verified.get("ow_a") is None


def test_a_bad_bound_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^Cannot keep verified tokens for -1 s"):
        VerifiedTokens(ttl=-1)
