"""The kiosk's spoken guidance over real HTTP: real WAV from espeak-ng, only the kiosk's own phrases."""

from __future__ import annotations

import io
import shutil
import wave
from collections.abc import AsyncIterator

import aiohttp
import pytest

from device_client.sound import Clip
from device_client.speech import Language
from queue_server.app.commands import IssueTicket
from queue_server.pages.kiosk_voice import KioskVoice, Sentence, next_opening_said
from queue_server.store.database import Database
from tests.factories import make_hall, shanghai
from tests.pages_support import Site, running_site

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
on_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"),)) as running:
        await running.act(IssueTicket(matter="pension"), "kiosk:k-1", "issue-1")
        yield running


@pytest.fixture
async def kiosk(site: Site) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client enrolled as the test centre's kiosk k-1, as a browser is at /kiosk/enrol."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{site.url}/kiosk/enrol") as form:
            csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
        data = {"csrf": csrf, "token": site.kiosk_token}
        async with http.post(f"{site.url}/kiosk/enrol", data=data, allow_redirects=False) as answer:
            assert answer.status == 303
        yield http


def seconds_of(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as read:
        assert (read.getnchannels(), read.getsampwidth()) == (1, 2)
        return read.getnframes() / read.getframerate()


@on_sqlite
async def test_a_ticket_phrase_comes_back_as_a_real_wav_in_both_languages(
    site: Site, kiosk: aiohttp.ClientSession
) -> None:
    for language in ("zh", "en"):
        query = {"say": "ticket", "number": "A001", "ahead": "3", "lang": language}
        async with kiosk.get(f"{site.url}/kiosk/voice", params=query) as answer:
            assert answer.status == 200, await answer.text()
            assert answer.content_type == "audio/wav"
            wav = await answer.read()
        assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
        assert len(wav) > 20_000 and seconds_of(wav) > 1.0, "a sentence takes more than a second to say"
    for phrase in ({"say": "choose"}, {"say": "matter", "matter": "pension"}, {"say": "take"}, {"say": "photo"}):
        async with kiosk.get(f"{site.url}/kiosk/voice", params=phrase) as answer:
            assert answer.status == 200, phrase
            assert seconds_of(await answer.read()) > 0.5


@on_sqlite
@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ({"say": "请 A001 号到 3 号窗口办理"}, 400, "the kiosk says only choose, matter, ticket, take, photo"),
        ({"say": "hello"}, 400, "not 'hello'"),
        ({"say": "matter", "matter": "no-such"}, 404, "centre test has no matter 'no-such'"),
        ({"say": "ticket", "number": "A999", "ahead": "1"}, 404, "centre test issued no ticket 'A999' today"),
        ({"say": "ticket", "number": "A001", "ahead": "十"}, 400, "from 0 to 9999, not '十'"),
        ({"say": "ticket", "number": "A001", "ahead": "100000"}, 400, "not '100000'"),
        ({"say": "closed"}, 409, "issues tickets now"),
    ],
)
async def test_only_the_kiosks_own_phrases_with_the_centres_values_are_spoken(
    site: Site, kiosk: aiohttp.ClientSession, query: dict[str, str], status: int, said: str
) -> None:
    async with kiosk.get(f"{site.url}/kiosk/voice", params=query) as answer:
        assert answer.status == status
        assert said in await answer.text()


@on_sqlite
async def test_the_voice_is_for_an_enrolled_kiosk_only(site: Site) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{site.url}/kiosk/voice", params={"say": "choose"}, allow_redirects=False) as answer,
    ):
        assert answer.status == 401


class CountingEngine:
    """Counts the sentences it is asked to speak; each is a tenth of a second of silence."""

    def __init__(self) -> None:
        self.spoken: list[str] = []

    async def synthesize(self, text: str, language: Language) -> Clip:
        self.spoken.append(text)
        return Clip.silence(0.1, 16_000)


async def test_each_sentence_is_made_once_and_only_the_latest_are_kept() -> None:
    engine = CountingEngine()
    voice = KioskVoice(engine, cache_size=2)
    first, second, third = (Sentence(text, Language.ZH) for text in ("一", "二", "三"))
    assert await voice.wav(first) == await voice.wav(first)
    await voice.wav(second)
    await voice.wav(first)  # the most recently used of the two now
    await voice.wav(third)  # pushes out the second
    await voice.wav(first)
    await voice.wav(second)
    assert engine.spoken == ["一", "二", "三", "二"]


def test_the_next_opening_is_said_from_the_halls_own_calendar() -> None:
    sunday, _ = make_hall(at=shanghai(2026, 12, 6, 10, 0))
    assert next_opening_said(sunday, "zh") == "12月7日（周一）08:30"
    assert next_opening_said(sunday, "en") == "on Monday 7 December at 08:30"
    early, _ = make_hall(at=shanghai(2026, 11, 30, 8, 0))
    assert next_opening_said(early, "zh") == "今天08:30"
