"""Voice announcements with the real espeak-ng; WAV files checked with the ``wave`` module.

Only the test of a failing engine uses a fake (around the real one): espeak-ng does not fail on
demand for one call out of three.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import itertools
import json
import logging
import shutil
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from display_client.voice import (
    BACKLOG_SAY_ONCE,
    Announcer,
    AudioDirOutput,
    Clip,
    EspeakEngine,
    Language,
    SoundCardOutput,
    VoiceError,
    announcement_text,
    chime,
)
from queue_server.protocol.payloads import CallView

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

CHIME = 0.8


def make_call(call_id: str, number: str = "A012", window: int = 3, *, recall: bool = False) -> CallView:
    return CallView(
        call_id=call_id,
        serial=int(call_id.strip("c") or 1),
        number=number,
        matter="m1",
        matter_name="居住证申领",
        window=window,
        window_name=f"{window}号窗口",
        recall=recall,
        at="2026-11-30T01:00:00Z",
    )


@contextlib.asynccontextmanager
async def running(announcer: Announcer) -> AsyncIterator[Announcer]:
    """The announcer's worker, running for the block and cancelled (and awaited) after it."""
    worker = asyncio.create_task(announcer.run())
    try:
        yield announcer
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return wav.getnframes() / wav.getframerate()


async def announce_all(announcer: Announcer, *calls: CallView) -> None:
    async with running(announcer):
        for call in calls:
            announcer.announce(call)
        await announcer.drain()


# --- What is said -------------------------------------------------------------------------------


def test_announcement_text_in_chinese_and_english() -> None:
    call = make_call("c1")
    assert announcement_text(call, Language.ZH) == "请 A012 号到 3 号窗口办理"
    assert announcement_text(call, Language.EN) == "Number A012, please go to window 3"
    recall = make_call("c2", recall=True)
    assert announcement_text(recall, Language.ZH) == "再次呼叫，请 A012 号到 3 号窗口办理"
    assert announcement_text(recall, Language.EN) == "Calling again: number A012, please go to window 3"


# --- The announcer ------------------------------------------------------------------------------


async def test_three_calls_give_three_wav_files_in_call_order(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    log = tmp_path / "announcements.jsonl"
    announcer = Announcer(EspeakEngine(), AudioDirOutput(audio), log_path=log)
    calls = [make_call("c1", "A012", 3), make_call("c2", "B105", 12), make_call("c3", "A013", 1)]

    await announce_all(announcer, *calls)

    files = sorted(audio.glob("*.wav"))
    assert [f.name for f in files] == ["0001-A012-w3.wav", "0002-B105-w12.wav", "0003-A013-w1.wav"]
    announced = announcer.announced
    assert [a.call_id for a in announced] == ["c1", "c2", "c3"]
    for file, announcement in zip(files, announced, strict=True):
        duration = wav_duration(file)
        assert duration > CHIME + 2 * 1.0  # the chime and two sayings of a sentence of over a second
        assert (announcement.end - announcement.start).total_seconds() == pytest.approx(duration, abs=0.01)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(line["label"], line["number"], line["window"], line["recall"]) for line in lines] == [
        ("0001-A012-w3", "A012", 3, False),
        ("0002-B105-w12", "B105", 12, False),
        ("0003-A013-w1", "A013", 1, False),
    ]
    assert lines[1]["text"] == "请 B105 号到 12 号窗口办理"
    times = [(line["start"], line["end"]) for line in lines]
    for (start, end), (next_start, _) in itertools.pairwise(times):
        assert start < end <= next_start  # ISO 8601 in UTC with a fixed format sorts as time does
    assert all(start.endswith("+00:00") for start, _ in times)


async def test_a_duplicate_call_is_not_announced_and_a_recall_is(tmp_path: Path) -> None:
    announcer = Announcer(EspeakEngine(), AudioDirOutput(tmp_path))
    first = make_call("c1")
    async with running(announcer):
        announcer.announce(first)
        announcer.announce(first)
        await announcer.drain()
        announcer.announce(first)  # redelivered later (QoS 1): still a duplicate
        announcer.announce(make_call("c2", recall=True))
        await announcer.drain()

    assert sorted(f.name for f in tmp_path.glob("*.wav")) == ["0001-A012-w3.wav", "0002-A012-w3-recall.wav"]
    assert [(a.call_id, a.recall, a.text) for a in announcer.announced] == [
        ("c1", False, "请 A012 号到 3 号窗口办理"),
        ("c2", True, "再次呼叫，请 A012 号到 3 号窗口办理"),
    ]


