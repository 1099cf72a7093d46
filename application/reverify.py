"""Batch re-verification: judge stored check-ins again after a model or rule change, and
report which verdicts flipped.

    report = reverify(settings, since=date(2026, 11, 1), until=date(2026, 11, 30),
                      rules_version=4)
    report.write(settings.data_dir / "reverify" / report.run_id)

1. The window is the check-ins that departed from ``since`` to ``until`` (both days
   included, in the tenant's time zone). Rules: version ``rules_version``, else the tenant's
   current ones (none: judged as without rules). Model: ``model``, else the service's.
2. Ray Data: the check-in ids become a dataset (``ray.data.from_items``) and
   :class:`JudgeBatch` workers (``map_batches``, one detector each) read every check-in and
   its photo from the store and judge it with :meth:`CheckinIntake.judge_stored`, the very
   code that judges an upload, as of the check-in's receipt (its photo history and its
   rep's fixes up to then), plus what the rep's later fixes say of it, which an upload
   could not see (:mod:`application.look_ahead`: the same coordinates sent again on a later
   visit, a run of one accuracy value; review only), found by the driver over the window's
   reps before the workers start. On a cluster every node needs the database URL and the
   photo folder.
3. Storing: each judged check-in gets new verifications beside the old ones (history is
   never overwritten; with a signing key they extend its signed evidence record,
   :mod:`application.evidence_archive`), tagged in ``details`` with ``reverify_run`` (the
   run id) and ``previous_status``, stamped with the rules version; and **its status moves
   to the new verdict**: re-verification exists to correct verdicts after a model or rules
   fix, and the PHI counts only what the current status says is verified. The old verdict
   stays readable in the history, and the flip report lists every change.
4. Resuming: the run id is derived from the window, the rules version and the model file's
   digest (or given). Check-ins that already carry this run's verifications are skipped, so
   re-running the same command after an interruption finishes the rest; the report always
   covers the whole run.
5. A check-in whose photo is missing from the photo store is not judged (no verdict is
   stored, the status stays): the report lists it as ``PHOTO_MISSING_FROM_STORE``, and a
   re-run after restoring the photo judges it.
6. A dry run (``dry_run=True``) judges the same check-ins the same way and reports the
   flips the real run would make, but writes nothing: no verification is stored, no status
   moves, so no resume state is left either (the report says ``dry_run: true``). The
   workers send the would-be verifications back instead of storing them, and the report is
   computed over the check-ins with those appended in memory, by the same code as a real
   run's. It writes no progress file either (point 7): a dry run leaves nothing.
7. Progress: a real run keeps ``progress.json`` in its run folder
   (``DATA_DIR/reverify/RUN_ID/``, beside the report) up to date as batches finish:
   ``{run_id, done, total, started_at, updated_at, finished}``: ``done`` counts the
   check-ins the run has been through (earlier attempts' judged ones included; one whose
   photo is missing counts once this attempt has reached it), ``total`` is the earlier
   attempts' plus what this attempt set out to do (``limit`` included), the times are UTC
   ISO 8601 (``started_at``: this attempt's). Each
   write goes to a temporary file renamed over the old one, so a reader (the service's
   ``/metrics``, :func:`recent_progress`) never sees half a file. An attempt that fails
   leaves ``finished: false`` and a stale ``updated_at``.

A check-in's status before and after is :func:`visitproof.verdicts.checkin_verdict`'s: each
checker's latest verification counts, so a check the run does not repeat (the simulator's
``photo_reuse``) still stands beside the run's.

The flip report: check-ins whose status changed (old → new, reason codes gained and lost),
counts by transition and by reason code of the new verdicts, written as ``flips.json`` and
``flips.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import numpy as np

from application.checkin_intake import CheckinIntake, IntakePolicies
from application.evidence_archive import EvidenceArchive, record_verifications
from application.look_ahead import later_fix_reasons
from application.product_references import load_embedder
from application.rule_book import RuleBook
from application.settings import Settings
from application.signing_keys import SigningKeys
from vision.detector import DetectorConfig, ShelfDetector
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import Checkin, CheckinStatus, Reason, Verification
from visitproof.store import Checkins, Database, PhotoStore, ReferenceData, Store, open_database
from visitproof.values import utc_now
from visitproof.verdicts import CheckinVerdict, checkin_verdict, verdict_of

RUN_TAG = "reverify_run"
PHOTO_MISSING = "PHOTO_MISSING_FROM_STORE"
PROGRESS_FILE = "progress.json"


@dataclass(frozen=True, slots=True)
class ReverifyJob:
    """Everything a worker needs to judge check-ins of one run (picklable, sent to Ray)."""

    tenant_id: str
    run_id: str
    database_url: str
    busy_timeout_s: float
    photos_dir: Path
    model: Path
    embedder: Path | None
    threads: int
    fix_history: timedelta
    rules_version: int | None
    judged_at: datetime
    dry_run: bool = False
    # look-ahead reasons by check-in id (application.look_ahead), found by the driver
    later_fix_reasons: Mapping[str, tuple[Reason, ...]] = field(default_factory=dict)
    # the evidence archive the new verifications are appended to (None: not archived)
    archive_dir: Path | None = None
    signing_key: Path | None = None


@dataclass(frozen=True, slots=True)
class Flip:
    """One check-in whose status changed in the run, and the reason codes behind it."""

    checkin_id: UUID
    rep_id: str
    customer_id: str
    departed_at: datetime
    old_status: CheckinStatus
    new_status: CheckinStatus
    gained: tuple[str, ...]
    lost: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FlipReport:
    """What one run did (the whole run, across resumed attempts)."""

    run_id: str
    tenant_id: str
    since: date
    until: date
    rules_version: int | None
    model: str
    in_window: int
    judged_now: int
    already_done: int
    photo_missing: tuple[tuple[UUID, str], ...]
    flips: tuple[Flip, ...]
    judged_in_run: int
    by_transition: dict[str, int] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "dry_run": self.dry_run, "tenant": self.tenant_id,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(), "rules_version": self.rules_version,
            "model": self.model, "checkins_in_window": self.in_window,
            "judged_in_run": self.judged_in_run, "judged_now": self.judged_now,
            "already_done": self.already_done,
            "photo_missing": [{"checkin_id": str(checkin_id), "code": PHOTO_MISSING,
                               "message": message}
                              for checkin_id, message in self.photo_missing],
            "flipped": len(self.flips), "by_transition": self.by_transition,
            "by_reason": self.by_reason,
            "flips": [{"checkin_id": str(f.checkin_id), "rep_id": f.rep_id,
                       "customer_id": f.customer_id, "departed_at": f.departed_at.isoformat(),
                       "old_status": f.old_status.value, "new_status": f.new_status.value,
                       "gained": list(f.gained), "lost": list(f.lost)} for f in self.flips],
        }

    def write(self, folder: Path) -> tuple[Path, Path]:
        """``flips.json`` (the whole report) and ``flips.csv`` (one row per flip)."""
        folder.mkdir(parents=True, exist_ok=True)
        json_path, csv_path = folder / "flips.json", folder / "flips.csv"
        json_path.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["checkin_id", "rep_id", "customer_id", "departed_at",
                             "old_status", "new_status", "gained", "lost"])
            for f in self.flips:
                writer.writerow([f.checkin_id, f.rep_id, f.customer_id,
                                 f.departed_at.isoformat(), f.old_status.value,
                                 f.new_status.value, " ".join(f.gained), " ".join(f.lost)])
        return json_path, csv_path


@dataclass(frozen=True, slots=True)
class RunProgress:
    """How far a run has come: the content of its ``progress.json`` (point 7)."""

    run_id: str
    done: int
    total: int
    started_at: datetime
    updated_at: datetime
    finished: bool

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "done": self.done, "total": self.total,
                "started_at": self.started_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "finished": self.finished}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> RunProgress:
        """The progress :meth:`as_json` wrote; ``KeyError``, ``TypeError`` or ``ValueError``
        for anything else."""
        done, total, finished = payload["done"], payload["total"], payload["finished"]
        if not (isinstance(done, int) and isinstance(total, int)
                and isinstance(finished, bool)):
            raise TypeError("done and total must be integers, finished a boolean")
        return cls(run_id=str(payload["run_id"]), done=done, total=total,
                   started_at=datetime.fromisoformat(payload["started_at"]),
                   updated_at=datetime.fromisoformat(payload["updated_at"]),
                   finished=finished)

    def write(self, folder: Path) -> Path:
        """``folder/progress.json``, replaced atomically (temporary file, then rename)."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / PROGRESS_FILE
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed before the rename)
            "w", encoding="utf-8", dir=folder, prefix=".progress-", suffix=".tmp",
            delete=False)
        try:
            with handle:
                json.dump(self.as_json(), handle)
                handle.write("\n")
            os.replace(handle.name, target)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return target


