"""Fuzz every operation of the service's OpenAPI schema with schemathesis, against a live server.

The server (uvicorn on loopback, :mod:`benchmarks.reliability.live_server`) runs over a seeded
store (:mod:`benchmarks.reliability.company`) with a few check-ins uploaded first, rate limits
off (so generated cases reach the routes instead of the 429). Every operation the schema lists
when this runs is fuzzed in schemathesis' positive and negative modes until ``--cases`` cases
have been sent; each case goes with a caller drawn from: a rep, a rep of another team, a
manager, a director, an admin, a rep of another tenant, no token, a forged token. Path
parameters named ``checkin_id`` are sometimes swapped for an id that exists, so the 200 paths
are reached as well as the 404s.

Dates and periods reach the calendar's edges: in positive mode, about half the cases of an
operation that takes a ``period``, a day (``from``/``to`` of the overlap) or an instant
(``now``, ``from``/``to``, ``due_*``: the schema's ``date-time`` parameters) have those
drawn from :func:`calendar_periods`, :func:`calendar_days` and :func:`calendar_instants`:
years 0, 1, 1969, 1970, 2199, 2200, 9999 and anything between, ISO weeks 0 to 54 (week 53
included), month 0 to 13, ranges ending in year 9999, offsets up to ±23:59 (so a local time
in year 1 or 9999 overflows when converted to UTC). The manager pages get the caller's token
as their sign-in cookie in positive mode, so their period and day parsing is reached too.
A second pass (``--calendar-cases``) then sends cases to those operations alone, every one
with its calendar parameters at the edges, as callers with a valid token. The report ends
with how many calendar-edge cases were sent and their 5xx answers.

Each response must pass schemathesis' checks: no 5xx (``not_a_server_error``), a documented
status code, the documented content type and headers, a body that validates against the
documented schema, and negative (schema-violating) input never accepted with a 2xx. Prints
cases and failures per operation, with a curl command for each distinct failure; exits 1 on any.

    python -m benchmarks.reliability.fuzz_api --cases 1200 --calendar-cases 400 --seed 7
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from benchmarks.reliability.company import Company, seed_company, upload
from benchmarks.reliability.live_server import LiveServer
from serving.routes.pages import COOKIE

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
FORGED = "vp_" + "A" * 40


@dataclass
class Tally:
    """What one operation answered."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    # "failure title [status]" -> (what the check said and a curl command reproducing it,
    # for the first case; the callers that hit it)
    failures: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    failed_cases: int = 0
    # Cases whose dates, periods or instants were drawn at the calendar's edges.
    edge_cases: int = 0
    edge_server_errors: int = 0


# -- the calendar's edges --------------------------------------------------------------------

EDGE_YEARS = (0, 1, 2, 1969, 1970, 1971, 2026, 2198, 2199, 2200, 9998, 9999)
EDGE_DAYS = (date.min, date(1, 1, 2), date(1969, 12, 31), date(1970, 1, 1),
             date(2199, 12, 31), date(2200, 1, 1), date(9999, 12, 30), date.max)
EDGE_TIMES = (datetime.min, datetime(1969, 12, 31, 23, 59, 59), datetime(1970, 1, 1),
              datetime(2199, 12, 31, 23, 59, 59), datetime(2200, 1, 1), datetime.max)
EDGE_OFFSETS = ("Z", "+00:00", "+08:00", "+14:00", "-12:00", "+23:59", "-23:59")


def _years() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(EDGE_YEARS), st.integers(0, 9999))


def _real_days() -> st.SearchStrategy[date]:
    """Real days, half of them one of :data:`EDGE_DAYS` or within a month of one."""
    near_edge = st.builds(_shifted, st.sampled_from(EDGE_DAYS), st.integers(-31, 31))
    return st.one_of(st.sampled_from(EDGE_DAYS), near_edge, st.dates())


def _shifted(day: date, days: int) -> date:
    """``day`` moved by ``days``, held within ``date.min`` .. ``date.max``."""
    ordinal = min(max(day.toordinal() + days, date.min.toordinal()), date.max.toordinal())
    return date.fromordinal(ordinal)


