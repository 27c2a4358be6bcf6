"""From what a run recorded to the figures: waits, queue, windows, estimates, the routing bound.

``figures`` returns plain JSON-ready data (what ``--json`` writes); ``table`` and ``comparison``
lay it out for a terminal. Minutes are rounded to two decimals; times of day are the centre's
local ``HH:MM``. Nothing here reads a clock, so a seed gives the same figures every time.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from queue_server.domain.calendar import WorkCalendar
from queue_server.simulate.ranking import rating_figures
from queue_server.simulate.runner import Followed, Interval, SimulationRun, TicketRecord

Figures = dict[str, Any]

ESTIMATE_CLOSE_MINUTES = 5.0
"""An estimate within this many minutes of the real wait counts as close."""


def percentile(values: Sequence[float], share: float) -> float:
    """Linear interpolation between the closest ranks (the ``inclusive`` method)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("Cannot take a percentile of no values")
    rank = share * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def wait_figures(waits: Sequence[float]) -> dict[str, float | int | None]:
    if not waits:
        return {"count": 0, "mean": None, "median": None, "p90": None, "max": None}
    return {
        "count": len(waits),
        "mean": _r(statistics.fmean(waits)),
        "median": _r(statistics.median(waits)),
        "p90": _r(percentile(waits, 0.9)),
        "max": _r(max(waits)),
    }


def figures(run: SimulationRun) -> Figures:
    """Every figure of a run, JSON-ready."""
    calendar = WorkCalendar(run.centre)
    tickets = run.tickets
    called = [t for t in tickets if t.wait is not None]
    waits = {
        "all": wait_figures([_wait(t) for t in called]),
        "green_channel": wait_figures([_wait(t) for t in called if t.green]),
        "ordinary": wait_figures([_wait(t) for t in called if not t.green]),
    }
    by_matter: dict[str, list[float]] = defaultdict(list)
    for t in called:
        by_matter[t.matter].append(_wait(t))
    longest = max(called, key=lambda t: (_wait(t), -t.serial), default=None)
    refused = Counter(r.reason for r in run.refusals)
    return {
        "centre": run.centre.code,
        "profile": run.profile.name,
        "seed": run.seed,
        "days": [plan.day.isoformat() for plan in run.days],
        "tickets": {
            "arrivals": sum(len(plan.arrivals) for plan in run.days),
            "issued": len(tickets),
            "green_channel": sum(t.green for t in tickets),
            "served": sum(t.finished is not None for t in tickets),
            "unserved_at_closing": sum(t.cancelled for t in tickets),
            "carried": sum(t.carried and t.called is None for t in tickets),
            "refused": dict(sorted(refused.items())),
        },
        "waits": waits,
        "waits_by_matter": {
            m.code: wait_figures(by_matter[m.code]) for m in run.centre.matters if by_matter.get(m.code)
        },
        "longest_wait": None
        if longest is None
        else {
            "number": longest.number,
            "matter": longest.matter,
            "green_channel": longest.green,
            "minutes": _r(_wait(longest)),
            "day": run.days[longest.day].day.isoformat(),
            "issued": _clock(calendar, longest.issued),
            "window": longest.window,
        },
        "queue": _queue(run, calendar),
        "windows": _windows(run),
        "pauses": _pauses(run),
        "estimates": _estimates(called),
        "passed_over": _passed_over(run, tickets),
        "ratings": rating_figures(run),
        "advice_followed": [_followed(calendar, run, f) for f in run.followed],
    }


def _followed(calendar: WorkCalendar, run: SimulationRun, followed: Followed) -> dict[str, Any]:
    """A suggestion of the staffing advice the run carried out, and the play that recommended it."""
    suggestion = followed.suggestion
    after = suggestion.after
    return {
        "day": run.days[followed.day].day.isoformat(),
        "at": _clock(calendar, followed.at),
        "kind": suggestion.kind.value,
        "window": suggestion.window,
        "staff": suggestion.staff,
        "from_window": suggestion.from_window,
        "move_minutes": _r(suggestion.move_minutes),
        "matters": list(suggestion.matters),
        "longest_before": _r(followed.longest_before),
        "longest_after": None if after is None else _r(after.longest),
    }


def _queue(run: SimulationRun, calendar: WorkCalendar) -> dict[str, Any]:
    day, at, longest = run.max_queue
    return {
        "max": longest,
        "max_at": _clock(calendar, at) if longest else None,
        "max_day": run.days[day].day.isoformat() if longest else None,
        "sample_minutes": 5,
        "samples": [
            {"day": run.days[d].day.isoformat(), "time": _clock(calendar, t), "waiting": n} for d, t, n in run.queue
        ],
    }


