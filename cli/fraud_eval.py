"""``visitproof eval fraud``: recall per fraud type and the honest false-reject rate over the
simulated data in the data folder."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from application.settings import build_settings
from cli.options import DataDirOption

if TYPE_CHECKING:
    from simulation.evaluation import FraudEvaluation

TARGET_RECALL = 0.98
TARGET_FALSE_REJECT = 0.01
TARGETED = ("backfill", "remote", "teleport", "clock_tampering", "photo_reuse")
TARGETED_IN_BATCH = ("mock_location",)  # every variant, with look-ahead


def _variant_table(result: FraudEvaluation) -> None:
    """Per fraud variant: recall and rejected share at upload time (past fixes only) and in
    batch re-verification (look-ahead), then the honest rates and spoofing codes in batch."""
    typer.echo("")
    typer.echo(f"{'fraud variant':<32}{'n':>6}{'upload-time':>13}{'rejected':>10}"
               f"{'batch':>8}{'rejected':>10}  target (batch)")
    for name, recall in result.variant_recall.items():
        target = f">= {TARGET_RECALL}" if name.split("/")[0] in TARGETED_IN_BATCH else "-"
        typer.echo(f"{name:<32}{result.variant_support.get(name, 0):>6}{recall:>13.3f}"
                   f"{result.variant_reject_recall.get(name, 0.0):>10.3f}"
                   f"{result.batch_variant_recall.get(name, 0.0):>8.3f}"
                   f"{result.batch_variant_reject_recall.get(name, 0.0):>10.3f}  {target}")
    typer.echo(f"batch, honest check-ins: false-reject rate "
               f"{result.batch_honest_false_reject_rate:.4f} (target <= {TARGET_FALSE_REJECT}), "
               f"sent to review {result.batch_honest_review_rate:.4f}")
    codes = ", ".join(f"{code} {share:.5f}" for code, share in result.batch_honest_codes.items())
    typer.echo(f"batch, share of honest check-ins per spoofing code: {codes}")


def eval_group(app: typer.Typer) -> typer.Typer:
    """The ``eval`` sub-command group of ``app``: the one already registered (the detector
    adds one) or a new one, so every ``eval X`` command shares it."""
    for info in app.registered_groups:
        if info.name == "eval" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help="Evaluate models and checks.", no_args_is_help=True)
    app.add_typer(group, name="eval")
    return group


def register(app: typer.Typer) -> None:
    """Add ``eval fraud`` to ``app``."""
    group = eval_group(app)

    @group.command("fraud")
    def fraud_command(
        data_dir: DataDirOption = None,
        seed: Annotated[int | None, typer.Option(help="Expected simulation seed.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Per fraud type recall, and the false-reject rate on honest check-ins."""
        # Imported here so the CLI starts even where the simulator isn't installed.
        from simulation.evaluation import evaluate_fraud, evaluate_travel

        settings = build_settings(data_dir=data_dir)
        result = evaluate_fraud(settings.data_dir, seed=seed)
        travel = evaluate_travel(result.seed)
        if as_json:
            typer.echo(json.dumps({**result.as_json(), "travel": travel.as_json()}, indent=2,
                                  sort_keys=True))
            return
        typer.echo(f"{'fraud type':<18}{'n':>6}{'recall':>9}{'rejected':>10}"
                   f"{'batch':>8}  target")
        for kind, recall in result.recall.items():
            target = f">= {TARGET_RECALL}" if kind in TARGETED else "-"
            typer.echo(f"{kind:<18}{result.support[kind]:>6}{recall:>9.3f}"
                       f"{result.reject_recall[kind]:>10.3f}"
                       f"{result.batch_recall.get(kind, 0.0):>8.3f}  {target}")
        typer.echo(f"honest check-ins: {result.honest_checkins:,}, false-reject rate "
                   f"{result.honest_false_reject_rate:.4f} (target <= {TARGET_FALSE_REJECT}), "
                   f"sent to review {result.honest_review_rate:.4f}")
        _variant_table(result)
        modes = ", ".join(f"{mode} {n}: {travel.track_flag_rate[mode]:.4f} of tracks and "
                          f"{travel.door_to_door_flag_rate[mode]:.4f} door to door flagged"
                          for mode, n in sorted(travel.trips.items()))
        typer.echo(f"honest intercity trips ({travel.fixes:,} fixes): {modes}; teleports "
                   f"in their tracks caught {travel.teleport_recall:.3f} of {travel.teleports}")
