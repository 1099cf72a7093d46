"""``visitproof simulate``: generate a labelled Hangzhou field-sales dataset into the store
and as GeoParquet under ``<data_dir>/simulation/``."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from application.settings import build_settings
from cli.options import DataDirOption


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to ``app``."""

    @app.command("simulate")
    def simulate_command(
        reps: Annotated[int, typer.Option(help="Number of field reps.")] = 150,
        customers: Annotated[int, typer.Option(help="Number of customers.")] = 3000,
        days: Annotated[int, typer.Option(help="Calendar days (Sundays off).")] = 30,
        seed: Annotated[int, typer.Option(help="Random seed; same seed, same data.")] = 1,
        fraud_rate: Annotated[float, typer.Option(help="Share of fraudulent check-ins.")]
        = 0.05,
        data_dir: DataDirOption = None,
    ) -> None:
        """Simulate a distributor's reps, customers, visits and labelled fraud."""
        # Imported here so the CLI starts even where the simulator isn't installed.
        from simulation.scenario import SimulationConfig, simulate
        from simulation.writer import write_geoparquet, write_store

        started = time.perf_counter()
        settings = build_settings(data_dir=data_dir)
        config = SimulationConfig(reps=reps, customers=customers, days=days, seed=seed,
                                  fraud_rate=fraud_rate, tenant=settings.tenant)
        result = simulate(config)
        counts = write_store(result, settings.resolved_database_url)
        folder = write_geoparquet(result, settings.data_dir)
        statuses = result.checkins["status"].value_counts().to_dict()
        typer.echo(f"simulated {counts['checkins']:,} check-ins "
                   f"({int((result.checkins['fraud_type'] != '').sum()):,} fraudulent) for "
                   f"{counts['reps']} reps and {counts['customers']:,} customers, "
                   f"{counts['leads']:,} leads, in {time.perf_counter() - started:.1f} s")
        typer.echo("statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))
        typer.echo(f"store: {settings.resolved_database_url} (tenant {settings.tenant})")
        typer.echo(f"GeoParquet and labels: {folder}")
