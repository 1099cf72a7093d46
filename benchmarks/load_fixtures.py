"""The load benchmarks' shared fixtures: a seeded temporary store (tenant, team, reps with
their own customers, bearer tokens, featured products) and 12 MP rendered shelf photos with
the check-in metas that go with them (:mod:`benchmarks.serving_load`)."""

from __future__ import annotations

import struct
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pyproj import Geod

from visitproof.records import Customer, CustomerType, GeoPoint, Rep, Team, Tenant, Tier

TENANT = "bench"
ORIGIN = (30.2741, 120.1551)  # Hangzhou
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True, slots=True)
class Photo:
    """A pre-encoded 12 MP JPEG and the SKUs on its shelf, most-faced first."""

    data: bytes
    skus: tuple[str, ...]


def render_photos(count: int, seed: int) -> list[Photo]:
    """``count`` distinct 4000×3000 shelf photos, encoded like a phone's camera: half as
    many rendered scenes, each also mirrored (a mirrored shelf is another picture to the
    perceptual hash, and rendering is the slow part)."""
    from vision.synth.catalogue import build_catalogue
    from vision.synth.dataset import DatasetSpec
    from vision.synth.scene import render_scene

    spec = DatasetSpec(count=count, seed=seed, size=(4000, 3000))
    catalogue = build_catalogue(spec.catalogue_seed, spec.catalogue_size)
    photos: list[Photo] = []
    for index in range((count + 1) // 2):
        rng = np.random.default_rng([seed, index])
        scene = render_scene(rng, catalogue, spec.size, spec.max_products)
        facings = Counter(label.sku for label in scene.truth.products)
        skus = tuple(sku for sku, _ in facings.most_common())
        for image in (scene.image, scene.image[:, ::-1])[:count - len(photos)]:
            # The renderer is smoother than a phone sensor: fine noise makes the JPEG weigh
            # what a real 12 MP one does (as benchmarks/shelf_verification_speed.py).
            noise = rng.normal(0, 4, image.shape).astype(np.int16)
            noisy = np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            ok, buffer = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 92])
            if not ok:
                raise RuntimeError("OpenCV failed to encode a JPEG")
            photos.append(Photo(bytes(buffer.tobytes()), skus))
    return photos


def unique_copy(jpeg: bytes, tag: str) -> bytes:
    """The same picture with a comment segment after SOI: other bytes, same pixels."""
    payload = tag.encode("ascii")
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def shifted(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    lon2, lat2, _ = _GEOD.fwd(lon, lat, 0.0, north_m)
    lon3, lat3, _ = _GEOD.fwd(lon2, lat2, 90.0, east_m)
    return float(lat3), float(lon3)


def seed_store(data_dir: Path, reps: int, photos: list[Photo], featured: int) -> dict[str, str]:
    """Initialise the store like ``visitproof init``; seed the company; tokens by rep id."""
    from application.product_references import register_product
    from serving.auth import Role, issue_token
    from vision.synth.catalogue import build_catalogue, reference_shot
    from visitproof.store import PhotoStore, ReferenceData, open_database

    database = open_database(f"sqlite:///{(data_dir / 'visitproof.sqlite3').resolve()}",
                             create_dir=True)
    database.migrate()
    photo_store = PhotoStore(data_dir / "photos")
    photo_store.root.mkdir(parents=True, exist_ok=True)
    skus = {sku.sku: sku for sku in build_catalogue(0, 72)}
    with database.begin() as connection, tempfile.TemporaryDirectory() as scratch:
        repository = ReferenceData(connection, TENANT)
        repository.put_tenant(Tenant(id=TENANT, name="Bench", timezone="Asia/Shanghai",
                                     created_at=datetime.now(UTC)))
        repository.put_teams([Team(tenant_id=TENANT, id="t1", name="Team 1", region="east")])
        repository.put_reps([Rep(tenant_id=TENANT, id=f"r{i}", name=f"Rep {i}", team_id="t1")
                             for i in range(reps)])
        repository.put_customers([Customer(
            tenant_id=TENANT, id=f"c{i}", name=f"Customer {i}", type=CustomerType.SUPERMARKET,
            tier=Tier.A,
            location=_point(customer_location(i)), geofence_radius_m=150.0,
            assigned_rep_ids=(f"r{i}",)) for i in range(reps)])
        # The featured products: the most-faced SKUs of the first photo, so the shelf check
        # runs identification as it does for a real tenant.
        for code in photos[0].skus[:featured]:
            ok, png = cv2.imencode(".png", reference_shot(skus[code]))
            reference = Path(scratch) / f"{code}.png"
            reference.write_bytes(png.tobytes() if ok else b"")
            register_product(repository, photo_store, sku=code, name=skus[code].name,
                             references=[reference])
    tokens = {f"r{i}": issue_token(database, tenant_id=TENANT, user_id=f"r{i}", role=Role.REP)
              for i in range(reps)}
    database.dispose()
    return tokens


def _point(lat_lon: tuple[float, float]) -> GeoPoint:
    return GeoPoint(lat=lat_lon[0], lon=lat_lon[1])


def customer_location(index: int) -> tuple[float, float]:
    return shifted(*ORIGIN, north_m=2000.0 * (index // 4), east_m=2000.0 * (index % 4))


def checkin_meta(rep_index: int, rng: np.random.Generator) -> dict[str, Any]:
    """A check-in at the rep's customer: a 25-minute visit that ended 3-10 minutes ago."""
    now = datetime.now(UTC)
    departed = now - timedelta(seconds=float(rng.uniform(180, 600)))
    captured = departed - timedelta(minutes=8)
    lat, lon = shifted(*customer_location(rep_index), north_m=float(rng.uniform(-30, 30)),
                       east_m=float(rng.uniform(-30, 30)))
    return {
        "id": str(uuid.uuid4()), "customer_id": f"c{rep_index}",
        "arrived_at": (departed - timedelta(minutes=25)).isoformat(),
        "departed_at": departed.isoformat(), "photo_captured_at": captured.isoformat(),
        "device_submitted_at": now.isoformat(),
        "fix": {"lat": lat, "lon": lon, "accuracy_m": float(rng.uniform(5, 20)),
                "fix_time": captured.isoformat(), "provider": "gps", "is_mock": False},
        "commitment": {"text": "agrees to move the new range to eye level this week"},
        "next_action": {"text": "send the promotion calendar to the store manager",
                        "due_at": (now + timedelta(days=2)).isoformat(),
                        "kind": "send_document"},
    }