def calendar_days() -> st.SearchStrategy[str]:
    """``YYYY-MM-DD`` text at and around the calendar's edges (years 1 and 9999, the
    supported years' first and last days), any real day, and impossible ones (year 0,
    month 13, day 32)."""
    made_up = st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", _years(),
                        st.integers(0, 13), st.integers(0, 32))
    return st.one_of(_real_days().map(date.isoformat), made_up)


def calendar_day_ranges() -> st.SearchStrategy[tuple[str, str]]:
    """(first, last) days for a range: mostly in order and up to two months long, starting
    or ending at or near an edge (so the range's end, one day past it or its weeks reach
    ``date.max`` / ``date.min``), sometimes any two days of :func:`calendar_days`."""
    short = st.builds(lambda a, n: (a, _shifted(a, n)), _real_days(), st.integers(0, 62))
    ending = st.builds(lambda b, n: (_shifted(b, -n), b), _real_days(), st.integers(0, 62))
    ordered = st.one_of(short, ending).map(lambda r: (r[0].isoformat(), r[1].isoformat()))
    return st.one_of(ordered, st.tuples(calendar_days(), calendar_days()))


def calendar_periods() -> st.SearchStrategy[str]:
    """Months ``YYYY-MM`` (mostly real, month 0 and 13 too), ISO weeks ``YYYY-Www`` (1, 52
    and 53 often, 0 to 54 in all) and day ranges ``A..B`` (:func:`calendar_day_ranges`), in
    years weighted to the calendar's edges."""
    months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", _years(),
                       st.one_of(st.integers(1, 12), st.sampled_from((0, 1, 12, 13))))
    weeks = st.builds(lambda y, w: f"{y:04d}-W{w:02d}", _years(),
                      st.one_of(st.sampled_from((1, 52, 53)), st.integers(0, 54)))
    ranges = calendar_day_ranges().map(lambda r: f"{r[0]}..{r[1]}")
    return st.one_of(months, weeks, ranges)


def calendar_instants() -> st.SearchStrategy[str]:
    """ISO 8601 instants with an offset, local times at the ends of ``datetime`` (years 1
    and 9999) and of the supported years, or any, with offsets up to ±23:59."""
    times = st.one_of(st.sampled_from(EDGE_TIMES), st.datetimes())
    offsets = st.one_of(st.sampled_from(EDGE_OFFSETS), st.builds(
        lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}",
        st.integers(-1439, 1439)))
    return st.builds(lambda t, o: t.isoformat(timespec="seconds") + o, times, offsets)


def calendar_parameters(operation: Any) -> dict[str, Callable[[], st.SearchStrategy[str]]]:
    """The query parameters of ``operation`` that take a period, a day or an instant, with
    the edge strategy for each: ``period``; ``date-time`` parameters; a plain-string
    ``from`` / ``to`` (the overlap's days)."""
    chosen: dict[str, Callable[[], st.SearchStrategy[str]]] = {}
    for parameter in operation.query:
        if parameter.name == "period":
            chosen[parameter.name] = calendar_periods
        elif "date-time" in json.dumps(parameter.definition.get("schema", {})):
            chosen[parameter.name] = calendar_instants
        elif parameter.name in ("from", "to"):
            chosen[parameter.name] = calendar_days
    return chosen


def takes_sign_in_cookie(operation: Any) -> bool:
    return any(p.name == COOKIE and str(p.location.value) == "cookie"
               for p in operation.iter_parameters())


def callers(company: Company) -> dict[str, str | None]:
    return {"rep": company.rep_tokens[company.reps[0]],
            "rep of another team": company.rep_tokens[company.reps[-1]],
            "manager": company.tokens["manager"], "director": company.tokens["director"],
            "admin": company.tokens["admin"],
            "rep of another tenant": company.tokens["other_tenant_rep"],
            "no token": None, "forged token": FORGED}


