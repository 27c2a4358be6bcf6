"""The kiosk's spoken guidance: its own phrases, said offline by the hall board's voice, served as WAV.

A citizen who cannot read the screen well hears "请选择要办理的事项", the matter chosen, and "您的号码是
A012，前面还有 3 人" in the same espeak-ng voice as the board's calls (:mod:`device_client.speech`);
while the hall issues no ticket, when it opens again.
Only the kiosk's phrases are said (the ``say_*`` words of :mod:`queue_server.pages.kiosk_words`),
filled with what the centre knows: a matter of its own, a ticket issued there today. The request
never supplies text, so a kiosk address cannot make the hall's voice say anything else, and each
sentence is made once (a few milliseconds) and kept, the latest :data:`CACHE_SIZE`.
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass

from aiohttp import web

from device_client.speech import EspeakEngine, Language, SpeechEngine, VoiceError
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import Hall
from queue_server.domain.issuing import hall_closed, next_opening
from queue_server.domain.wording import day_en, day_zh
from queue_server.http_common.keys import SERVICE
from queue_server.http_common.session_cookie import session_of
from queue_server.pages.kiosk_words import WORDS
from queue_server.pages.render import language_of

logger = logging.getLogger("queue_server.pages.kiosk_voice")

CACHE_SIZE = 512
"""Sentences kept: the fixed phrases, each matter's, and the tickets of a busy morning."""
MAX_AHEAD = 9999
PHRASES = ("choose", "matter", "ticket", "take", "photo", "closed")
"""What the kiosk may ask to hear, each the word ``say_<phrase>``."""


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    language: Language


class KioskVoice:
    """Speaks sentences as WAV files through ``engine``, each sentence made once and kept."""

    def __init__(self, engine: SpeechEngine | None = None, cache_size: int = CACHE_SIZE) -> None:
        self.engine: SpeechEngine = engine or EspeakEngine()
        self.cache_size = cache_size
        self._made: collections.OrderedDict[Sentence, bytes] = collections.OrderedDict()

    async def wav(self, sentence: Sentence) -> bytes:
        """The sentence as a complete WAV file; raises VoiceError when it cannot be spoken."""
        made = self._made.get(sentence)
        if made is None:
            made = (await self.engine.synthesize(sentence.text, sentence.language)).to_wav()
            self._made[sentence] = made
            if len(self._made) > self.cache_size:
                self._made.popitem(last=False)
        else:
            self._made.move_to_end(sentence)
        return made


KIOSK_VOICE = web.AppKey("kiosk_voice", KioskVoice)


def _refuse(status: type[web.HTTPError], reason: str) -> web.HTTPError:
    return status(text=f"Cannot speak on the kiosk: {reason}")


async def sentence_for(request: web.Request, centre: str) -> Sentence:
    """The sentence a kiosk of ``centre`` asks for (``?say=`` and its values), checked against the hall."""
    language = language_of(request)
    said = WORDS[language]
    phrase = request.query.get("say", "")
    if phrase not in PHRASES:
        raise _refuse(web.HTTPBadRequest, f"the kiosk says only {', '.join(PHRASES)}, not {phrase!r}")
    hall = await request.app[SERVICE].hall(centre)
    values: dict[str, str] = {}
    if phrase == "matter":
        matter = hall.centre.matters_by_code.get(request.query.get("matter", ""))
        if matter is None:
            raise _refuse(web.HTTPNotFound, f"centre {centre} has no matter {request.query.get('matter', '')!r}")
        values["matter"] = matter.name_en if language == "en" and matter.name_en else matter.name
    elif phrase == "ticket":
        number = request.query.get("number", "")
        try:
            hall.ticket_by_number(number)
        except NotFound:
            raise _refuse(web.HTTPNotFound, f"centre {centre} issued no ticket {number!r} today") from None
        ahead = request.query.get("ahead", "")
        if not ahead.isascii() or not ahead.isdigit() or int(ahead) > MAX_AHEAD:
            raise _refuse(web.HTTPBadRequest, f"the people ahead must be a number from 0 to {MAX_AHEAD}, not {ahead!r}")
        values = {"number": number, "ahead": str(int(ahead))}
    elif phrase == "closed":
        values["when"] = next_opening_said(hall, language)
    return Sentence(said[f"say_{phrase}"].format(**values), Language(language))


def next_opening_said(hall: Hall, language: str) -> str:
    """When the hall issues tickets again, as the voice says it; refused while it issues them."""
    now = hall.clock.now()
    closed = hall_closed(hall.calendar, hall.centre.policy, now)
    if closed is None:
        raise _refuse(web.HTTPConflict, f"centre {hall.centre.code} issues tickets now")
    opening = hall.calendar.local(next_opening(hall.calendar, closed))
    if opening.date() == hall.calendar.local_date(now):
        return f"at {opening:%H:%M}" if language == "en" else f"今天{opening:%H:%M}"
    if language == "en":
        return f"on {day_en(opening.date())} at {opening:%H:%M}"
    return f"{day_zh(opening.date())}{opening:%H:%M}"


async def kiosk_voice(request: web.Request) -> web.StreamResponse:
    """``GET /kiosk/voice?say=ticket&number=A012&ahead=3``: the phrase as ``audio/wav``."""
    session = await session_of(request)
    assert session is not None, "the page middleware lets only a kiosk session through"
    if not session.principal.centres:
        raise web.HTTPForbidden(text="This kiosk's token names no centre; enrol it again with a centre's kiosk token")
    sentence = await sentence_for(request, session.principal.centres[0])
    try:
        wav = await request.app[KIOSK_VOICE].wav(sentence)
    except VoiceError as error:
        logger.error("Cannot speak %r for kiosk %s: %s", sentence.text, session.principal.subject, error)
        raise _refuse(web.HTTPServiceUnavailable, str(error)) from None
    return web.Response(body=wav, content_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"})