def _windows(run: SimulationRun) -> list[dict[str, Any]]:
    opening = [span for plan in run.days for span in plan.periods]
    out = []
    for number, record in sorted(run.windows.items()):
        staffed = _overlap(record.staffed, opening)
        paused = _overlap([(a, b) for a, b, _ in record.paused], opening)
        available = max(staffed - paused, 0.0)
        busy = _overlap(record.busy, opening)
        out.append(
            {
                "number": number,
                "name": run.centre.window(number).name,
                "served": record.served,
                "staffed_minutes": _r(staffed),
                "paused_minutes": _r(paused),
                "busy_minutes": _r(busy),
                "utilisation": _r(min(busy / available, 1.0), 4) if available > 0 else None,
            }
        )
    return out


def mean_utilisation(windows: Iterable[dict[str, Any]]) -> float | None:
    """Busy minutes over available minutes, all staffed windows together."""
    rows = [w for w in windows if w["utilisation"] is not None]
    available = sum(w["staffed_minutes"] - w["paused_minutes"] for w in rows)
    return _r(sum(w["busy_minutes"] for w in rows) / available, 4) if available > 0 else None


def _pauses(run: SimulationRun) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    minutes: defaultdict[str, float] = defaultdict(float)
    for record in run.windows.values():
        for start, end, reason in record.paused:
            counts[reason.value] += 1
            minutes[reason.value] += (end - start).total_seconds() / 60
    return {
        "count": sum(counts.values()),
        "minutes": _r(sum(minutes.values())),
        "by_reason": {r: {"count": counts[r], "minutes": _r(minutes[r])} for r in sorted(counts)},
        "skipped": run.skipped_pauses,
    }


def _estimates(called: list[TicketRecord]) -> dict[str, Any]:
    """How far the wait printed on each ticket was from its real wait (estimate minus real)."""
    errors = [t.estimate - _wait(t) for t in called if t.estimate is not None]
    if not errors:
        return {
            "count": 0,
            "mean_absolute_error": None,
            "bias": None,
            "p90_absolute_error": None,
            "close_share": None,
            "ranges": range_figures(called),
        }
    absolute = [abs(e) for e in errors]
    return {
        "count": len(errors),
        "mean_absolute_error": _r(statistics.fmean(absolute)),
        "bias": _r(statistics.fmean(errors)),
        "p90_absolute_error": _r(percentile(absolute, 0.9)),
        "close_share": _r(sum(a <= ESTIMATE_CLOSE_MINUTES for a in absolute) / len(absolute), 4),
        "ranges": range_figures(called),
    }


def range_figures(called: list[TicketRecord]) -> dict[str, Any]:
    """How honest the printed ranges were: the share of real waits inside them and their median
    width; beside them the oracle's (on the tickets it was asked for) and the width ratio there,
    and the same two figures of the ranges told at issue without a play (``told_*``) and of those
    ranges before the hall's correction (``uncorrected_*``)."""
    printed = [t for t in called if t.low is not None and t.high is not None]
    asked = [t for t in printed if t.oracle_low is not None and t.oracle_high is not None]
    told = [t for t in called if t.told_low is not None and t.told_high is not None]
    told_asked = [t for t in told if t.oracle_low is not None and t.oracle_high is not None]
    raw = [t for t in called if t.uncorrected_low is not None and t.uncorrected_high is not None]
    raw_asked = [t for t in raw if t.oracle_low is not None and t.oracle_high is not None]
    return {
        "count": len(printed),
        "coverage": _share(printed, lambda t: t.low, lambda t: t.high),
        "median_width": _median_width(printed, lambda t: t.low, lambda t: t.high),
        "oracle_count": len(asked),
        "oracle_coverage": _share(asked, lambda t: t.oracle_low, lambda t: t.oracle_high),
        "oracle_median_width": _median_width(asked, lambda t: t.oracle_low, lambda t: t.oracle_high),
        "median_width_on_oracle_tickets": _median_width(asked, lambda t: t.low, lambda t: t.high),
        "width_ratio": _width_ratio(asked),
        "told_count": len(told),
        "told_coverage": _share(told, lambda t: t.told_low, lambda t: t.told_high),
        "told_median_width": _median_width(told, lambda t: t.told_low, lambda t: t.told_high),
        "told_median_width_on_oracle_tickets": _median_width(told_asked, lambda t: t.told_low, lambda t: t.told_high),
        "told_width_ratio": _ratio(told_asked, lambda t: t.told_low, lambda t: t.told_high),
        "uncorrected_coverage": _share(raw, lambda t: t.uncorrected_low, lambda t: t.uncorrected_high),
        "uncorrected_median_width": _median_width(raw, lambda t: t.uncorrected_low, lambda t: t.uncorrected_high),
        "uncorrected_width_ratio": _ratio(raw_asked, lambda t: t.uncorrected_low, lambda t: t.uncorrected_high),
    }


