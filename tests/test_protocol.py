"""The device contract: topics round-trip and refuse bad segments, payloads are strict inbound and
tolerant outbound, and docs/protocol.md carries the reference generated from the module."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiomqtt import Topic, Wildcard
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from queue_server.protocol import DeviceKind, docs, payloads
from queue_server.protocol.payloads import (
    REQUESTS,
    Call,
    DeviceRequest,
    DeviceResponse,
    HallCalls,
    HallFeed,
    HallSummary,
    KeypadFinish,
    KeypadNext,
    KeypadPause,
    KioskTicket,
    PadRating,
    PadState,
    PrintResult,
    WindowState,
)
from queue_server.protocol.topics import (
    DEVICE_REQUEST,
    ROOT,
    SEGMENT,
    TOPICS,
    WINDOW_STATE,
    TopicError,
    TopicPattern,
    check_segment,
    match_topic,
)

segments = st.from_regex(f"\\A{SEGMENT}\\Z")
numbers = st.integers(min_value=1, max_value=9999)
kinds = st.sampled_from([kind.value for kind in DeviceKind])
BAD_SEGMENTS = ["+", "#", "/", "", "a/b", "a+", "Keypad", "ABC", "pad 1", "-pad", "_pad", "x" * 41, "é"]


def values_for(pattern: TopicPattern) -> st.SearchStrategy[dict[str, str]]:
    """Valid values for each placeholder of ``pattern``."""
    strategies = {"number": numbers.map(str), "kind": kinds}
    return st.fixed_dictionaries({name: strategies.get(name, segments) for name in pattern.placeholders})


# --- Topics ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", TOPICS, ids=lambda p: p.name)
@given(data=st.data())
def test_build_then_parse_gives_the_parts_back(pattern: TopicPattern, data: st.DataObject) -> None:
    centre = data.draw(segments, "centre")
    values = data.draw(values_for(pattern), "values")
    topic = pattern.build(centre, **values)
    assert topic.startswith(f"{ROOT}/{centre}/")
    assert pattern.parse(topic) == {"centre": centre, **values}
    assert match_topic(topic) == (pattern, {"centre": centre, **values})
    assert topic == f"{ROOT}/{centre}/{pattern.subject(**values)}"


@pytest.mark.parametrize("pattern", TOPICS, ids=lambda p: p.name)
@given(data=st.data())
def test_a_built_topic_matches_its_filter_and_no_other_kind_parses_it(
    pattern: TopicPattern, data: st.DataObject
) -> None:
    centre = data.draw(segments, "centre")
    topic = pattern.build(centre, **data.draw(values_for(pattern), "values"))
    assert Topic(topic).matches(Wildcard(pattern.filter()))
    assert Topic(topic).matches(Wildcard(pattern.filter(centre)))
    for other in TOPICS:
        if other is not pattern:
            assert other.parse(topic) is None, f"{other.name} also parses {topic}"


@pytest.mark.parametrize("pattern", TOPICS, ids=lambda p: p.name)
@given(data=st.data())
def test_a_partial_filter_fixes_the_parts_given(pattern: TopicPattern, data: st.DataObject) -> None:
    centre = data.draw(segments, "centre")
    values = data.draw(values_for(pattern), "values")
    fixed = {name: value for name, value in values.items() if data.draw(st.booleans(), name)}
    wildcard = Wildcard(pattern.filter(centre, **fixed))
    assert Topic(pattern.build(centre, **values)).matches(wildcard)
    assert wildcard.value.count("+") == len(pattern.placeholders) - len(fixed)


@pytest.mark.parametrize("bad", BAD_SEGMENTS)
def test_a_bad_segment_is_refused(bad: str) -> None:
    with pytest.raises(TopicError, match=re.escape(f"Cannot use {bad!r} as a")):
        check_segment(bad, "device id")
    with pytest.raises(TopicError):
        DEVICE_REQUEST.build("demo", kind="pad", device=bad, what="rating")
    with pytest.raises(TopicError):
        DEVICE_REQUEST.build(bad, kind="pad", device="pad-1", what="rating")
    with pytest.raises(TopicError):
        DEVICE_REQUEST.filter("demo", device=bad)
    assert DEVICE_REQUEST.parse(f"{ROOT}/demo/pad/{bad}/request/rating") is None
    assert DEVICE_REQUEST.parse(f"{ROOT}/{bad}/pad/pad-1/request/rating") is None


@given(
    bad=st.text(max_size=45).filter(lambda text: re.fullmatch(SEGMENT, text) is None),
    centre=segments,
)
def test_any_text_that_is_no_segment_is_refused_everywhere(bad: str, centre: str) -> None:
    with pytest.raises(TopicError):
        DEVICE_REQUEST.build(centre, kind="keypad", device=bad, what="next")
    with pytest.raises(TopicError):
        DEVICE_REQUEST.build(bad, kind="keypad", device="keypad-1", what="next")
    assert DEVICE_REQUEST.parse(f"{ROOT}/{centre}/keypad/keypad-1/request/{bad}") is None


@pytest.mark.parametrize("number", ["0", "01", "10000", "-1", "3a", "+", ""])
def test_a_window_number_is_1_to_9999(number: str) -> None:
    with pytest.raises(TopicError, match="as the number of a window_state topic"):
        WINDOW_STATE.build("demo", number=number)
    assert WINDOW_STATE.parse(f"{ROOT}/demo/window/{number}/state") is None


def test_an_unknown_kind_or_part_is_refused() -> None:
    with pytest.raises(TopicError, match="as the kind"):
        DEVICE_REQUEST.build("demo", kind="toaster", device="t-1", what="toast")
    assert DEVICE_REQUEST.parse(f"{ROOT}/demo/toaster/t-1/request/toast") is None
    with pytest.raises(TopicError, match=r"unknown parts \['colour'\]"):
        WINDOW_STATE.build("demo", number=3, colour="red")


def test_topics_that_onewindow_does_not_use_match_nothing() -> None:
    for topic in ["onewindow/demo", "onewindow/demo/window/3", "other/demo/hall/feed", "onewindow/demo/hall/feed/x"]:
        assert match_topic(topic) is None


def test_every_request_name_is_a_topic_segment() -> None:
    for kind, what in REQUESTS:
        assert DEVICE_REQUEST.parse(DEVICE_REQUEST.build("demo", kind=kind.value, device="d-1", what=what))


# --- Payloads ----------------------------------------------------------------------------------

REQUEST_ID = "5f1c9a0e27b3-17"


def test_the_request_table_knows_each_request_by_its_kind_and_name() -> None:
    for (kind, what), model in REQUESTS.items():
        assert (model.kind, model.what) == (kind, what)
        assert issubclass(model, DeviceRequest)


@pytest.mark.parametrize("model", list(REQUESTS.values()), ids=lambda m: m.__name__)
def test_a_request_refuses_a_field_it_does_not_know(model: type[DeviceRequest]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({**valid_request(model), "colour": "red"})


@pytest.mark.parametrize("model", list(REQUESTS.values()), ids=lambda m: m.__name__)
def test_a_request_needs_a_good_request_id(model: type[DeviceRequest]) -> None:
    body = valid_request(model)
    assert model.model_validate(body).request_id == REQUEST_ID
    for bad in ["", "x" * 65, "a b", "a/b", "编号", 17, None]:
        with pytest.raises(ValidationError, match="request_id"):
            model.model_validate({**body, "request_id": bad})
    with pytest.raises(ValidationError, match="request_id"):
        model.model_validate({key: value for key, value in body.items() if key != "request_id"})


@pytest.mark.parametrize(
    ("model", "fields", "problem"),
    [
        (KioskTicket, {"matter": "x" * 41}, "matter"),
        (KioskTicket, {"matter": ""}, "matter"),
        (KioskTicket, {"matter": "residence", "category": "vip"}, "category"),
        (PrintResult, {"job_id": "j", "status": "done", "reason": "x" * 201}, "reason"),
        (PrintResult, {"job_id": "j" * 65, "status": "done"}, "job_id"),
        (PrintResult, {"job_id": "j", "status": "jammed"}, "status"),
        (PadRating, {"serial": 1, "level": 6}, "level"),
        (PadRating, {"serial": 1, "level": 0}, "level"),
        (PadRating, {"serial": 0, "level": 5}, "serial"),
        (PadRating, {"serial": 1, "level": "five"}, "level"),
        (PadRating, {"serial": 1, "level": 4.5}, "level"),
        (PadRating, {"serial": [1], "level": 5}, "serial"),
        (PadRating, {"serial": {"n": 1}, "level": 5}, "serial"),
        (PadRating, {"serial": 1, "level": 5, "items": {"speed": 5}}, "items"),
        (PadRating, {"serial": 1, "level": 5, "items": {"attitude": 6}}, "items"),
        (PadRating, {"serial": 1, "level": 5, "items": {"skill": "5"}}, "items"),
        (PadRating, {"serial": 1, "level": 5, "items": [5, 5, 5]}, "items"),
        (KioskTicket, {"matter": 42}, "matter"),
        (KioskTicket, {"matter": ["residence"]}, "matter"),
        (KeypadFinish, {"outcome": "done"}, "outcome"),
        (KeypadPause, {"reason": "lunch"}, "reason"),
        (KeypadPause, {"minutes": 0}, "minutes"),
        (KeypadPause, {"minutes": 1441}, "minutes"),
        (KeypadPause, {"minutes": "soon"}, "minutes"),
    ],
)
def test_a_request_refuses_wrong_types_and_oversized_values(
    model: type[DeviceRequest], fields: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        model.model_validate({"request_id": REQUEST_ID, **fields})
    assert [error["loc"][0] for error in raised.value.errors()] == [problem]


def test_a_request_is_read_from_json_as_the_server_reads_it() -> None:
    body = json.dumps({"request_id": REQUEST_ID, "serial": 118, "level": 5})
    assert PadRating.model_validate_json(body) == PadRating(request_id=REQUEST_ID, serial=118, level=5)
    assert KeypadNext.model_validate_json(json.dumps({"request_id": f"  {REQUEST_ID} "})).request_id == REQUEST_ID


@pytest.mark.parametrize(
    "model", [WindowState, Call, HallSummary, HallCalls, HallFeed, PadState, DeviceResponse], ids=lambda m: m.__name__
)
def test_what_the_server_sends_is_read_ignoring_fields_a_reader_does_not_know(model: type[BaseModel]) -> None:
    example = docs._examples()[model]
    body = {**example.model_dump(mode="json"), "added_in_a_later_version": {"x": 1}}
    assert model.model_validate(body) == example


def test_a_sequenced_message_has_a_sequence_number() -> None:
    body = docs._examples()[WindowState].model_dump(mode="json")
    del body["seq"]
    with pytest.raises(ValidationError, match="seq"):
        WindowState.model_validate(body)
    with pytest.raises(ValidationError, match="seq"):
        WindowState.model_validate({**body, "seq": -1})


def valid_request(model: type[DeviceRequest]) -> dict[str, Any]:
    """The smallest valid body of each request."""
    extra: dict[type[DeviceRequest], dict[str, Any]] = {
        KioskTicket: {"matter": "residence"},
        PadRating: {"serial": 118, "level": 5},
        PrintResult: {"job_id": "118-ticket", "status": "done"},
    }
    return {"request_id": REQUEST_ID, **extra.get(model, {})}


# --- docs/protocol.md --------------------------------------------------------------------------

HOW = "regenerate it: python -m queue_server.protocol.docs --write (or > a file, to compare)"


@pytest.fixture(scope="module")
def document() -> str:
    return docs.DOCUMENT.read_text(encoding="utf-8")


def test_the_document_carries_the_generated_reference(document: str) -> None:
    section = docs.generated_section(document)
    assert section == docs.render_markdown(), f"docs/protocol.md's generated reference is out of date; {HOW}"


def test_every_topic_pattern_is_in_the_document(document: str) -> None:
    for pattern in TOPICS:
        assert f"| `{pattern.template}` |" in document, f"{pattern.template} is missing; {HOW}"


def test_every_payload_model_has_its_section(document: str) -> None:
    models = [
        value
        for value in vars(payloads).values()
        if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == payloads.__name__
    ]
    for model in models:
        if model in docs.BASES:
            assert f"`{model.__name__}`" in document, f"{model.__name__} is not explained; {HOW}"
        else:
            assert f"\n#### {model.__name__}\n" in document, f"{model.__name__} has no section; {HOW}"


def test_every_message_and_request_has_a_valid_example() -> None:
    examples = docs._examples()
    for model in [*docs.TOPIC_PAYLOADS.values(), *REQUESTS.values()]:
        assert model in examples, f"add an example of {model.__name__} to queue_server.protocol.docs._examples"
        assert model.model_validate(examples[model].model_dump(mode="json")) == examples[model]


def test_the_prose_outside_the_markers_is_kept() -> None:
    document = f"# Title\n\nProse.\n\n{docs.BEGIN}\nold\n{docs.END}\n\nAfter.\n"
    rewritten = docs.with_section(document, "new\n")
    assert rewritten == f"# Title\n\nProse.\n\n{docs.BEGIN}\nnew\n{docs.END}\n\nAfter.\n"
    with pytest.raises(docs.MarkersMissing, match="Cannot find the generated reference"):
        docs.generated_section("# no markers\n")


def test_the_module_writes_and_checks_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "protocol.md"
    path.write_text(f"Prose.\n{docs.BEGIN}\nstale\n{docs.END}\n", encoding="utf-8")
    assert docs.main(["--check", "--document", str(path)]) == 1
    assert "out of date; run python -m queue_server.protocol.docs --write" in capsys.readouterr().err
    assert docs.main(["--write", "--document", str(path)]) == 0
    assert docs.main(["--check", "--document", str(path)]) == 0
    assert path.read_text(encoding="utf-8").startswith(f"Prose.\n{docs.BEGIN}\n## Reference\n")


@pytest.mark.parametrize(
    "body", ['{"serial": "5", "level": 5}', '{"serial": 5, "level": true}', '{"serial": 5, "level": 4.0}']
)
def test_numbers_in_requests_are_numbers(body: str) -> None:
    """A device that sends "5" or true for a number has a bug; it is told, not guessed at."""
    with pytest.raises(ValidationError):
        PadRating.model_validate_json(body.replace("{", '{"request_id": "a-1", ', 1))
