"""Smaller simulated days for the simulator's tests.

A town day with its wait ranges costs 40 plays of the hall per ticket, about 30 s of a loaded CI
worker: a test of the command line, the charts or the repeatability needs the same code run on
fewer citizens, not the whole crowd. The packaged profiles themselves are played whole by the
tests that are about their figures (green-channel waits, a busy day's two thousand tickets).
"""

from __future__ import annotations

from pathlib import Path

from queue_server.simulate.profiles import Profile

PROFILES = Path(__file__).resolve().parents[1] / "queue_server" / "simulate" / "profiles"


def scaled(profile: Profile, scale: float) -> Profile:
    """``profile`` with every arrival rate multiplied by ``scale`` (its ``[arrivals] scale``)."""
    return profile.model_copy(update={"arrivals": profile.arrivals.model_copy(update={"scale": scale})})


def scaled_town_file(folder: Path, scale: float, extra: str = "") -> Path:
    """A copy of the packaged town-centre profile (same name, staffing and handling) whose arrival
    rates are multiplied by ``scale``, with ``extra`` TOML appended: a file for ``--profile``."""
    text = (PROFILES / "town-centre.toml").read_text(encoding="utf-8")
    assert text.count("\n[arrivals]\n") == 1
    path = folder / f"town-{scale}.toml"
    path.write_text(text.replace("\n[arrivals]\n", f"\n[arrivals]\nscale = {scale}\n") + extra, encoding="utf-8")
    return path
