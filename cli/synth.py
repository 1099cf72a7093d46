"""``visitproof synth``: rendered training and test data.

    visitproof synth shelves --n 1000 --seed 1 --out var/shelves --size 512
    visitproof synth shelves --config datasets/shelves/train-0.1.0.json --out var/shelves
    visitproof synth shelves --n 20 --seed 7 --out var/phone --size 3000-4000

Same arguments, same bytes: photo i depends only on (seed, i) and the catalogue seed. A
``--config`` JSON holds the same keys as the flags (``n``, ``seed``, ``size``,
``catalogue_seed``, ``val_fraction``, ``max_products``); flags given on the command line win.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from vision.synth.dataset import DatasetSpec, parse_size, write_dataset
from visitproof.errors import InvalidInput

_DEFAULTS: dict[str, Any] = {"n": 100, "seed": 0, "size": "640", "catalogue_seed": 0,
                             "val_fraction": 0.1, "max_products": 400}


def register(app: typer.Typer) -> None:
    """Add the ``synth`` command group to ``app``."""
    group = typer.Typer(help="Render synthetic data.", no_args_is_help=True)
    group.command("shelves")(shelves)
    app.add_typer(group, name="synth")


def _load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidInput(f"cannot read dataset config {path}: {error}") from error
    if not isinstance(config, dict):
        raise InvalidInput(f"{path}: expected a JSON object")
    unknown = set(config) - set(_DEFAULTS) - {"comment", "generator_version"}
    if unknown:
        raise InvalidInput(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    return config


def shelves(
    out: Annotated[Path, typer.Option("--out", help="Dataset folder to write.")],
    config: Annotated[Path | None, typer.Option(
        "--config", help="JSON with the keys below (e.g. datasets/shelves/*.json).")] = None,
    n: Annotated[int | None, typer.Option("--n", help="Number of photos [100].")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Scene seed [0].")] = None,
    size: Annotated[str | None, typer.Option(
        "--size", help="640x480 (W×H), 640 (long side, random orientation) or 640-4000 "
        "(long side drawn from the range) [640].")] = None,
    catalogue_seed: Annotated[int | None, typer.Option(
        "--catalogue-seed", help="Seed of the SKU catalogue; keep it across splits [0].")] = None,
    val_fraction: Annotated[float | None, typer.Option(
        "--val-fraction", help="Share of photos in the val split (the last ones) [0.1].")] = None,
    max_products: Annotated[int | None, typer.Option(
        "--max-products", help="Most packs per photo [400].")] = None,
) -> None:
    """Render shelf photos with YOLO labels, sidecar JSON, references and data.yaml."""
    given = {"n": n, "seed": seed, "size": size, "catalogue_seed": catalogue_seed,
             "val_fraction": val_fraction, "max_products": max_products}
    values = {**_DEFAULTS, **_load_config(config),
              **{k: v for k, v in given.items() if v is not None}}
    spec = DatasetSpec(count=int(values["n"]), seed=int(values["seed"]),
                       size=parse_size(str(values["size"])),
                       catalogue_seed=int(values["catalogue_seed"]),
                       val_fraction=float(values["val_fraction"]),
                       max_products=int(values["max_products"]))
    started = time.perf_counter()
    data_yaml = write_dataset(spec, out)
    elapsed = time.perf_counter() - started
    typer.echo(f"wrote {spec.count} photos to {out} in {elapsed:.1f} s "
               f"({elapsed / spec.count * 1000:.0f} ms each)")
    typer.echo(f"ultralytics data file: {data_yaml}")
