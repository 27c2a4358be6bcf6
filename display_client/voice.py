"""Voice announcements: a chime, then 「请 A012 号到 3 号窗口办理」, said ``repeat`` times, one call at a time.

Policy lives in :class:`Announcer` (what to say, how often, in which order, never twice for one
call, never two at once); speech and sound are ports behind it:

- a :class:`SpeechEngine` turns text into a :class:`Clip`; :class:`EspeakEngine` runs espeak-ng
  (both from :mod:`device_client.speech`, which the server's kiosk guidance speaks through too, so
  the hall hears one voice). A better engine replaces it without touching the rest;
- an :class:`AudioOutput` plays a clip and returns when it has finished: :class:`SoundCardOutput`
  pipes it to ``aplay``; :class:`AudioDirOutput` writes numbered WAV files instead (``--audio-dir``),
  for servers without a sound card, demonstrations and tests.

Every external program runs as an asyncio subprocess: the display's event loop never blocks on
audio. An announcement that fails is logged and skipped; a display never fails because of its voice.

Exceptions::

    VoiceError      speech cannot be made (espeak-ng missing, failing, silent) or the announcer is misused
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict

from device_client.speech import EspeakEngine, Language, SpeechEngine, VoiceError, last_line, run_program
from display_client.chime import Clip, chime
from queue_server.protocol.payloads import CallView

__all__ = [
    "Announcement",
    "AnnouncementRecord",
    "Announcer",
    "AudioDirOutput",
    "AudioOutput",
    "Clip",
    "EspeakEngine",
    "Language",
    "SoundCardOutput",
    "SpeechEngine",
    "VoiceError",
    "announcement_text",
    "chime",
]

logger = logging.getLogger("display_client.voice")

DEFAULT_REPEAT = 2
DEFAULT_GAP = 0.6  # s of silence between two sayings of the same announcement
AFTER_CHIME = 0.3  # s between the chime and the speech
PLAY_MARGIN = 10.0  # s allowed to aplay beyond the clip's own length
SEEN_LIMIT = 10_000  # call ids remembered against duplicates: several days of a busy hall
HISTORY_LIMIT = 1_000  # announcements kept in :attr:`Announcer.announced`
BACKLOG_SAY_ONCE = 2
"""With this many calls still waiting behind one, it is said once: in a rush the last citizen
called should not wait minutes for the hall to hear their number."""


# --- Ports --------------------------------------------------------------------------------------


class AudioOutput(Protocol):
    async def play(self, clip: Clip, label: str) -> None:
        """Play ``clip`` and return once it has finished; ``label`` names it (file name, log)."""
        ...


# --- What is said -------------------------------------------------------------------------------


def announcement_text(call: CallView, language: Language) -> str:
    """The sentence for a call, by the window's number as on the sign (names vary, numbers do not).

    A recall says so first, so whoever missed the first call knows they are called again.
    """
    if language is Language.EN:
        text = f"Number {call.number}, please go to window {call.window}"
        return f"Calling again: {text[0].lower()}{text[1:]}" if call.recall else text
    text = f"请 {call.number} 号到 {call.window} 号窗口办理"
    return f"再次呼叫，{text}" if call.recall else text


# --- espeak-ng ----------------------------------------------------------------------------------

# --- Outputs ------------------------------------------------------------------------------------


class SoundCardOutput:
    """The sound card, through ``aplay -q -`` (Debian ``alsa-utils``).

    Without a sound card (a server, a board whose speaker is unplugged) it warns once and carries
    on silently: the display matters more than its voice. It tries again at each announcement,
    so sound comes back when the card does.
    """

    def __init__(self, command: str = "aplay", device: str | None = None) -> None:
        self.command = command
        self.device = device
        self._warned = False

    async def play(self, clip: Clip, label: str) -> None:
        args = [self.command, "-q", *(["-D", self.device] if self.device else []), "-"]
        try:
            code, _, stderr = await run_program(args, clip.to_wav(), clip.duration + PLAY_MARGIN)
        except FileNotFoundError:
            self._fail(label, f"the command {self.command!r} was not found (install alsa-utils)")
        except OSError as error:
            self._fail(label, f"{self.command!r} cannot be run: {error}")
        except TimeoutError:
            self._fail(label, f"{self.command} did not finish within {clip.duration + PLAY_MARGIN:g} s")
        else:
            if code != 0:
                self._fail(label, f"{last_line(stderr)} (exit status {code})")

    def _fail(self, label: str, reason: str) -> None:
        if self._warned:
            logger.debug("Cannot play %s: %s", label, reason)
            return
        self._warned = True
        logger.warning("Cannot play announcements on the sound card: %s; carrying on without sound", reason)


class AudioDirOutput:
    """Each announcement as a WAV file ``<label>.wav`` in ``directory``, at once (no waiting for real time).

    A file appears whole (written aside, then renamed), so whoever watches the directory never
    reads half of one.
    """

    def __init__(self, directory: Path) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise VoiceError(f"Cannot write announcements to {directory}: {error}") from error
        self.directory = directory

    def path_for(self, label: str) -> Path:
        return self.directory / f"{label}.wav"

    async def play(self, clip: Clip, label: str) -> None:
        await asyncio.to_thread(self._write, self.path_for(label), clip.to_wav())

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        partial.replace(path)


# --- The announcer ------------------------------------------------------------------------------


class AnnouncementRecord(TypedDict):
    """One line of the announcement log (JSON Lines)."""

    call_id: str
    label: str
    number: str
    window: int
    recall: bool
    language: str
    text: str
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class Announcement:
    """One call as announced; ``start`` and ``end`` (UTC) are when it played, or would have."""

    call_id: str
    number: str
    window: int
    recall: bool
    language: Language
    text: str
    label: str
    start: dt.datetime
    end: dt.datetime

    def record(self) -> AnnouncementRecord:
        return {
            "call_id": self.call_id,
            "label": self.label,
            "number": self.number,
            "window": self.window,
            "recall": self.recall,
            "language": self.language.value,
            "text": self.text,
            "start": self.start.isoformat(timespec="milliseconds"),
            "end": self.end.isoformat(timespec="milliseconds"),
        }


@dataclass(frozen=True, slots=True)
class _Pending:
    call: CallView
    label: str


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _label(place: int, call: CallView) -> str:
    """``0001-A012-w3`` (``-recall`` added for a recall): sorts in call order, safe as a file name."""
    number = _UNSAFE.sub("_", call.number) or "_"
    return f"{place:04d}-{number}-w{call.window}{'-recall' if call.recall else ''}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Announcer:
    """Announces calls one at a time, in the order they came, each call id once.

    :meth:`announce` only enqueues; :meth:`run` is the single worker that speaks and plays. The
    timeline never overlaps: an announcement starts at the later of now and the previous one's
    end, and lasts as long as its clip. With an output that returns at once (:class:`AudioDirOutput`)
    these are the times it would have played.
    """

    def __init__(
        self,
        engine: SpeechEngine,
        output: AudioOutput,
        *,
        language: Language = Language.ZH,
        repeat: int = DEFAULT_REPEAT,
        chime: bool = True,
        log_path: Path | None = None,
        gap: float = DEFAULT_GAP,
    ) -> None:
        if repeat < 1:
            raise ValueError(f"Cannot announce each call {repeat} times: say it at least once")
        if gap < 0:
            raise ValueError(f"Cannot leave {gap:g} s between sayings: the gap must not be negative")
        self.engine = engine
        self.output = output
        self.language = language
        self.repeat = repeat
        self.chime = chime
        self.log_path = log_path
        self.gap = gap
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._seen: dict[str, None] = {}  # ordered: the oldest is forgotten first
        self._places = 0
        self._announced: collections.deque[Announcement] = collections.deque(maxlen=HISTORY_LIMIT)
        self._last_end: dt.datetime | None = None
        self._running = False

    @property
    def announced(self) -> list[Announcement]:
        """What was played, oldest first (the latest :data:`HISTORY_LIMIT`)."""
        return list(self._announced)

    def announce(self, call: CallView) -> None:
        """Queue ``call`` for announcing; a call id already queued or announced is ignored."""
        if call.call_id in self._seen:
            logger.debug("Call %s (%s to window %d) was announced already", call.call_id, call.number, call.window)
            return
        self._seen[call.call_id] = None
        if len(self._seen) > SEEN_LIMIT:
            del self._seen[next(iter(self._seen))]
        self._places += 1
        self._queue.put_nowait(_Pending(call, _label(self._places, call)))

    async def drain(self) -> None:
        """Wait until every queued call has been announced (or skipped); needs :meth:`run` running."""
        await self._queue.join()

    async def run(self) -> None:
        """Announce queued calls until cancelled; one failing announcement is logged and skipped."""
        if self._running:
            raise VoiceError("Cannot run the announcer twice at once: two workers would talk over each other")
        self._running = True
        try:
            while True:
                pending = await self._queue.get()
                try:
                    await self._announce(pending)
                except Exception:
                    logger.exception("Cannot announce %s: unexpected error; skipped", pending.label)
                finally:
                    self._queue.task_done()
        finally:
            self._running = False

    async def _announce(self, pending: _Pending) -> None:
        call = pending.call
        text = announcement_text(call, self.language)
        try:
            speech = await self.engine.synthesize(text, self.language)
        except VoiceError as error:
            logger.error("Cannot announce %s (call %s): %s; skipped", pending.label, call.call_id, error)
            return
        times = 1 if self._queue.qsize() >= BACKLOG_SAY_ONCE else self.repeat
        clip = self._compose(speech, times)
        now = _utcnow()
        start = now if self._last_end is None else max(now, self._last_end)
        end = start + dt.timedelta(seconds=clip.duration)
        try:
            await self.output.play(clip, pending.label)
        except OSError as error:
            logger.error("Cannot play %s: %s; skipped", pending.label, error)
            return
        self._last_end = end
        announcement = Announcement(
            call.call_id, call.number, call.window, call.recall, self.language, text, pending.label, start, end
        )
        self._announced.append(announcement)
        record = announcement.record()
        logger.info("Announced %s: %s (%s to %s)", pending.label, text, record["start"], record["end"])
        if self.log_path is not None:
            await _log(self.log_path, record)

    def _compose(self, speech: Clip, times: int) -> Clip:
        """The chime, then the speech ``times`` times with a gap between."""
        rate = speech.rate
        parts = [chime(rate), Clip.silence(AFTER_CHIME, rate)] if self.chime else []
        for i in range(times):
            if i:
                parts.append(Clip.silence(self.gap, rate))
            parts.append(speech)
        return Clip.join(parts, rate)


async def _log(path: Path, record: AnnouncementRecord) -> None:
    """Append one JSON line; a log that cannot be written is worth a warning, not a lost announcement."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        await asyncio.to_thread(_append, path, line)
    except OSError as error:
        logger.warning("Cannot log announcement %s to %s: %s", record["label"], path, error)


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(line)
