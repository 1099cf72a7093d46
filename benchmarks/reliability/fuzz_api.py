"""Fuzz every operation of the service's OpenAPI schema with schemathesis, against a live server.

The server (uvicorn on loopback, :mod:`benchmarks.reliability.live_server`) runs over a seeded
store (:mod:`benchmarks.reliability.company`) with a few check-ins uploaded first, rate limits
off (so generated cases reach the routes instead of the 429). Every operation the schema lists
when this runs is fuzzed in schemathesis' positive and negative modes until ``--cases`` cases
have been sent; each case goes with a caller drawn from: a rep, a rep of another team, a
manager, a director, an admin, a rep of another tenant, no token, a forged token. Path
parameters named ``checkin_id`` are sometimes swapped for an id that exists, so the 200 paths
are reached as well as the 404s.

Each response must pass schemathesis' checks: no 5xx (``not_a_server_error``), a documented
status code, the documented content type and headers, a body that validates against the
documented schema, and negative (schema-violating) input never accepted with a 2xx. Prints
cases and failures per operation, with a curl command for each distinct failure; exits 1 on any.

    python -m benchmarks.reliability.fuzz_api --cases 1200 --seed 7
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
from dataclasses import dataclass, field
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
                   seed: int, tally: Tally) -> None:
    """Send up to ``examples`` generated cases of ``operation`` and check each answer."""
    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @given(case=operation.as_strategy(generation_mode=mode),
           caller=st.sampled_from(sorted(who)), known=st.sampled_from([None, *known_ids]))
    def run(case: Any, caller: str, known: str | None) -> None:
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
        response = case.call(base_url=base_url, timeout=60)
        tally.cases += 1
        tally.statuses[response.status_code] += 1
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
    report(tallies, time.monotonic() - started)
    for problem in broken:
        print(f"\nFAIL the schema: an operation can't be fuzzed: {problem}")
    if broken or any(t.failures for t in tallies.values()):
        sys.exit(1)


def report(tallies: dict[str, Tally], elapsed_s: float) -> None:
    cases = sum(t.cases for t in tallies.values())
    failed = sum(t.failed_cases for t in tallies.values())
    server_errors = sum(n for t in tallies.values() for s, n in t.statuses.items() if s >= 500)
    print(f"{'operation':<44} {'cases':>6} {'failed':>6}  statuses")
    for label, tally in sorted(tallies.items()):
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(tally.statuses.items()))
        print(f"{label:<44} {tally.cases:>6} {tally.failed_cases:>6}  {statuses}")
    print(f"\n{len(tallies)} operations, {cases} cases in {elapsed_s:.0f} s; failed cases: "
          f"{failed}; 5xx answers: {server_errors}")
    for label, tally in sorted(tallies.items()):
        for title, (example, who) in tally.failures.items():
            print(f"\nFAIL {label}: {title}, as {', '.join(sorted(who))}\n  {example}")


if __name__ == "__main__":
    main()