def seed_checkins(server: LiveServer, company: Company, count: int = 6) -> list[str]:
    """Upload ``count`` check-ins through the server; their ids."""
    ids = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for n in range(count):
            token, meta, photo = upload(company, n * len(company.reps) // count)
            response = client.post("/v1/checkins", data={"meta": json.dumps(meta)},
                                   files={"photo": ("shelf.jpg", photo, "image/jpeg")},
                                   headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 201:
                raise RuntimeError(f"seeding upload {n}: {response.status_code} {response.text}")
            ids.append(str(meta["id"]))
    return ids




def fuzz_operation(operation: Any, mode: schemathesis.GenerationMode, *, base_url: str,
                   who: dict[str, str | None], known_ids: list[str], examples: int,
                   seed: int, tally: Tally, at_the_edges: bool = False) -> None:
    """Send up to ``examples`` generated cases of ``operation`` and check each answer;
    ``at_the_edges``: every case (positive mode) draws its calendar parameters at the
    calendar's edges, not only about half of them."""
    positive = mode is schemathesis.GenerationMode.POSITIVE
    # Only valid cases get edge values: a negative case's invalid value must stay invalid.
    edges = calendar_parameters(operation) if positive else {}
    cookie = positive and takes_sign_in_cookie(operation)

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @given(case=operation.as_strategy(generation_mode=mode),
           caller=st.sampled_from(sorted(who)), known=st.sampled_from([None, *known_ids]),
           drawn=st.data())
    def run(case: Any, caller: str, known: str | None, drawn: st.DataObject) -> None:
        # Only valid cases get a real id: a negative case's invalid path must stay invalid.
        if known is not None and mode is schemathesis.GenerationMode.POSITIVE \
                and "checkin_id" in (case.path_parameters or {}):
            case.path_parameters["checkin_id"] = known
        # The drawn caller's token replaces the generated one; a negative case that drops
        # the header on purpose goes without.
        generated = dict(case.headers or {})
        dropped = mode is schemathesis.GenerationMode.NEGATIVE and \
            "authorization" not in {name.lower() for name in generated}
        if dropped:
            caller = "none (the case drops the header)"
        token = None if dropped else who[caller]
        headers = {name: value for name, value in generated.items()
                   if name.lower() != "authorization"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        case.headers = headers
        if cookie:  # the pages read the token from their sign-in cookie only
            case.cookies = {COOKIE: token} if token else {}
        at_edges = bool(edges) and (at_the_edges or drawn.draw(st.booleans(),
                                                               label="calendar edges"))
        if at_edges:
            query = dict(case.query or {})
            names = list(edges)
            # The overlap's from/to are one range: drawn together, mostly in order.
            if edges.get("from") is edges.get("to") is calendar_days and \
                    drawn.draw(st.booleans(), label="day range"):
                query["from"], query["to"] = drawn.draw(calendar_day_ranges(), label="range")
                names = [name for name in names if name not in ("from", "to")]
            for name in names:
                if drawn.draw(st.booleans(), label=f"edge {name}"):
                    query[name] = drawn.draw(edges[name](), label=name)
            case.query = query
        response = case.call(base_url=base_url, timeout=60)
        tally.cases += 1
        tally.statuses[response.status_code] += 1
        if at_edges:
            tally.edge_cases += 1
            tally.edge_server_errors += response.status_code >= 500
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (FailureGroup, Failure) as error:
            tally.failed_cases += 1
            failures = error.exceptions if isinstance(error, FailureGroup) else (error,)
            for failure in failures:
                title = f"{failure.title} [{response.status_code}]"
                said = " ".join(str(failure.message).split())[:400]
                example = f"{said}\n  {case.as_curl_command(headers=headers, base_url=base_url)}"
                tally.failures.setdefault(title, (example, set()))[1].add(caller)

    # Unsatisfiable: nothing to make invalid (an operation without parameters, negative mode).
    with contextlib.suppress(Unsatisfiable):
        run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1200,
                        help="generated cases to send in all (at least)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calendar-cases", type=int, default=400,
                        help="then this many more cases (at least) on the operations that "
                        "take a period, day or instant, all drawn at the calendar's edges, "
                        "as the callers with a valid token")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="visitproof-fuzz-") as scratch:
        company = seed_company(Path(scratch), reps=20)
        with LiveServer(company.data_dir,
                        environment={"VISITPROOF_RATE_LIMIT_PER_MINUTE": "0"}) as server:
            known_ids = seed_checkins(server, company)
            schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
            results = list(schema.get_all_operations())
            broken = [str(r.err()) for r in results if isinstance(r, Err)]
            operations = [r.ok() for r in results if isinstance(r, Ok)]
            tallies: dict[str, Tally] = defaultdict(Tally)
            per_round = math.ceil(args.cases / (len(operations) * len(MODES)))
            rounds = 0
            while sum(t.cases for t in tallies.values()) < args.cases and rounds < 20:
                for operation in operations:
                    for mode in MODES:
                        fuzz_operation(operation, mode, base_url=server.url,
                                       who=callers(company), known_ids=known_ids,
                                       examples=per_round, seed=args.seed + rounds,
                                       tally=tallies[operation.label])
                rounds += 1
            calendar_pass(operations, args.calendar_cases, base_url=server.url,
                          who=callers(company), known_ids=known_ids, seed=args.seed,
                          tallies=tallies)
    report(tallies, time.monotonic() - started)
    for problem in broken:
        print(f"\nFAIL the schema: an operation can't be fuzzed: {problem}")
    if broken or any(t.failures for t in tallies.values()):
        sys.exit(1)


def calendar_pass(operations: list[Any], cases: int, *, base_url: str,
                  who: dict[str, str | None], known_ids: list[str], seed: int,
                  tallies: dict[str, Tally]) -> None:
    """At least ``cases`` positive cases on the operations with calendar parameters, each
    with them drawn at the calendar's edges, as callers whose token is valid (a 401 never
    reaches the parsing of a period)."""
    dated = [operation for operation in operations if calendar_parameters(operation)]
    signed_in = {name: token for name, token in who.items()
                 if token is not None and "forged" not in name}
    if not dated or cases <= 0:
        return
    start = sum(t.edge_cases for t in tallies.values())
    per_round = math.ceil(cases / len(dated))
    for rounds in range(20):
        for operation in dated:
            fuzz_operation(operation, schemathesis.GenerationMode.POSITIVE, base_url=base_url,
                           who=signed_in, known_ids=known_ids, examples=per_round,
                           seed=seed + 1000 + rounds, tally=tallies[operation.label],
                           at_the_edges=True)
        if sum(t.edge_cases for t in tallies.values()) - start >= cases:
            return


def report(tallies: dict[str, Tally], elapsed_s: float) -> None:
    cases = sum(t.cases for t in tallies.values())
    failed = sum(t.failed_cases for t in tallies.values())
    server_errors = sum(n for t in tallies.values() for s, n in t.statuses.items() if s >= 500)
    edge_cases = sum(t.edge_cases for t in tallies.values())
    edge_errors = sum(t.edge_server_errors for t in tallies.values())
    print(f"{'operation':<44} {'cases':>6} {'failed':>6}  statuses")
    for label, tally in sorted(tallies.items()):
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(tally.statuses.items()))
        print(f"{label:<44} {tally.cases:>6} {tally.failed_cases:>6}  {statuses}")
    print(f"\n{len(tallies)} operations, {cases} cases in {elapsed_s:.0f} s; failed cases: "
          f"{failed}; 5xx answers: {server_errors}")
    print(f"calendar-edge cases (dates, periods, instants at years 0/1/1969/1970/2199/2200/"
          f"9999, week 53, ...): {edge_cases}; their 5xx answers: {edge_errors}")
    for label, tally in sorted(tallies.items()):
        for title, (example, who) in tally.failures.items():
            print(f"\nFAIL {label}: {title}, as {', '.join(sorted(who))}\n  {example}")


if __name__ == "__main__":
    main()
