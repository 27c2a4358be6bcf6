"""A matter's guide as a page shows it: every line worded, so the templates only lay it out."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.domain.centre import Centre, Matter
from queue_server.domain.guides import MATERIAL_FORM_NAMES_EN, MATERIAL_FORM_NAMES_ZH, Guide, GuideMaterial


@dataclass(frozen=True, slots=True)
class ShownGuide:
    matter: str
    """The matter's name in the page's language."""
    code: str
    materials: list[str]
    windows: str
    promised: str
    guide: Guide | None
    """None: the guide was never entered; the page says so."""
    material_lines: list[str]
    acceptance: str = ""
    """Whether a case may be accepted on commitment (告知承诺) and which materials may follow later
    (容缺受理); empty when neither."""


def shown_guide(centre: Centre, matter: Matter, words: dict[str, str], *, english: bool) -> ShownGuide:
    taking = [w for w in centre.windows if set(w.kinds) & set(matter.window_kinds)]
    windows = (", " if english else "，").join(
        f"{w.number} {w.name_en or w.name}" if english else f"{w.number}号窗口 {w.name}" for w in taking
    )
    promised = (
        words["guide_promised_days"].replace("{n}", str(matter.promised_days))
        if matter.promised_days
        else words["guide_on_the_spot"]
    )
    guide = matter.guide
    lines = [material_line(m, words, english=english) for m in guide.materials] if guide else list(matter.materials)
    return ShownGuide(
        matter=(matter.name_en or matter.name) if english else matter.name,
        code=matter.code,
        materials=list(matter.materials),
        windows=windows,
        promised=promised,
        guide=guide,
        material_lines=lines,
        acceptance=acceptance_line(matter, words, english=english),
    )


def acceptance_line(matter: Matter, words: dict[str, str], *, english: bool) -> str:
    """「可告知承诺办理；可容缺后补：费用明细清单」: what the citizen may bring later or promise instead."""
    parts = [words["guide_commitment"]] if matter.commitment else []
    if matter.deferrable:
        parts.append(
            words["guide_deferrable"].replace("{materials}", (", " if english else "、").join(matter.deferrable))
        )
    return ("; " if english else "；").join(parts)


def material_line(material: GuideMaterial, words: dict[str, str], *, english: bool) -> str:
    """「居民户口簿（原件，1份）」, with the material's note after it."""
    form = (MATERIAL_FORM_NAMES_EN if english else MATERIAL_FORM_NAMES_ZH)[material.form]
    template = words["guide_material_line"] if material.copies else words["guide_material_line_shown"]
    line = template.replace("{name}", material.name).replace("{form}", form).replace("{copies}", str(material.copies))
    return f"{line}{'; ' if english else '；'}{material.note}" if material.note else line
