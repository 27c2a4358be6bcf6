"""`onewindow simulate` end to end: read the centre and profiles, run, print, write JSON and charts.

Kept apart from ``queue_server/cli/`` so that the command line only parses flags. A
comparison runs each plan with the same seed, so every plan meets the same citizens.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from queue_server.domain.centre import Centre
from queue_server.simulate.booking_figures import booking_figures, booking_lines
from queue_server.simulate.charts import write_advice_charts, write_charts, write_comparison_chart
from queue_server.simulate.oracle import perturbed
from queue_server.simulate.profiles import DEFAULT_PROFILE, Profile, load_profile, plan_label, simulated_centre
from queue_server.simulate.ranking import ranking_table
from queue_server.simulate.report import Figures, advice_lines, comparison, comparison_figures, figures, table
from queue_server.simulate.runner import Progress, Simulation

PROGRESS_FROM = 1000
"""Runs expecting at least this many citizens show a progress bar (on a terminal)."""
BAR_WIDTH = 30


@dataclass(frozen=True, slots=True)
class Request:
    centre: Centre
    profile: str | None
    seed: int = 0
    days: int = 1
    day: dt.date | None = None
    compare: tuple[str, ...] = ()
    json_file: Path | None = None
    charts: Path | None = None
    ranking: bool = False
    """Print each simulated month's ranking of the windows (月度排名) after the figures."""
    follow_advice: bool = False
    """Let a simulated manager follow the staffing advice; without --compare, set beside the plan as it is."""
    oracle_every: int = 0
    """The oracle's range for every so many tickets (0: none): queue_server.simulate.oracle."""
    spread_factor: float = 1.0
    """Handling times drawn with the profile's spreads times this."""


FOLLOWING = "按建议调配"


class ProgressBar:
    """``[#####-----]  45%  900/2,000 citizens`` on one line of a terminal, redrawn in place."""

    def __init__(self, stream: IO[str], label: str) -> None:
        self.stream = stream
        self.label = label
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        share = min(done / total, 1.0)
        percent = int(share * 100)
        if percent == self.shown:
            return
        self.shown = percent
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}%  {done:,}/{total:,} citizens{end}")
        self.stream.flush()


def run_one(
    centre: Centre,
    profile: Profile,
    *,
    seed: int,
    days: int,
    progress: Progress | None,
    follow_advice: bool = False,
    oracle_every: int = 0,
) -> Figures:
    """One run of a profile on a centre, as figures; with booked arrivals, the same days are played
    again without bookings, to set the walk-ins' waits beside theirs."""
    hall = simulated_centre(centre, profile)
    run = Simulation(
        hall, profile, seed=seed, progress=progress, follow_advice=follow_advice, oracle_every=oracle_every
    ).run(days)
    result = figures(run)
    if profile.bookings.share > 0:
        plain_profile = profile.model_copy(update={"bookings": profile.bookings.model_copy(update={"share": 0.0})})
        plain = Simulation(hall, plain_profile, seed=seed, follow_advice=follow_advice, ranges=False).run(days)
        result["bookings"] = booking_figures(run, plain)
    return result


def _perturbed(profile: Profile, factor: float) -> Profile:
    return profile if factor == 1.0 else perturbed(profile, factor)


def _with_day(profile: Profile, day: dt.date | None) -> Profile:
    if day is None:
        return profile
    return profile.model_copy(update={"profile": profile.profile.model_copy(update={"day": day})})


def simulate(request: Request, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Run, print the table (or the comparison), write what was asked for; ProfileError propagates."""
    out = out or sys.stdout
    err = err or sys.stderr
    names = {m.code: m.name for m in request.centre.matters}
    started = time.perf_counter()
    if request.follow_advice and not request.compare:
        return _advice_beside_plan(request, out, err, started)
    if not request.compare:
        profile = _perturbed(_with_day(load_profile(request.profile), request.day), request.spread_factor)
        progress = ProgressBar(err, "simulating") if err.isatty() else None
        result = run_one(
            request.centre,
            profile,
            seed=request.seed,
            days=request.days,
            progress=progress,
            oracle_every=request.oracle_every,
        )
        print(table(result, names), file=out)
        if "bookings" in result:
            print("\n".join(booking_lines(result["bookings"])), file=out)
        if request.ranking:
            windows = {w.number: w.name for w in simulated_centre(request.centre, profile).windows}
            print(ranking_table(result["ratings"], windows), file=out)
        _finish(request, result, err, started, [result])
        if request.charts is not None:
            for path in write_charts(result, request.charts):
                print(f"Chart: {path}", file=err)
        return 0
    labels, results = _compare(request, err)
    print(comparison(labels, results), file=out)
    _finish(request, comparison_figures(labels, results), err, started, results)
    if request.charts is not None:
        for path in write_comparison_chart(labels, results, request.charts):
            print(f"Chart: {path}", file=err)
    return 0


def _compare(request: Request, err: IO[str]) -> tuple[list[str], list[Figures]]:
    plans: list[tuple[str, Profile]] = []
    if len(request.compare) == 1:
        base = _with_day(load_profile(request.profile), request.day)
        plans.append((plan_label(request.profile or DEFAULT_PROFILE), base))
    for path in request.compare:
        overlay = _with_day(load_profile(path, base=request.profile or DEFAULT_PROFILE), request.day)
        plans.append((plan_label(path), overlay))
    labels = _unique([label for label, _ in plans])
    results = []
    for label, (_, profile) in zip(labels, plans, strict=True):
        progress = ProgressBar(err, label) if err.isatty() else None
        results.append(
            run_one(
                request.centre,
                _perturbed(profile, request.spread_factor),
                seed=request.seed,
                days=request.days,
                progress=progress,
                follow_advice=request.follow_advice,
                oracle_every=request.oracle_every,
            )
        )
    return labels, results


def _advice_beside_plan(request: Request, out: IO[str], err: IO[str], started: float) -> int:
    """The profile as planned, and again with a manager following the staffing advice: same citizens."""
    profile = _perturbed(_with_day(load_profile(request.profile), request.day), request.spread_factor)
    labels = [plan_label(request.profile or DEFAULT_PROFILE), FOLLOWING]
    results = []
    for label, follow in zip(labels, (False, True), strict=True):
        progress = ProgressBar(err, label) if err.isatty() else None
        results.append(
            run_one(
                request.centre,
                profile,
                seed=request.seed,
                days=request.days,
                progress=progress,
                follow_advice=follow,
                oracle_every=request.oracle_every,
            )
        )
    print(comparison(labels, results), file=out)
    print("\n".join(advice_lines(results[1])), file=out)
    _finish(request, comparison_figures(labels, results), err, started, results)
    if request.charts is not None:
        for path in write_advice_charts(labels, results, request.charts):
            print(f"Chart: {path}", file=err)
    return 0


def _unique(labels: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _finish(request: Request, data: Figures, err: IO[str], started: float, results: Sequence[Figures]) -> None:
    if request.json_file is not None:
        request.json_file.parent.mkdir(parents=True, exist_ok=True)
        request.json_file.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"Figures: {request.json_file}", file=err)
    issued = sum(r["tickets"]["issued"] for r in results)
    print(f"Simulated {issued:,} tickets in {time.perf_counter() - started:.1f} s", file=err)
