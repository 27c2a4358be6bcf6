"""The two-tone chime before each announcement, made in pure Python (``math``, ``array``).

:class:`Clip` lives in :mod:`device_client.sound`, shared with the server's kiosk guidance; it is
imported here for the announcer and its tests.
"""

from __future__ import annotations

import array
import functools
import math

from device_client.sound import FULL_SCALE, SAMPLE_WIDTH, Clip

__all__ = ["Clip", "chime"]


DING_HZ = 659.25  # E5
DONG_HZ = 523.25  # C5: a major third below, the usual "ding-dong"
CHIME_SECONDS = 0.8
CHIME_LEVEL = 0.5  # of full scale at most: audible over a hall without startling anyone


def _bell(frequency: float, t: float) -> float:
    """One struck note: a quick attack, a fading fundamental and two faster-fading overtones."""
    attack = min(1.0, t / 0.005)
    return attack * (
        math.exp(-t * 4.0) * math.sin(2 * math.pi * frequency * t)
        + 0.3 * math.exp(-t * 7.0) * math.sin(2 * math.pi * 2 * frequency * t)
        + 0.1 * math.exp(-t * 10.0) * math.sin(2 * math.pi * 3 * frequency * t)
    )


@functools.lru_cache(maxsize=4)
def chime(rate: int) -> Clip:
    """A two-tone "ding-dong" of about 0.8 s that draws attention before each announcement.

    The second note starts while the first still rings, as on a doorbell; the tail fades to
    silence so the speech does not start over a click.
    """
    if rate <= 0:
        raise ValueError(f"Cannot make a chime at {rate} Hz: the rate must be positive")
    count = round(CHIME_SECONDS * rate)
    second = 0.3  # s: when "dong" is struck
    fade = 0.05  # s: the last stretch fades out linearly
    peak = 2.0  # more than the two notes and their overtones ever add up to: no clipping
    values = array.array("h", bytes(SAMPLE_WIDTH * count))
    for i in range(count):
        t = i / rate
        level = _bell(DING_HZ, t)
        if t >= second:
            level += _bell(DONG_HZ, t - second)
        tail = min(1.0, (CHIME_SECONDS - t) / fade)
        values[i] = round(FULL_SCALE * CHIME_LEVEL * level * tail / peak)
    return Clip.from_values(values, rate)
