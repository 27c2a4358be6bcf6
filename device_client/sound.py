"""Sound as a plain value: a mono 16-bit PCM clip, read from and written as WAV.

Pure Python (``array``, ``wave``): a display runs on a small box where numpy is one dependency too
many, and a spoken sentence is a few seconds of audio. The display client's announcements and the
server's kiosk guidance both speak through :mod:`device_client.speech`, which gives clips.
"""

from __future__ import annotations

import array
import io
import struct
import sys
import wave
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FULL_SCALE", "SAMPLE_WIDTH", "Clip"]

SAMPLE_WIDTH = 2  # bytes: 16-bit signed, little-endian, as WAV stores it
FULL_SCALE = 32767


def _to_array(samples: bytes) -> array.array[int]:
    values = array.array("h", samples)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _to_bytes(values: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        values = array.array("h", values)
        values.byteswap()
    return values.tobytes()


@dataclass(frozen=True, slots=True)
class Clip:
    """Mono 16-bit little-endian PCM at ``rate`` samples per second."""

    samples: bytes
    rate: int

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"Cannot make a clip at {self.rate} Hz: the rate must be positive")
        if len(self.samples) % SAMPLE_WIDTH:
            raise ValueError(f"Cannot make a 16-bit clip of {len(self.samples)} bytes: the length must be even")

    @property
    def frames(self) -> int:
        return len(self.samples) // SAMPLE_WIDTH

    @property
    def duration(self) -> float:
        """Seconds of sound."""
        return self.frames / self.rate

    @classmethod
    def from_values(cls, values: array.array[int], rate: int) -> Clip:
        """A clip of these 16-bit sample values (in the machine's byte order)."""
        return cls(_to_bytes(values), rate)

    @classmethod
    def silence(cls, seconds: float, rate: int) -> Clip:
        if seconds < 0:
            raise ValueError(f"Cannot make {seconds:g} s of silence: the length must not be negative")
        return cls(bytes(SAMPLE_WIDTH * round(seconds * rate)), rate)

    @classmethod
    def join(cls, clips: Iterable[Clip], rate: int | None = None) -> Clip:
        """One clip after another, at ``rate`` (default: the first clip's), resampling those that differ."""
        parts = list(clips)
        if not parts:
            if rate is None:
                raise ValueError("Cannot join no clips without a rate")
            return cls(b"", rate)
        target = parts[0].rate if rate is None else rate
        return cls(b"".join(part.resampled(target).samples for part in parts), target)

    def __add__(self, other: Clip) -> Clip:
        return Clip.join([self, other])

    def resampled(self, rate: int) -> Clip:
        """The clip at another rate, by linear interpolation: plenty for speech and a chime."""
        if rate == self.rate or not self.samples:
            return self if rate == self.rate else Clip(b"", rate)
        source = _to_array(self.samples)
        last = len(source) - 1
        count = max(1, round(len(source) * rate / self.rate))
        step = self.rate / rate
        out = array.array("h", bytes(SAMPLE_WIDTH * count))
        for i in range(count):
            position = i * step
            j = int(position)
            if j >= last:
                out[i] = source[last]
                continue
            fraction = position - j
            out[i] = round(source[j] + (source[j + 1] - source[j]) * fraction)
        return Clip(_to_bytes(out), rate)

    def to_wav(self) -> bytes:
        """A complete WAV file (RIFF, PCM), sizes filled in."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(SAMPLE_WIDTH)
            out.setframerate(self.rate)
            out.writeframes(self.samples)
        return buffer.getvalue()

    @classmethod
    def from_wav(cls, data: bytes) -> Clip:
        """Read a mono 16-bit PCM WAV, also one written to a pipe.

        A program that streams a WAV (``espeak-ng --stdout``) cannot go back to fill in the sizes,
        so it writes huge placeholders; the ``data`` chunk is taken to run to the end of the bytes.
        """
        if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
            raise ValueError(f"Cannot read a WAV from {len(data)} bytes: no RIFF/WAVE header")
        offset = 12
        channels = width = rate = 0
        while offset + 8 <= len(data):
            chunk, size = struct.unpack_from("<4sI", data, offset)
            body = offset + 8
            if chunk == b"fmt ":
                encoding, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body)
                width = bits // 8
                if encoding != 1 or channels != 1 or width != SAMPLE_WIDTH:
                    raise ValueError(
                        f"Cannot read a WAV of format {encoding}, {channels} channels, {bits} bits:"
                        " only mono 16-bit PCM is supported"
                    )
            elif chunk == b"data":
                if not rate:
                    raise ValueError("Cannot read a WAV whose data comes before its format")
                samples = data[body : min(len(data), body + size)]
                return cls(samples[: len(samples) - len(samples) % SAMPLE_WIDTH], rate)
            offset = body + size + (size & 1)
        raise ValueError("Cannot read the WAV: it has no data chunk")