async def test_english_announcement(tmp_path: Path) -> None:
    announcer = Announcer(EspeakEngine(), AudioDirOutput(tmp_path), language=Language.EN)
    await announce_all(announcer, make_call("c1"))

    (announcement,) = announcer.announced
    assert announcement.text == "Number A012, please go to window 3"
    assert announcement.language is Language.EN
    assert wav_duration(tmp_path / "0001-A012-w3.wav") > CHIME + 2 * 1.0


async def test_the_repeat_count_sets_how_often_the_sentence_is_said(tmp_path: Path) -> None:
    engine = EspeakEngine()
    speech = await engine.synthesize("请 A012 号到 3 号窗口办理", Language.ZH)
    durations = {}
    for repeat in (1, 3):
        announcer = Announcer(engine, AudioDirOutput(tmp_path / str(repeat)), repeat=repeat, gap=0.5)
        await announce_all(announcer, make_call("c1"))
        durations[repeat] = wav_duration(tmp_path / str(repeat) / "0001-A012-w3.wav")

    assert durations[3] - durations[1] == pytest.approx(2 * (speech.duration + 0.5), abs=0.01)
    assert durations[1] == pytest.approx(CHIME + 0.3 + speech.duration, abs=0.01)


async def test_in_a_rush_each_call_is_said_once_until_the_backlog_is_gone(tmp_path: Path) -> None:
    """Calls queued behind BACKLOG_SAY_ONCE others are said once; the last, with none behind, as set."""
    engine = EspeakEngine()
    announcer = Announcer(engine, AudioDirOutput(tmp_path), repeat=2, gap=0.5)
    calls = [make_call(f"c{n}", f"A01{n}") for n in range(BACKLOG_SAY_ONCE + 2)]
    for call in calls:  # queued before the worker starts: a rush
        announcer.announce(call)
    async with running(announcer):
        await announcer.drain()
    durations = [wav_duration(path) for path in sorted(tmp_path.glob("*.wav"))]
    assert len(durations) == len(calls)
    first = await engine.synthesize(announcement_text(calls[0], Language.ZH), Language.ZH)
    last = await engine.synthesize(announcement_text(calls[-1], Language.ZH), Language.ZH)
    assert durations[0] == pytest.approx(CHIME + 0.3 + first.duration, abs=0.01), "said once"
    assert durations[-1] == pytest.approx(CHIME + 0.3 + 2 * last.duration + 0.5, abs=0.01), "said twice"


async def test_without_the_chime(tmp_path: Path) -> None:
    engine = EspeakEngine()
    speech = await engine.synthesize("请 A012 号到 3 号窗口办理", Language.ZH)
    announcer = Announcer(engine, AudioDirOutput(tmp_path), repeat=1, chime=False)
    await announce_all(announcer, make_call("c1"))
    assert wav_duration(tmp_path / "0001-A012-w3.wav") == pytest.approx(speech.duration, abs=0.01)


class FailingFor:
    """espeak-ng, except for texts that mention ``number``."""

    def __init__(self, number: str) -> None:
        self.number = number
        self.engine = EspeakEngine()

    async def synthesize(self, text: str, language: Language) -> Clip:
        if self.number in text:
            raise VoiceError(f"Cannot speak {text!r}: failing on purpose")
        return await self.engine.synthesize(text, language)


