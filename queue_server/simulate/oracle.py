"""The oracle: the narrowest wait range any estimator could print at an issue.

It knows everything the hall knows at that instant (who waits, who is serving and since when,
which windows are staffed, paused and until when) and, unlike the hall, the true handling-time
distribution of every matter (the profile's, as drawn). It does not know the future: the
citizens still to come, the pauses not yet announced, the handling times not yet drawn. It plays
the same instant forward ``ORACLE_PLAYS`` times with the real router and takes the narrowest
range holding ``ORACLE_COVERAGE`` of those waits: no estimator can be surer than that and be
right as often.
"""

from __future__ import annotations

from queue_server.domain.centre import Centre
from queue_server.domain.estimates import WaitRange, narrowest_range
from queue_server.domain.hall import Hall
from queue_server.simulate.model import handling_of
from queue_server.simulate.profiles import Profile

ORACLE_PLAYS = 200
ORACLE_COVERAGE = 0.8


class TrueHandling:
    """The handling times the simulator draws, per matter (the same at every window and staff member)."""

    def __init__(self, centre: Centre, profile: Profile) -> None:
        self._of = {m.code: handling_of(centre, profile, m.code) for m in centre.matters}

    def mean_spread(self, matter: str, window: int, staff: str | None) -> tuple[float, float]:
        return self._of[matter]


def oracle_range(hall: Hall, truth: TrueHandling, serial: int, seed: str) -> WaitRange | None:
    """The oracle's range for a waiting ticket, or None when no staffed window can serve it."""
    waits = hall.sampled_waits(truth, [serial], plays=ORACLE_PLAYS, seed=seed).get(serial)
    if not waits or len(waits) < ORACLE_PLAYS:
        return None
    return narrowest_range(waits, ORACLE_COVERAGE)


def perturbed(profile: Profile, factor: float) -> Profile:
    """The profile with every handling-time spread multiplied by ``factor``: a day whose handling
    times vary more (or less) than the profile says, for measuring estimates the hall must learn."""
    if factor <= 0:
        raise ValueError(f"A spread factor must be above 0, not {factor}")
    handling = profile.handling
    matters = {
        code: time.model_copy(update={"spread": time.spread * factor}) if time.spread else time
        for code, time in handling.matters.items()
    }
    changed = handling.model_copy(update={"spread": handling.spread * factor, "matters": matters})
    return profile.model_copy(update={"handling": changed})
