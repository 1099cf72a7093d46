"""The service's settings: one pydantic-settings object, built by :func:`build_settings`.

Read from the environment with the prefix ``VISITPROOF_`` (``VISITPROOF_DATA_DIR``,
``VISITPROOF_DATABASE_URL``, ...). Only the CLI and ``serving/`` build settings; ``vision/``,
``geo/`` and ``phi/`` receive plain values and policies as arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from visitproof.errors import InvalidInput
from visitproof.values import require_identifier, require_timezone

DEFAULT_EMBEDDER = "product-embedder-0.1.0"
"""The embedder the service loads unless told otherwise (``VISITPROOF_EMBEDDER_VERSION``)."""


class Settings(BaseSettings):
    """Where data lives and which tenant the CLI acts for."""

    model_config = SettingsConfigDict(env_prefix="VISITPROOF_", extra="ignore")

    data_dir: Path = Field(default=Path("./var"),
                           description="Folder for the SQLite file and the photo store.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/visitproof.sqlite3. "
        "A postgresql+psycopg:// URL works the same way.")
    tenant: str = Field(default="default", description="Tenant the CLI acts for.")
    timezone: str = Field(default="Asia/Shanghai",
                          description="IANA time zone of a tenant created by `init`.")
    db_busy_timeout_s: float = Field(
        default=30.0, ge=0, le=600,
        description="How long a writer waits for its turn to write (SQLite: the other "
        "threads' and processes' write transactions) before answering STORE_LOCKED.")
    detector_model: Path | None = Field(
        default=None, description="ONNX shelf detector; default: the newest "
        "models/shelf-detector-<version>.onnx of this checkout.")
    embedder_model: Path | None = Field(
        default=None, description="ONNX product embedder file; overrides embedder_version "
        "and embedder_precision. Default: models/<embedder_version>.onnx.")
    embedder_version: str = Field(
        default=DEFAULT_EMBEDDER, description="The product embedder loaded when "
        "embedder_model is not set: models/<embedder_version>.onnx of this checkout. Pinned "
        "by name, so a newer model dropped into models/ is not loaded until this names it. "
        "When the default's file is absent, identification uses the hand-built descriptor; "
        "a version set explicitly must exist.")
    detector_precision: Literal["int8", "fp32"] = Field(
        default="int8", description="Which build of the newest detector to load when "
        "detector_model is not set: the INT8 one (models/<name>-int8.onnx, statically "
        "quantised, head decode in float; faster on CPU) when it exists, else fp32.")
    embedder_precision: Literal["int8", "fp32"] = Field(
        default="int8", description="Which build of embedder_version to load when "
        "embedder_model is not set: the INT8 one (models/<embedder_version>-int8.onnx; for "
        "0.1.0 2.6x faster, same top-1 within 0.2 points) when it exists, else fp32.")
    detector_threads: int = Field(default=2, ge=1, le=64,
                                  description="ONNX Runtime intra-op threads.")
    worker_threads: int = Field(
        default=16, ge=1, le=256, description="Long-lived threads per API process (per "
        "Serve ingress replica) that judge uploads and check tokens; more uploads than this "
        "wait their turn.")
    max_upload_bytes: int = Field(
        default=40 * 1024 * 1024, ge=1024,
        description="Largest accepted HTTP request body (photo + meta + multipart framing), "
        "bytes; larger uploads get 413 PAYLOAD_TOO_LARGE, counted while streaming.")
    rate_limit_per_minute: float = Field(
        default=600, ge=0,
        description="Sustained HTTP requests a minute per bearer token (per client address "
        "before a token is known); over it, 429 RATE_LIMITED with Retry-After. 0 turns every "
        "rate limit off. /healthz, /readyz and /metrics are exempt.")
    rate_limit_burst: int = Field(
        default=120, ge=1, description="Requests a caller may send at once before the "
        "per-minute rate applies.")
    upload_rate_limit_per_minute: float = Field(
        default=30, ge=0, description="Sustained check-in uploads a minute per caller, on "
        "top of rate_limit_per_minute; 0 turns only this limit off.")
    upload_rate_limit_burst: int = Field(
        default=20, ge=1, description="Uploads a caller may send at once (a flaky network's "
        "retries included).")
    header_timeout_s: float = Field(
        default=10.0, gt=0, le=600, description="Seconds a request's line and headers may "
        "take on the plain uvicorn listener (serve --no-ray); then 408 REQUEST_TIMEOUT.")
    body_grace_s: float = Field(
        default=10.0, gt=0, le=600, description="Seconds a request body may take before "
        "body_min_rate applies.")
    body_min_rate: float = Field(
        default=1024.0, gt=0, description="Bytes a second a request body must average after "
        "its grace; slower: 408 REQUEST_TIMEOUT with Connection: close.")
    body_timeout_s: float = Field(
        default=300.0, gt=0, le=3600, description="Longest a request body may take in all.")
    large_uploads_at_once: int = Field(
        default=2, ge=1, le=64, description="Request bodies over 8 MiB read at once per API "
        "process (per ingress replica); another waits up to 15 s, then 503 SERVER_BUSY.")
    map_tile_url: str | None = Field(
        default=None, description="XYZ tile URL behind the overlap map (for example "
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png, whose usage policy applies); unset: "
        "no remote tiles, a plain background, so the pages make no request to another host.")
    fix_history_days: float = Field(
        default=7.0, gt=0, le=90,
        description="How far back (days) a rep's earlier fixes are loaded as history for "
        "the movement and spoofing checks of a new check-in.")
    signing_key: Path | None = Field(
        default=None, description="The evidence archive's Ed25519 private key (PEM, 0600; "
        "env VISITPROOF_SIGNING_KEY), created by `visitproof init` when absent. Default: "
        "<data_dir>/../keys/visitproof-signing.pem (resolved): beside the data folder, never "
        "inside it; a path inside data_dir is refused (SIGNING_KEY_IN_DATA_DIR).")

    @field_validator("tenant")
    @classmethod
    def _tenant_is_identifier(cls, value: str) -> str:
        return require_identifier(value, "tenant")

    @field_validator("embedder_version")
    @classmethod
    def _version_is_a_file_name(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c in "._-" for c in value) or value[0] == ".":
            raise ValueError("must be a model name like product-embedder-0.1.0 (letters, "
                             f"digits, '.', '_', '-'), got {value!r}")
        return value

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("https://", "http://")) or not all(
                part in value for part in ("{z}", "{x}", "{y}")):
            raise ValueError("must be an http(s) URL with {z}, {x} and {y}, like "
                             "https://tile.openstreetmap.org/{z}/{x}/{y}.png, got "
                             f"{value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return require_timezone(value)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'visitproof.sqlite3').resolve()}"

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def archive_dir(self) -> Path:
        """The evidence archive: watermarked copies and signed manifests."""
        return self.data_dir / "archive"

    @property
    def signing_key_path(self) -> Path:
        """``signing_key`` or its default, resolved; refused inside ``data_dir`` (a copy of
        the data must not carry the key that signs it)."""
        data_dir = self.data_dir.resolve()
        path = (self.signing_key or data_dir.parent / "keys" / "visitproof-signing.pem")
        path = path.expanduser().resolve()
        if path.is_relative_to(data_dir):
            raise InvalidInput(f"the signing key {path} lies inside the data folder "
                               f"{data_dir}; set VISITPROOF_SIGNING_KEY to a path outside it",
                               code="SIGNING_KEY_IN_DATA_DIR")
        return path

    @property
    def resolved_detector_model(self) -> Path:
        if self.detector_model is not None:
            return self.detector_model
        return preferred_build(newest_model("shelf-detector"), self.detector_precision)

    @property
    def resolved_embedder_model(self) -> Path | None:
        """``embedder_model``, else ``embedder_version``'s build in ``embedder_precision``;
        None when the default version's file is absent (identification falls back to the
        hand-built descriptor). An explicitly chosen version that is absent raises."""
        if self.embedder_model is not None:
            return self.embedder_model
        chosen = pinned_model(self.embedder_version, self.embedder_precision)
        if chosen is None and "embedder_version" in self.model_fields_set:
            raise InvalidInput(f"no models/{self.embedder_version}.onnx in {MODELS_DIR}; set "
                               "VISITPROOF_EMBEDDER_VERSION to a committed embedder",
                               code="MODEL_MISSING")
        return chosen


MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def pinned_model(version: str, precision: str, folder: Path = MODELS_DIR) -> Path | None:
    """``folder/<version>.onnx`` (its INT8 build for ``precision`` int8, see
    :func:`preferred_build`), or None when that file is absent; newer versions in
    ``folder`` are never considered."""
    model = folder / f"{version}.onnx"
    return preferred_build(model, precision) if model.is_file() else None


def newest_model(name: str, folder: Path = MODELS_DIR) -> Path:
    """``folder/<name>-<version>.onnx`` with the highest version (numeric comparison);
    quantised builds (``<name>-<version>-int8.onnx``) are not versions of their own."""
    def version(path: Path) -> tuple[int, ...]:
        text = path.stem.removeprefix(f"{name}-")
        return tuple(int(part) if part.isdigit() else -1 for part in text.split("."))

    candidates = sorted((path for path in folder.glob(f"{name}-*.onnx")
                         if not path.stem.endswith("-int8")), key=version)
    if not candidates:
        raise InvalidInput(f"no {name}-<version>.onnx in {folder}; set "
                           "VISITPROOF_DETECTOR_MODEL or train one (`visitproof train "
                           "detector`)", code="MODEL_MISSING")
    return candidates[-1]


def preferred_build(model: Path, precision: str) -> Path:
    """``model``'s INT8 build (``<stem>-int8.onnx`` beside it) when ``precision`` is int8 and
    that file exists, else ``model``."""
    quantised = model.with_name(f"{model.stem}-int8.onnx")
    return quantised if precision == "int8" and quantised.exists() else model


def build_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit ``overrides`` (None values ignored)."""
    return Settings(**{key: value for key, value in overrides.items() if value is not None})
