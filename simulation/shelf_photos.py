"""Shelf photos for simulated check-ins, so the drill-down and ``visitproof reverify`` have
real bytes to look at.

    photos = render_photos(sim, photo_days=7, cache_dir=data_dir / "cache" / "shelf-photos")
    sim = with_photos(sim, photos)          # photo_sha256 -> the JPEG's, photo_phash added
    photos.put_into(PhotoStore(settings.photos_dir))

Which check-ins get one: every check-in of the last ``photo_days`` simulated days, and every
earlier check-in whose photo one of them re-uses (a ``photo_reuse`` fraud copies an earlier
check-in's photo, so that original needs the same bytes). The others keep the placeholder
digest :func:`simulation.days.photo_digest` gave them.

What each gets, as the fraud labels say:

- honest (and most frauds, whose photo is genuine): a photo of its own. Rendering a scene
  per photo costs about 0.3 s, so the renderer (:func:`vision.synth.scene.render_scene`)
  draws a few large (1920×1440) "base" scenes and each photo is a 640×480 window of one,
  with its own exposure and JPEG quality. A window is used only when its perceptual hash is
  at least :data:`MIN_DISTANCE` bits from every one already used, so no honest photo looks
  like a near-duplicate or a stale shelf to :mod:`vision.near_duplicates`;
- ``photo_reuse``: the very bytes of the earlier check-in's photo (it shares the
  placeholder digest, so it shares the photo: the exact-reuse check fires);
- ``exif_mismatch`` / ``old_photo`` (an old photo re-sent): a near-identical copy of the
  customer's latest earlier photo, re-encoded, a little brighter and trimmed (a few bits
  of pHash away: ``PHOTO_STALE_SHELF``); without an earlier photo of that customer, its own.

Rendering runs in ``workers`` processes (one base scene per task). Photos are cached under
``cache_dir/seed-<seed>/``: the same simulation run again (same seed and size) reuses them.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from simulation.fraud import FraudType
from simulation.scenario import Simulation
from vision.perceptual_hash import perceptual_hash, to_signed
from vision.photo_decode import decode_photo
from vision.synth.catalogue import Sku, build_catalogue
from vision.synth.dataset import DatasetSpec
from vision.synth.scene import render_scene
from visitproof.store import PhotoStore

RENDER_VERSION = "shelf-photos-2"
PHOTO_SIZE = (640, 480)  # width, height: the quality check's smallest short side is 480
BASE_SIZE = (1920, 1440)  # one render gives 11 × 9 windows
# Each photo is a window of two thirds of the scene, scaled down to PHOTO_SIZE: it shows
# whole decks, as a rep stepping back does (a 640 × 480 window at full scale often held no
# deck edge, or too little texture, and was judged NO_SHELF_FOUND or PHOTO_BLURRY).
WINDOW_SIZE = (1280, 960)
STEP = (64, 60)  # window offsets within a base scene
MIN_DISTANCE = 12  # bits of pHash between any two distinct photos
BASE_PRODUCTS = 400


@dataclass(frozen=True, slots=True)
class RenderedPhoto:
    """One photo: its JPEG bytes, SHA-256 and 64-bit perceptual hash (unsigned)."""

    data: bytes
    sha256: str
    phash: int


@dataclass(frozen=True, slots=True)
class ShelfPhotos:
    """The photos of one simulation: ``by_placeholder`` maps a check-in's placeholder
    digest to its photo. ``rendered`` is how many were rendered now (0: all from the
    cache), ``seconds`` the time it took."""

    by_placeholder: dict[str, RenderedPhoto]
    rendered: int
    seconds: float
    cached: bool

    def put_into(self, store: PhotoStore) -> int:
        """Write every photo into ``store`` (idempotent); returns how many distinct ones."""
        for photo in self.by_placeholder.values():
            store.put(photo.data, photo.sha256)
        return len({p.sha256 for p in self.by_placeholder.values()})


def photo_rows(frame: pd.DataFrame, days: int, photo_days: int) -> np.ndarray:
    """Positions of the check-ins that get a photo: the last ``photo_days`` days', and the
    earlier ones whose placeholder digest (hence photo) one of those re-uses."""
    window = frame["day"].to_numpy() >= days - photo_days
    wanted = set(frame["photo_sha256"].to_numpy()[window])
    return np.flatnonzero(frame["photo_sha256"].isin(wanted).to_numpy())


def render_photos(sim: Simulation, *, photo_days: int = 7, cache_dir: Path | None = None,
                  workers: int = 2) -> ShelfPhotos:
    """The photos of ``sim``'s check-ins (module docstring), from ``cache_dir`` when it
    holds them all, else rendered with ``workers`` processes (and cached)."""
    started = time.perf_counter()
    frame = sim.checkins
    rows = photo_rows(frame, sim.config.days, photo_days)
    ordered = frame.iloc[rows].sort_values(["submitted_at", "checkin_id"])
    owners = ordered.drop_duplicates("photo_sha256")  # the first check-in with each photo
    folder = None if cache_dir is None else cache_dir / f"seed-{sim.config.seed}"
    cached = _read_cache(folder, owners["photo_sha256"].tolist())
    if cached is not None:
        return ShelfPhotos(cached, 0, time.perf_counter() - started, True)
    stale_of = _stale_sources(owners)
    fresh = [p for p in owners["photo_sha256"] if p not in stale_of]
    photos = dict(zip(fresh, _distinct_photos(sim.config.seed, len(fresh), workers),
                      strict=True))
    for placeholder, source in stale_of.items():  # sources come first: submitted earlier
        photos[placeholder] = near_copy(photos[source], seed=int(placeholder[:8], 16))
    if folder is not None:
        _write_cache(folder, photos)
    return ShelfPhotos(photos, len(photos), time.perf_counter() - started, False)


def with_photos(sim: Simulation, photos: ShelfPhotos) -> Simulation:
    """``sim`` with each photographed check-in's ``photo_sha256`` set to its photo's and a
    ``photo_phash`` column (signed 64-bit, as stored; missing elsewhere)."""
    frame = sim.checkins.copy()
    found = [photos.by_placeholder.get(p) for p in frame["photo_sha256"]]
    frame["photo_sha256"] = [p.sha256 if p else old
                             for p, old in zip(found, frame["photo_sha256"], strict=True)]
    frame["photo_phash"] = pd.array([to_signed(p.phash) if p else None for p in found],
                                    dtype="Int64")
    return replace(sim, checkins=frame)


def near_copy(photo: RenderedPhoto, *, seed: int) -> RenderedPhoto:
    """``photo`` re-sent: 2-5% brighter and re-encoded at another quality: other bytes, a
    pHash within a few bits (even a trim of a few pixels moves a scaled-down shelf's hash
    past the stale threshold)."""
    rng = np.random.default_rng(seed)
    image = np.asarray(cv2.imdecode(np.frombuffer(photo.data, np.uint8), cv2.IMREAD_COLOR),
                       np.uint8)
    brighter = cv2.convertScaleAbs(image, alpha=float(rng.uniform(1.02, 1.05)), beta=0)
    return _photo(_jpeg(brighter, int(rng.integers(75, 89))))


def _stale_sources(owners: pd.DataFrame) -> dict[str, str]:
    """Placeholder of each old photo re-sent → placeholder of the photo it copies (the
    customer's latest earlier one, not itself a copy)."""
    latest: dict[str, str] = {}
    out: dict[str, str] = {}
    for row in owners.itertuples(index=False):
        source = latest.get(row.customer_id)
        if (row.fraud_type == FraudType.EXIF_MISMATCH and row.fraud_variant == "old_photo"
                and source is not None):
            out[row.photo_sha256] = source
        else:
            latest[row.customer_id] = row.photo_sha256
    return out


def _distinct_photos(seed: int, count: int, workers: int) -> list[RenderedPhoto]:
    """``count`` photos, each at least :data:`MIN_DISTANCE` pHash bits from the others:
    windows of base scenes rendered ``workers`` at a time, kept greedily in base order."""
    kept: list[RenderedPhoto] = []
    hashes = np.zeros(0, np.uint64)
    context = multiprocessing.get_context("spawn")  # no fork of a process running threads
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context) as pool:
        ahead = max(1, workers) * 2
        pending = deque(pool.submit(_base_windows, seed, base) for base in range(ahead))
        base = ahead
        while len(kept) < count:
            for photo in pending.popleft().result():
                if len(kept) == count:
                    break
                if hashes.size and _min_distance(hashes, photo.phash) < MIN_DISTANCE:
                    continue
                kept.append(photo)
                hashes = np.append(hashes, np.uint64(photo.phash))
            # keep the workers busy only while more photos are still needed
            if len(kept) + len(pending) * _windows_per_base() < count + _windows_per_base():
                pending.append(pool.submit(_base_windows, seed, base))
                base += 1
        for future in pending:
            future.cancel()
    return kept