async def test_the_worker_survives_an_announcement_that_fails(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    announcer = Announcer(FailingFor("B105"), AudioDirOutput(tmp_path))
    with caplog.at_level(logging.ERROR, logger="display_client.voice"):
        await announce_all(announcer, make_call("c1"), make_call("c2", "B105", 12), make_call("c3", "A013", 1))

    assert [a.number for a in announcer.announced] == ["A012", "A013"]
    assert sorted(f.name for f in tmp_path.glob("*.wav")) == ["0001-A012-w3.wav", "0003-A013-w1.wav"]
    assert "Cannot announce 0002-B105-w12" in caplog.text
    assert "failing on purpose" in caplog.text


async def test_the_worker_cannot_run_twice(tmp_path: Path) -> None:
    announcer = Announcer(EspeakEngine(), AudioDirOutput(tmp_path))
    async with running(announcer):
        await asyncio.sleep(0)
        with pytest.raises(VoiceError, match="twice"):
            await announcer.run()


def test_settings_are_checked_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least once"):
        Announcer(EspeakEngine(), AudioDirOutput(tmp_path), repeat=0)
    with pytest.raises(ValueError, match="80 to 450"):
        EspeakEngine(speed=20)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(VoiceError, match="Cannot write announcements"):
        AudioDirOutput(tmp_path / "file" / "audio")


# --- The engine ---------------------------------------------------------------------------------


async def test_espeak_speaks_both_languages() -> None:
    engine = EspeakEngine(speed=150)
    chinese = await engine.synthesize("请 A012 号到 3 号窗口办理", Language.ZH)
    english = await engine.synthesize("Number A012, please go to window 3", Language.EN)
    for clip in (chinese, english):
        assert clip.rate == 22050
        assert 1.0 < clip.duration < 10.0
        assert max(abs(v) for v in array.array("h", clip.samples)) > 1000  # sound, not silence


async def test_espeak_takes_any_text() -> None:
    clip = await EspeakEngine().synthesize('<A & B> "1" < 2', Language.EN)  # SSML must be escaped
    assert clip.duration > 0.5


async def test_a_missing_espeak_is_a_clear_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-espeak-ng")
    with pytest.raises(VoiceError, match="was not found; install espeak-ng") as caught:
        await EspeakEngine(command=missing).synthesize("请 A012 号", Language.ZH)
    assert missing in str(caught.value)


async def test_a_failing_espeak_is_a_clear_error() -> None:
    with pytest.raises(VoiceError, match=r"Cannot speak '请 A012 号' with false .*exit status 1"):
        await EspeakEngine(command="false").synthesize("请 A012 号", Language.ZH)


# --- Outputs ------------------------------------------------------------------------------------


async def test_a_missing_aplay_warns_once_and_stays_silent(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    output = SoundCardOutput(command=str(tmp_path / "no-aplay"))
    announcer = Announcer(EspeakEngine(), output, repeat=1, chime=False)
    with caplog.at_level(logging.WARNING, logger="display_client.voice"):
        await output.play(chime(22050), "chime")
        await announce_all(announcer, make_call("c1"), make_call("c2", "B105", 12))

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "no-aplay" in warnings[0].getMessage()
    assert [a.number for a in announcer.announced] == ["A012", "B105"]
    first, second = announcer.announced
    assert first.end <= second.start


# --- Clips --------------------------------------------------------------------------------------


def test_chime_is_a_two_tone_ding_dong_within_full_scale() -> None:
    clip = chime(16000)
    assert clip.duration == pytest.approx(CHIME)
    values = array.array("h", clip.samples)
    assert 8000 < max(abs(v) for v in values) < 32767
    assert abs(values[-1]) < 100  # fades out: no click before the speech


def test_clip_wav_round_trip_join_and_resample() -> None:
    ding = chime(16000)
    assert Clip.from_wav(ding.to_wav()) == ding
    joined = Clip.join([ding, Clip.silence(0.5, 8000), chime(22050)])
    assert joined.rate == 16000
    assert joined.duration == pytest.approx(2 * CHIME + 0.5, abs=0.001)
    assert ding.resampled(8000).duration == pytest.approx(CHIME, abs=0.001)


def test_a_streamed_wav_with_placeholder_sizes_is_read() -> None:
    wav = bytearray(chime(22050).to_wav())
    wav[4:8] = wav[40:44] = b"\x00\xf0\xff\x7f"  # as espeak-ng --stdout writes: it cannot seek back
    assert Clip.from_wav(bytes(wav)) == chime(22050)
    with pytest.raises(ValueError, match="no RIFF/WAVE header"):
        Clip.from_wav(b"not a wav")
