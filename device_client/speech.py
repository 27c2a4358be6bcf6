"""Speech by espeak-ng, offline: the voice of the hall board's announcements and of the kiosk's guidance.

Debian's espeak-ng with its ``cmn-latn-pinyin`` voice reads hanzi as correct Mandarin (robotic but
clear, ~15 ms a sentence); ``en`` speaks English. Both the display client (``display_client.voice``)
and the server's kiosk guidance speak through :class:`EspeakEngine`, so a citizen hears one voice in
the hall. A better engine replaces it behind :class:`SpeechEngine` without touching either.

The program runs as an asyncio subprocess: no event loop ever blocks on speech.

Exceptions::

    VoiceError      speech cannot be made (espeak-ng missing, failing, silent), or a voice is misused
"""

from __future__ import annotations

import asyncio
import re
from enum import StrEnum
from typing import Protocol
from xml.sax.saxutils import escape

from device_client.sound import Clip

__all__ = ["ENGINE_TIMEOUT", "EspeakEngine", "Language", "SpeechEngine", "VoiceError", "last_line", "run_program"]

ENGINE_TIMEOUT = 10.0  # s: espeak-ng takes milliseconds; more means it hangs


class VoiceError(Exception):
    """Speech cannot be made, or a voice (an announcer, the kiosk's guidance) cannot do what was asked."""


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


class SpeechEngine(Protocol):
    async def synthesize(self, text: str, language: Language) -> Clip:
        """Speak ``text`` in ``language``; raises VoiceError when it cannot."""
        ...


_VOICES = {Language.ZH: "cmn-latn-pinyin", Language.EN: "en"}
_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,3}[0-9]{1,6}(?![A-Za-z0-9])")


def _ssml(text: str) -> str:
    """``text`` as SSML, each code such as A012 spelled out: espeak-ng would say A 零十二 and "A zero twelve"."""
    parts: list[str] = []
    end = 0
    for match in _CODE.finditer(text):
        parts.append(escape(text[end : match.start()]))
        parts.append(f'<say-as interpret-as="characters">{match.group()}</say-as>')
        end = match.end()
    parts.append(escape(text[end:]))
    return f"<speak>{''.join(parts)}</speak>"


async def run_program(args: list[str], stdin: bytes, timeout: float) -> tuple[int, bytes, bytes]:
    """Run a program to its end, feeding ``stdin``; killed (and awaited) on timeout or cancellation."""
    process = await asyncio.create_subprocess_exec(
        *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr = await process.communicate(stdin)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, stdout, stderr


def last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


class EspeakEngine:
    """Speech by espeak-ng (Debian ``espeak-ng``): ``cmn-latn-pinyin`` for Chinese, ``en`` for English.

    ``speed`` is in words per minute (espeak-ng's ``-s``, its default 175); slower is clearer in a
    noisy hall.
    """

    def __init__(self, command: str = "espeak-ng", speed: int | None = None) -> None:
        if speed is not None and not 80 <= speed <= 450:
            raise ValueError(f"Cannot speak at {speed} words per minute: espeak-ng takes 80 to 450")
        self.command = command
        self.speed = speed

    async def synthesize(self, text: str, language: Language) -> Clip:
        voice = _VOICES[language]
        args = [self.command, "-v", voice, "-b", "1", "-m", "--stdout"]
        if self.speed is not None:
            args += ["-s", str(self.speed)]
        args.append(_ssml(text))  # starts with "<": never taken for an option
        try:
            code, wav, stderr = await run_program(args, b"", ENGINE_TIMEOUT)
        except FileNotFoundError:
            raise VoiceError(
                f"Cannot speak {text!r}: the command {self.command!r} was not found;"
                " install espeak-ng (Debian package espeak-ng) or give the path of the command"
            ) from None
        except OSError as error:
            raise VoiceError(f"Cannot speak {text!r}: {self.command!r} cannot be run: {error}") from error
        except TimeoutError:
            raise VoiceError(f"Cannot speak {text!r}: {self.command} gave no answer in {ENGINE_TIMEOUT:g} s") from None
        if code != 0:
            raise VoiceError(
                f"Cannot speak {text!r} with {self.command} (voice {voice}): {last_line(stderr)} (exit status {code})"
            )
        try:
            clip = Clip.from_wav(wav)
        except ValueError as error:
            raise VoiceError(f"Cannot speak {text!r}: {self.command} gave no usable WAV: {error}") from error
        if not clip.samples:
            raise VoiceError(f"Cannot speak {text!r}: {self.command} gave no sound")
        return clip