Bound = Callable[[TicketRecord], float | None]


def _share(tickets: list[TicketRecord], low: Bound, high: Bound) -> float | None:
    if not tickets:
        return None
    inside = sum((low(t) or 0.0) <= _wait(t) <= (high(t) or 0.0) for t in tickets)
    return _r(inside / len(tickets), 4)


def _median_width(tickets: list[TicketRecord], low: Bound, high: Bound) -> float | None:
    widths = [(high(t) or 0.0) - (low(t) or 0.0) for t in tickets]
    return _r(statistics.median(widths)) if widths else None


def _width_ratio(asked: list[TicketRecord]) -> float | None:
    return _ratio(asked, lambda t: t.low, lambda t: t.high)


def _ratio(asked: list[TicketRecord], low: Bound, high: Bound) -> float | None:
    """The median width of ``low``-``high`` over the oracle's on the tickets it was asked for."""
    mine = _median_width(asked, low, high)
    best = _median_width(asked, lambda t: t.oracle_low, lambda t: t.oracle_high)
    return None if mine is None or not best else _r(mine / best, 4)


def _passed_over(run: SimulationRun, tickets: list[TicketRecord]) -> dict[str, Any]:
    limit = run.centre.policy.max_passed_over
    ordinary = max((t.passed_over for t in tickets if not t.green), default=0)
    return {
        "limit_k": limit,
        "max_ordinary": ordinary,
        "max_green_channel": max((t.passed_over for t in tickets if t.green), default=0),
        "tickets_passed_over": sum(t.passed_over > 0 for t in tickets),
        "within_limit": ordinary <= limit,
    }


def _overlap(spans: Iterable[Interval], opening: list[Interval]) -> float:
    """Minutes of ``spans`` that fall within opening hours."""
    total = 0.0
    for start, end in spans:
        for open_start, open_end in opening:
            low, high = max(start, open_start), min(end, open_end)
            if high > low:
                total += (high - low).total_seconds()
    return total / 60


def _wait(ticket: TicketRecord) -> float:
    wait = ticket.wait
    assert wait is not None
    return wait


def _clock(calendar: WorkCalendar, at: dt.datetime) -> str:
    return f"{calendar.local(at):%H:%M}"


def _r(value: float, digits: int = 2) -> float:
    return round(value, digits)


# --- Tables -----------------------------------------------------------------------------------------


