"""``visitproof simulate``: generate a labelled Hangzhou field-sales dataset into the store
and as GeoParquet under ``<data_dir>/simulation/``."""

from __future__ import annotations

import time
from pathlib import Path
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
        photo_days: Annotated[int, typer.Option(
            min=0, help="Render shelf photos for the check-ins of the last N days (0: none).")
        ] = 7,
        photo_workers: Annotated[int, typer.Option(
            min=1, max=64, help="Processes rendering photos.")] = 2,
        photo_cache: Annotated[Path | None, typer.Option(
            help="Rendered photos kept by seed [default: <data-dir>/cache/shelf-photos].")]
        = None,
        data_dir: DataDirOption = None,
    ) -> None:
        """Simulate a distributor's reps, customers, visits and labelled fraud."""
        # Imported here so the CLI starts even where the simulator isn't installed.
        from simulation.scenario import SimulationConfig, simulate
        from simulation.shelf_photos import render_photos, with_photos
        from simulation.writer import write_geoparquet, write_store
        from visitproof.store import PhotoStore

        started = time.perf_counter()
        settings = build_settings(data_dir=data_dir)
        config = SimulationConfig(reps=reps, customers=customers, days=days, seed=seed,
                                  fraud_rate=fraud_rate, tenant=settings.tenant)
        result = simulate(config)
        photo_line = "no shelf photos (--photo-days 0)"
        if photo_days > 0:
            photo_started = time.perf_counter()
            photos = render_photos(
                result, photo_days=photo_days, workers=photo_workers,
                cache_dir=photo_cache or settings.data_dir / "cache" / "shelf-photos")
            result = with_photos(result, photos)
            # photos before the rows that point at them (visitproof.store.photos)
            distinct = photos.put_into(PhotoStore(settings.photos_dir))
            done = ("reused" if photos.cached else "rendered")
            with_photo = int(result.checkins["photo_phash"].notna().sum())
            photo_line = (f"{done} {distinct:,} shelf photos for {with_photo:,} check-ins "
                          f"(the last {photo_days} days') in "
                          f"{time.perf_counter() - photo_started:.1f} s")
        counts = write_store(result, settings.resolved_database_url)
        folder = write_geoparquet(result, settings.data_dir)
        statuses = result.checkins["status"].value_counts().to_dict()
        typer.echo(f"simulated {counts['checkins']:,} check-ins "
                   f"({int((result.checkins['fraud_type'] != '').sum()):,} fraudulent) for "
                   f"{counts['reps']} reps and {counts['customers']:,} customers, "
                   f"{counts['leads']:,} leads, in {time.perf_counter() - started:.1f} s")
        typer.echo(photo_line)
        typer.echo("statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))
        typer.echo(f"store: {settings.resolved_database_url} (tenant {settings.tenant})")
        typer.echo(f"GeoParquet and labels: {folder}")
