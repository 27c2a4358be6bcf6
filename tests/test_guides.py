"""A matter's service guide (办事指南) in the centre's configuration: its materials are the matter's,
it round-trips through the centre file, and the demo carries complete guides."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from queue_server.config.centre_file import centre_to_toml, parse_centre
from queue_server.domain.centre import Centre, Matter
from queue_server.domain.guides import MaterialForm
from tests.factories import centre_data

DEMO = Path(__file__).resolve().parent.parent / "queue_server" / "demo" / "demo.toml"

PENSION_GUIDE: dict[str, Any] = {
    "legal_basis": ["《中华人民共和国社会保险法》"],
    "time_limit": "材料齐全的即时办结",
    "procedure": ["取号后到窗口提交材料", "窗口核验，当场办结"],
    "materials": [
        {"name": "居民身份证"},
        {"name": "社会保障卡", "form": "original_and_copy", "copies": 2, "note": "复印件正反面"},
        {"name": "待遇申领表", "form": "form", "copies": 1, "note": "窗口提供"},
    ],
    "result": "待遇核定",
    "collection": "当场办结",
    "source": "测试用办事指南",
}


def with_pension_guide(**guide: Any) -> dict[str, Any]:
    data = centre_data()
    pension = next(m for m in data["matters"] if m["code"] == "pension")
    pension.pop("materials", None)
    pension["guide"] = {**copy.deepcopy(PENSION_GUIDE), **guide}
    return data


def test_the_matters_materials_are_the_guides_when_left_out() -> None:
    centre = Centre.model_validate(with_pension_guide())
    pension = centre.matters_by_code["pension"]
    assert pension.materials == ("居民身份证", "社会保障卡", "待遇申领表")
    assert pension.guide is not None and pension.guide.materials[1].form is MaterialForm.ORIGINAL_AND_COPY


def test_materials_that_disagree_with_the_guide_are_refused_where_they_are() -> None:
    data = with_pension_guide()
    pension = next(m for m in data["matters"] if m["code"] == "pension")
    pension["materials"] = ["居民身份证"]
    with pytest.raises(ValidationError, match="must be the guide's materials"):
        Centre.model_validate(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [("legal_basis", []), ("procedure", []), ("materials", []), ("source", ""), ("time_limit", "")],
)
def test_a_guide_missing_a_part_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        Centre.model_validate(with_pension_guide(**{field: value}))


def test_a_centre_with_guides_round_trips_through_the_centre_file() -> None:
    centre = Centre.model_validate(with_pension_guide())
    text = centre_to_toml(centre)
    assert "[matters.guide]" in text and "[[matters.guide.materials]]" in text
    assert parse_centre(text, "centre.toml") == centre


def test_the_demo_carries_complete_guides_for_ten_matters_each_naming_its_source() -> None:
    demo = parse_centre(DEMO.read_text(encoding="utf-8"), str(DEMO))
    guided: list[Matter] = [m for m in demo.matters if m.guide is not None]
    assert len(guided) >= 10, [m.code for m in guided]
    for matter in guided:
        assert matter.guide is not None
        assert matter.guide.source and matter.guide.legal_basis and matter.guide.procedure, matter.code
        assert matter.materials == tuple(m.name for m in matter.guide.materials), matter.code
    assert parse_centre(centre_to_toml(demo), "export.toml") == demo, "the export keeps the guides"