def _m(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _wait_row(label: str, w: dict[str, Any], width: int) -> str:
    cells = " ".join(f"{_m(w[key]):>7}" for key in ("mean", "median", "p90", "max"))
    return f"  {_fit(label, width)} {w['count']:>7} {cells}"


def _header(title: str) -> str:
    return f"{title:<37} {'tickets':>7} {'mean':>7} {'median':>7} {'p90':>7} {'max':>7}"


def table(f: Figures, matter_names: dict[str, str] | None = None) -> str:
    """The figures of one run as text for a terminal."""
    names = matter_names or {}
    t = f["tickets"]
    refused = ", ".join(f"{n} {r}" for r, n in t["refused"].items()) or "none"
    lines = [
        f"Simulated {f['centre']} with profile {f['profile']!r}, seed {f['seed']}, "
        f"{len(f['days'])} day(s) from {f['days'][0]}",
        f"Tickets: {t['issued']} issued ({t['green_channel']} green channel), {t['served']} served, "
        f"{t['unserved_at_closing']} still waiting at closing, refused: {refused}",
        "",
        _header("Waits (minutes from issue to call)"),
    ]
    lines.append(_wait_row("green channel 绿色通道", f["waits"]["green_channel"], 35))
    lines.append(_wait_row("ordinary", f["waits"]["ordinary"], 35))
    lines.append(_wait_row("all", f["waits"]["all"], 35))
    lines += [
        "",
        _header("Waits by matter"),
    ]
    for code, w in f["waits_by_matter"].items():
        lines.append(_wait_row(names.get(code, code), w, 35))
    longest = f["longest_wait"]
    if longest is not None:
        kind = "green channel" if longest["green_channel"] else "ordinary"
        lines += [
            "",
            f"Longest wait: {longest['minutes']:.1f} min, ticket {longest['number']} ({kind}, {longest['matter']}),"
            f" issued {longest['day']} {longest['issued']}, called at window {longest['window']}",
        ]
    q = f["queue"]
    lines.append(f"Queue: at most {q['max']} waiting" + (f", at {q['max_at']} on {q['max_day']}" if q["max"] else ""))
    lines.append("  " + sparkline_by_hour(q["samples"]))
    lines += ["", f"Windows  {'served':>6} {'staffed':>8} {'paused':>7} {'busy':>7} {'use':>6}  name"]
    for w in f["windows"]:
        use = "-" if w["utilisation"] is None else f"{w['utilisation']:.0%}"
        lines.append(
            f"  {w['number']:>4}   {w['served']:>6} {w['staffed_minutes']:>8.0f} {w['paused_minutes']:>7.0f}"
            f" {w['busy_minutes']:>7.0f} {use:>6}  {w['name']}"
        )
    mean = mean_utilisation(f["windows"])
    lines.append(f"  all staffed windows: {'-' if mean is None else f'{mean:.0%}'} busy")
    p = f["pauses"]
    by_reason = ", ".join(f"{r} {v['count']} ({v['minutes']:.0f} min)" for r, v in p["by_reason"].items()) or "none"
    lines.append(f"Pauses (暂停服务): {p['count']}, {p['minutes']:.0f} min: {by_reason}")
    e = f["estimates"]
    if e["count"]:
        lines.append(
            f"Wait estimates on tickets: mean absolute error {e['mean_absolute_error']:.1f} min,"
            f" bias {e['bias']:+.1f} min (+ promised longer than real), p90 error {e['p90_absolute_error']:.1f} min,"
            f" {e['close_share']:.0%} within {ESTIMATE_CLOSE_MINUTES:.0f} min"
        )
        lines.extend(range_lines(e["ranges"]))
    po = f["passed_over"]
    verdict = "holds" if po["within_limit"] else "BROKEN"
    lines.append(
        f"Passed over: an ordinary ticket at most {po['max_ordinary']} times (K = {po['limit_k']}: {verdict}),"
        f" a green-channel ticket at most {po['max_green_channel']}; {po['tickets_passed_over']} tickets passed over"
    )
    r = f["ratings"]
    lines.append(
        f"Ratings (好差评): {r['rated']} on the pads, {r['bad']} bad (a rectification case each),"
        f" {r['named_bad']} of them named (a follow-up call each)"
    )
    return "\n".join(lines)


def range_lines(r: dict[str, Any]) -> list[str]:
    """The printed ranges' honesty, and the oracle's beside it when it was asked."""
    if not r["count"]:
        return []
    lines = [
        f"Wait ranges on tickets: {r['coverage']:.0%} of real waits inside the printed range,"
        f" median width {r['median_width']:.1f} min"
    ]
    if r.get("told_count"):
        lines.append(
            f"Told at issue without a play (a newcomer's range from the last plays, corrected by the day's record):"
            f" {r['told_coverage']:.0%} inside,"
            f" median width {r['told_median_width']:.1f} min"
        )
        if r.get("uncorrected_coverage") is not None:
            lines.append(
                f"  before the correction: {r['uncorrected_coverage']:.0%} inside,"
                f" median width {r['uncorrected_median_width']:.1f} min"
            )
    if r["oracle_count"]:
        ratio = "-" if r["width_ratio"] is None else f"{r['width_ratio']:.2f}"
        best, mine = r["oracle_median_width"], r["median_width_on_oracle_tickets"]
        lines.append(
            f"Oracle on {r['oracle_count']} tickets: narrowest 80% range median width {best:.1f} min"
            f" ({r['oracle_coverage']:.0%} inside); the printed ranges there {mine:.1f} min, {ratio} times the oracle's"
        )
        told = r.get("told_median_width_on_oracle_tickets")
        if told is not None:
            told_ratio = "-" if r.get("told_width_ratio") is None else f"{r['told_width_ratio']:.2f}"
            lines.append(f"  the ranges told at issue there {told:.1f} min, {told_ratio} times the oracle's")
            if r.get("uncorrected_width_ratio") is not None:
                lines.append(f"  before the correction there {r['uncorrected_width_ratio']:.2f} times the oracle's")
    return lines


COMPARED: list[tuple[str, Any]] = [
    ("tickets issued", lambda f: f["tickets"]["issued"]),
    ("served", lambda f: f["tickets"]["served"]),
    ("waiting at closing", lambda f: f["tickets"]["unserved_at_closing"]),
    ("wait mean, ordinary", lambda f: f["waits"]["ordinary"]["mean"]),
    ("wait median, ordinary", lambda f: f["waits"]["ordinary"]["median"]),
    ("wait p90, ordinary", lambda f: f["waits"]["ordinary"]["p90"]),
    ("wait max, ordinary", lambda f: f["waits"]["ordinary"]["max"]),
    ("wait mean, green channel", lambda f: f["waits"]["green_channel"]["mean"]),
    ("wait p90, green channel", lambda f: f["waits"]["green_channel"]["p90"]),
    ("wait max, green channel", lambda f: f["waits"]["green_channel"]["max"]),
    ("longest wait", lambda f: f["waits"]["all"]["max"]),
    ("longest queue", lambda f: f["queue"]["max"]),
    ("window use", lambda f: mean_utilisation(f["windows"])),
    ("staffed window-hours", lambda f: sum(w["staffed_minutes"] for w in f["windows"]) / 60),
    ("estimate error (MAE)", lambda f: f["estimates"]["mean_absolute_error"]),
    ("estimate bias", lambda f: f["estimates"]["bias"]),
    ("waits inside the range", lambda f: (f["estimates"].get("ranges") or {}).get("coverage")),
    ("range median width", lambda f: (f["estimates"].get("ranges") or {}).get("median_width")),
    ("most passed over (ordinary)", lambda f: f["passed_over"]["max_ordinary"]),
]


def advice_lines(f: Figures) -> list[str]:
    """What the simulated manager did on the staffing advice, one line each."""
    done = f.get("advice_followed") or []
    if not done:
        return ["Staffing advice: nothing suggested would have helped"]
    lines = [f"Staffing advice followed ({len(done)}):"]
    for item in done:
        match item["kind"]:
            case "sign_on":
                what = f"sign B-post {item['staff']} on at window {item['window']}"
            case "move":
                what = f"move {item['staff']} from window {item['from_window']} to window {item['window']}"
            case _:
                what = f"end the pause at window {item['window']}"
        lines.append(
            f"  {item['day']} {item['at']}  {what} (at work in {item['move_minutes']:.0f} min) for"
            f" {', '.join(item['matters'])}: longest expected wait {item['longest_before']:.0f}"
            f" -> {item['longest_after']:.0f} min"
        )
    return lines


def comparison(labels: Sequence[str], runs: Sequence[Figures]) -> str:
    """Plans side by side: one row per figure, one column per plan."""
    width = max(12, *(_columns(label) for label in labels))
    lines = [f"{'':<28}" + "".join(" " + " " * (width - _columns(label)) + label for label in labels)]
    for name, read in COMPARED:
        cells = []
        for f in runs:
            value = read(f)
            if value is None:
                cells.append("-")
            elif name in ("window use", "waits inside the range"):
                cells.append(f"{value:.0%}")
            elif isinstance(value, float):
                cells.append(f"{value:.1f}")
            else:
                cells.append(str(value))
        lines.append(f"{name:<28}" + "".join(f" {c:>{width}}" for c in cells))
    return "\n".join(lines)


def comparison_figures(labels: Sequence[str], runs: Sequence[Figures]) -> Figures:
    return {"plans": [{"label": label, **f} for label, f in zip(labels, runs, strict=True)]}


BARS = " ▁▂▃▄▅▆▇█"


def sparkline_by_hour(samples: list[dict[str, Any]]) -> str:
    """The first day's queue length, one bar per sample, with the hours marked under it."""
    if not samples:
        return ""
    first = samples[0]["day"]
    day = [s for s in samples if s["day"] == first]
    top = max(s["waiting"] for s in day) or 1
    bars = "".join(BARS[round(s["waiting"] / top * (len(BARS) - 1))] for s in day)
    return f"{day[0]['time']} {bars} {day[-1]['time']} (max {top})"


def _columns(text: str) -> int:
    """Terminal columns a text takes: a CJK character takes two."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _fit(text: str, width: int) -> str:
    """Cut a name to a terminal width, counting a CJK character as two columns."""
    out, used = "", 0
    for char in text:
        step = 2 if ord(char) > 0x2E80 else 1
        if used + step > width - 1:
            return out + "…" + " " * (width - used - 1)
        out, used = out + char, used + step
    return out + " " * (width - used)