def recent_progress(runs: Path, newest: int) -> list[RunProgress]:
    """The progress of the ``newest`` runs under ``runs`` (``DATA_DIR/reverify``), by their
    progress file's modification time, newest first. Files that can't be read or parsed
    are left out: a scrape never fails on a run folder someone edited by hand."""
    stamped = []
    for path in runs.glob(f"*/{PROGRESS_FILE}"):
        try:
            stamped.append((path.stat().st_mtime, path))
        except OSError:
            continue
    found = []
    for _, path in sorted(stamped, reverse=True)[:newest]:
        try:
            found.append(RunProgress.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


class _ProgressFile:
    """The run's ``progress.json`` kept current (no file at all for a dry run)."""

    def __init__(self, folder: Path | None, run_id: str, already_done: int,
                 to_do: int) -> None:
        self.folder, self.run_id = folder, run_id
        self.already_done, self.to_do = already_done, to_do
        self.started_at = utc_now()

    def update(self, done: int, *, finished: bool = False) -> None:
        if self.folder is None:
            return
        RunProgress(run_id=self.run_id, done=self.already_done + done,
                    total=self.already_done + self.to_do, started_at=self.started_at,
                    updated_at=utc_now(), finished=finished).write(self.folder)


class JudgeBatch:
    """The ``map_batches`` worker: one detector and intake per worker, a batch of check-in
    ids in, one outcome per id out (``judged``, ``already_done``, ``photo_missing``,
    ``gone``). A judged one's message is its new status, or in a dry run the would-be
    verifications as JSON (nothing stored)."""

    def __init__(self, job: ReverifyJob) -> None:
        self.job = job
        self.database = open_database(job.database_url, busy_timeout_s=job.busy_timeout_s)
        self.photos = PhotoStore(job.photos_dir)
        self.archive = (None if job.archive_dir is None or job.signing_key is None else
                        EvidenceArchive(job.archive_dir, SigningKeys(job.signing_key),
                                        self.photos))
        detector = ShelfDetector(job.model, DetectorConfig(threads=job.threads))
        self.intake = CheckinIntake(self.database, self.photos, detector,
                                    IntakePolicies(fix_history=job.fix_history),
                                    load_embedder(job.embedder, job.threads))
        with self.database.connect() as connection:
            self.rules = (None if job.rules_version is None
                          else RuleBook(connection, job.tenant_id).get(job.rules_version))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        outcomes = [self.judge_one(UUID(str(checkin_id))) for checkin_id in batch["checkin_id"]]
        return {"checkin_id": [str(o[0]) for o in outcomes],
                "outcome": [o[1] for o in outcomes], "message": [o[2] for o in outcomes]}

    def judge_one(self, checkin_id: UUID) -> tuple[UUID, str, str]:
        job = self.job
        with self.database.connect() as connection:
            store = Store(connection, job.tenant_id)
            checkin = store.checkins.get(checkin_id)
            if checkin is None:
                return checkin_id, "gone", "the check-in is no longer in the store"
            if _run_checks(checkin, job.run_id):
                return checkin_id, "already_done", ""
            try:
                photo = self.photos.get(checkin.photo_sha256)
            except NotFound:
                return checkin_id, "photo_missing", (
                    f"photo {checkin.photo_sha256} is not in the photo store "
                    f"{job.photos_dir}; restore it and run the same command again")
            # Judged on a read connection; the write below is short (SQLite has one writer).
            judgement = self.intake.judge_stored(
                store, checkin, photo, self.rules, judged_at=job.judged_at,
                later_fix_reasons=job.later_fix_reasons.get(str(checkin_id), ()))
        tagged = tagged_checks(judgement.verifications, job.run_id, checkin.status)
        if job.dry_run:
            return checkin_id, "judged", encode_checks(tagged)
        status = checkin_verdict(replace(
            checkin, verifications=(*checkin.verifications, *tagged))).status
        with self.database.begin() as connection:
            Checkins(connection, job.tenant_id).add_verifications(
                tagged, update_status=(checkin.id, status))
        # after the commit, like an upload: each new verification extends the signed record
        record_verifications(self.archive, self.database, [replace(
            checkin, status=status, verifications=(*checkin.verifications, *tagged))])
        return checkin_id, "judged", status.value


def reverify(settings: Settings, *, since: date, until: date, model: Path | None = None,
             rules_version: int | None = None, ray_address: str | None = None,
             run_id: str | None = None, limit: int | None = None, workers: int = 1,
             cpus_per_worker: float = 1.0, batch_size: int = 8,
             progress: Callable[[int, int], None] | None = None,
             dry_run: bool = False) -> FlipReport:
    """Judge the window's check-ins again (module docstring) and report the flips.
    ``limit`` judges at most that many this time (a sample; re-run to finish).
    ``dry_run`` reports the flips without storing anything (point 6).
    ``progress(done, total)`` is called as batches finish (this attempt's counts), while
    ``data_dir/reverify/RUN_ID/progress.json`` follows the whole run (point 7). Ray is
    started locally unless it already runs in this process or ``ray_address`` names a
    cluster."""
    if until < since:
        raise InvalidValue("until", f"{until} is before --since {since}", code="BAD_PERIOD")
    tenant_id = settings.tenant
    model_path = model or settings.resolved_detector_model
    if not model_path.is_file():
        raise NotFound(f"no model file {model_path}")
    database = open_database(settings.resolved_database_url,
                             busy_timeout_s=settings.db_busy_timeout_s)
    try:
        database.require_current()
        window, rules_version = _window_and_rules(database, tenant_id, since, until,
                                                  rules_version)
        run_id = run_id or default_run_id(since, until, rules_version, model_path)
        job = ReverifyJob(
            tenant_id=tenant_id, run_id=run_id, database_url=settings.resolved_database_url,
            busy_timeout_s=settings.db_busy_timeout_s, photos_dir=settings.photos_dir,
            model=model_path, embedder=settings.resolved_embedder_model,
            threads=settings.detector_threads,
            fix_history=timedelta(days=settings.fix_history_days),
            rules_version=rules_version, judged_at=utc_now(), dry_run=dry_run,
            archive_dir=settings.archive_dir, signing_key=settings.signing_key_path)
        with database.connect() as connection:
            stored = Checkins(connection, tenant_id).find(departed_from=window[0],
                                                          departed_until=window[1])
            waiting = [c for c in stored if not _run_checks(c, run_id)]
            already_done = len(stored) - len(waiting)
            if limit is not None:
                waiting = waiting[:limit]
            job = replace(job, later_fix_reasons=later_fix_reasons(
                connection, tenant_id, waiting, history=job.fix_history,
                now=job.judged_at, policy=IntakePolicies().fix))
        to_do = [c.id for c in waiting]
        tracker = _ProgressFile(None if dry_run else settings.data_dir / "reverify" / run_id,
                                run_id, already_done=already_done, to_do=len(to_do))
        tracker.update(0)

        def advance(done: int, total: int) -> None:
            tracker.update(done)
            if progress is not None:
                progress(done, total)

        outcomes = _run_on_ray(job, to_do, ray_address=ray_address, workers=workers,
                               cpus_per_worker=cpus_per_worker, batch_size=batch_size,
                               progress=advance) if to_do else []
        tracker.update(len(outcomes), finished=True)
        if dry_run:
            after = would_be(stored, outcomes)
        else:
            with database.connect() as connection:
                after = Checkins(connection, tenant_id).find(departed_from=window[0],
                                                             departed_until=window[1])
    finally:
        database.dispose()
    return flip_report(after, job, since=since, until=until, outcomes=outcomes,
                       already_done=already_done)


def flip_report(checkins: Sequence[Checkin], job: ReverifyJob, *, since: date, until: date,
                outcomes: Sequence[tuple[str, str, str]], already_done: int) -> FlipReport:
    """The report of run ``job.run_id`` over ``checkins`` (read after the run) and this
    attempt's ``outcomes`` (check-in id, outcome, message)."""
    flips: list[Flip] = []
    by_reason: Counter[str] = Counter()
    judged = 0
    for checkin in checkins:
        split = _old_and_new(checkin, job.run_id)
        if split is None:
            continue
        judged += 1
        old, previous = split
        new = checkin_verdict(checkin)
        status = new.status
        if status is previous:
            continue
        old_codes, new_codes = _codes(old.reasons), _codes(new.reasons)
        by_reason.update(new_codes)
        flips.append(Flip(checkin_id=checkin.id, rep_id=checkin.rep_id,
                          customer_id=checkin.customer_id, departed_at=checkin.departed_at,
                          old_status=previous, new_status=status,
                          gained=tuple(c for c in new_codes if c not in old_codes),
                          lost=tuple(c for c in old_codes if c not in new_codes)))
    transitions = Counter(f"{f.old_status.value}->{f.new_status.value}" for f in flips)
    missing = tuple((UUID(checkin_id), message) for checkin_id, outcome, message in outcomes
                    if outcome == "photo_missing")
    return FlipReport(
        run_id=job.run_id, tenant_id=job.tenant_id, since=since, until=until,
        rules_version=job.rules_version, model=job.model.name, in_window=len(checkins),
        judged_now=sum(1 for _, outcome, _ in outcomes if outcome == "judged"),
        already_done=already_done, photo_missing=missing, flips=tuple(flips),
        judged_in_run=judged, by_transition=dict(sorted(transitions.items())),
        by_reason=dict(by_reason.most_common()), dry_run=job.dry_run)


def tagged_checks(verifications: Iterable[Verification], run_id: str,
                  previous: CheckinStatus) -> list[Verification]:
    """``verifications`` tagged with the run (``reverify_run``) and the status before it."""
    tag = {RUN_TAG: run_id, "previous_status": previous.value}
    return [replace(v, details={**v.details, **tag}) for v in verifications]


def encode_checks(verifications: Sequence[Verification]) -> str:
    """Would-be verifications as JSON, for a dry run's worker to send back (Ray batches
    carry strings); :func:`decode_checks` reads them."""
    return json.dumps([{"checkin_id": str(v.checkin_id), "checker": v.checker,
                        "status": v.status.value,
                        "reasons": [{"code": r.code, "message": r.message} for r in v.reasons],
                        "model_version": v.model_version, "policy_version": v.policy_version,
                        "verified_at": v.verified_at.isoformat(),
                        "rules_version": v.rules_version,
                        "details": {RUN_TAG: v.details.get(RUN_TAG),
                                    "previous_status": v.details.get("previous_status")}}
                       for v in verifications])


def decode_checks(text: str) -> list[Verification]:
    """The verifications :func:`encode_checks` wrote (``details`` keeps only the run tag)."""
    return [Verification(checkin_id=UUID(item["checkin_id"]), checker=item["checker"],
                         status=CheckinStatus(item["status"]),
                         reasons=tuple(Reason(code=r["code"], message=r["message"])
                                       for r in item["reasons"]),
                         model_version=item["model_version"],
                         policy_version=item["policy_version"],
                         verified_at=datetime.fromisoformat(item["verified_at"]),
                         rules_version=item["rules_version"], details=item["details"])
            for item in json.loads(text)]


def would_be(checkins: Sequence[Checkin], outcomes: Sequence[tuple[str, str, str]]
             ) -> list[Checkin]:
    """``checkins`` as a real run would have left them: each judged one with the dry run's
    would-be verifications appended and its status moved (in memory only)."""
    judged = {UUID(checkin_id): decode_checks(message)
              for checkin_id, outcome, message in outcomes if outcome == "judged"}
    out = []
    for checkin in checkins:
        extra = judged.get(checkin.id)
        if extra:
            checkin = replace(checkin, verifications=(*checkin.verifications, *extra))
            checkin = replace(checkin, status=checkin_verdict(checkin).status)
        out.append(checkin)
    return out


def default_run_id(since: date, until: date, rules_version: int | None, model: Path) -> str:
    """``20261101-20261130_rules-4_shelf-detector-0.1.0-1a2b3c4d``: the same command names
    the same run (so it resumes); another window, rules version or model file, another."""
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:8]
    rules = "none" if rules_version is None else str(rules_version)
    name = f"{since:%Y%m%d}-{until:%Y%m%d}_rules-{rules}_{model.stem}-{digest}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _window_and_rules(database: Database, tenant_id: str, since: date, until: date,
                      rules_version: int | None) -> tuple[tuple[datetime, datetime],
                                                          int | None]:
    with database.connect() as connection:
        tenant = ReferenceData(connection, tenant_id).require_tenant()
        rule_sets = RuleBook(connection, tenant_id)
        if rules_version is None:
            rules_version = rule_sets.latest_version()
        elif rule_sets.get(rules_version) is None:
            raise NotFound(f"tenant {tenant_id!r} has no rules version {rules_version}; "
                           "see `visitproof rules show`")
    zone = ZoneInfo(tenant.timezone)
    start = datetime.combine(since, time(0), zone)
    end = datetime.combine(until + timedelta(days=1), time(0), zone)
    return (start, end), rules_version