def _min_distance(hashes: np.ndarray, phash: int) -> int:
    xor = hashes ^ np.uint64(phash)
    bits = np.unpackbits(xor.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
    return int(bits.min())


def _windows_per_base() -> int:
    return (((BASE_SIZE[0] - WINDOW_SIZE[0]) // STEP[0] + 1)
            * ((BASE_SIZE[1] - WINDOW_SIZE[1]) // STEP[1] + 1))


_CATALOGUE: tuple[Sku, ...] | None = None


def _base_windows(seed: int, base: int) -> list[RenderedPhoto]:
    """Every window of base scene ``base``, each with its own exposure, in a shuffled
    order (runs in a worker process)."""
    global _CATALOGUE
    if _CATALOGUE is None:
        # the training generator's catalogue, as `visitproof demo photo` registers from it
        spec = DatasetSpec(count=1, seed=seed)
        _CATALOGUE = build_catalogue(spec.catalogue_seed, spec.catalogue_size)
    rng = np.random.default_rng([seed, 0x5E1F, base])
    scene = render_scene(rng, _CATALOGUE, BASE_SIZE, BASE_PRODUCTS)  # lit and captured
    width, height = WINDOW_SIZE
    offsets = [(x, y) for x in range(0, BASE_SIZE[0] - width + 1, STEP[0])
               for y in range(0, BASE_SIZE[1] - height + 1, STEP[1])]
    out = []
    for k in rng.permutation(len(offsets)):
        x, y = offsets[int(k)]
        window = cv2.resize(scene.image[y:y + height, x:x + width], PHOTO_SIZE,
                            interpolation=cv2.INTER_AREA)
        exposed = cv2.convertScaleAbs(window, alpha=float(rng.uniform(0.9, 1.12)),
                                      beta=float(rng.uniform(-8, 8)))
        out.append(_photo(_jpeg(exposed, int(rng.integers(75, 93)))))
    return out


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
        raise RuntimeError("OpenCV failed to encode a JPEG")
    return bytes(buffer.tobytes())


def _photo(data: bytes) -> RenderedPhoto:
    """The photo of ``data``, hashed as an upload is (decoded the intake's way)."""
    return RenderedPhoto(data=data, sha256=hashlib.sha256(data).hexdigest(),
                         phash=perceptual_hash(decode_photo(data).pixels))


def _read_cache(folder: Path | None, placeholders: Iterable[str]
                ) -> dict[str, RenderedPhoto] | None:
    """The cached photo of every placeholder, or None when any is missing."""
    if folder is None or not (manifest := folder / "manifest.json").is_file():
        return None
    entries = json.loads(manifest.read_text())
    if entries.get("version") != RENDER_VERSION:
        return None
    known: dict[str, list[str]] = entries["photos"]
    out: dict[str, RenderedPhoto] = {}
    for placeholder in placeholders:
        entry = known.get(placeholder)
        if entry is None or not (path := folder / f"{entry[0]}.jpg").is_file():
            return None
        out[placeholder] = RenderedPhoto(data=path.read_bytes(), sha256=entry[0],
                                         phash=int(entry[1]))
    return out


def _write_cache(folder: Path, photos: dict[str, RenderedPhoto]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for photo in photos.values():
        target = folder / f"{photo.sha256}.jpg"
        if not target.exists():
            target.write_bytes(photo.data)
    manifest = {"version": RENDER_VERSION,
                "photos": {p: [photo.sha256, str(photo.phash)] for p, photo in photos.items()}}
    temporary = folder / "manifest.json.tmp"
    temporary.write_text(json.dumps(manifest) + "\n")
    temporary.replace(folder / "manifest.json")