def _run_on_ray(job: ReverifyJob, checkin_ids: Sequence[UUID], *, ray_address: str | None,
                workers: int, cpus_per_worker: float, batch_size: int,
                progress: Callable[[int, int], None] | None) -> list[tuple[str, str, str]]:
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        # A local Ray gets just the CPUs the workers ask for; a cluster has its own.
        num_cpus = None if ray_address else max(1, math.ceil(workers * cpus_per_worker))
        ray.init(address=ray_address, num_cpus=num_cpus, include_dashboard=False,
                 log_to_driver=False)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ours is the one the operator sees
        dataset = ray.data.from_items([{"checkin_id": str(i)} for i in checkin_ids]) \
            .map_batches(JudgeBatch, fn_constructor_args=(job,), batch_size=batch_size,
                         compute=ray.data.ActorPoolStrategy(size=workers),
                         num_cpus=cpus_per_worker)
        outcomes: list[tuple[str, str, str]] = []
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            outcomes.extend(_rows(batch))
            if progress is not None:
                progress(len(outcomes), len(checkin_ids))
        return outcomes
    finally:
        if started_here:
            ray.shutdown()


def _rows(batch: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    return zip((str(v) for v in batch["checkin_id"]), (str(v) for v in batch["outcome"]),
               (str(v) for v in batch["message"]), strict=True)


def _run_checks(checkin: Checkin, run_id: str) -> list[Verification]:
    return [v for v in checkin.verifications if v.details.get(RUN_TAG) == run_id]


def _old_and_new(checkin: Checkin, run_id: str
                 ) -> tuple[CheckinVerdict, CheckinStatus] | None:
    """(the verdict before the run, the status before the run); None when the run hasn't
    judged the check-in."""
    run = _run_checks(checkin, run_id)
    if not run:
        return None
    first = next(i for i, v in enumerate(checkin.verifications) if v.details.get(RUN_TAG)
                 == run_id)
    previous = CheckinStatus(str(run[0].details.get("previous_status", checkin.status)))
    return verdict_of(checkin.verifications[:first], stored_status=previous), previous


def _codes(reasons: Iterable[Reason]) -> list[str]:
    return list(dict.fromkeys(r.code for r in reasons))
