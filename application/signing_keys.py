"""The archive's Ed25519 signing key and the public keys that verify its manifests.

    keys = SigningKeys(settings.signing_key_path)
    keys.ensure()          # `visitproof init`: create the key (0600) when absent
    keys.rotate()          # `visitproof keys rotate`: a new key; old public keys are kept

Files: the private key (PKCS#8 PEM, unencrypted, mode 0600) at the operator's path, outside
the data folder it signs (:attr:`application.settings.Settings.signing_key_path`), and
``public-keys.json`` beside it: ``{"keys": {key_id: {"public_key": base64 of the raw 32
bytes, "created_at": ISO UTC}}, "current": key_id}``. The archive keeps a copy of that file
(``DATA_DIR/archive/public-keys.json``, :meth:`publish`) so a manifest verifies where only
the data is. A rotation replaces the private key; entries it signed before stay verifiable
by their ``key_id``.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from visitproof.errors import InvalidInput
from visitproof.evidence import key_id, raw_public_key
from visitproof.values import utc_now

PUBLIC_KEYS = "public-keys.json"


class SigningKeys:
    """The private key at ``path`` and the public keys of every key that was current."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def public_keys_path(self) -> Path:
        return self.path.parent / PUBLIC_KEYS

    def exists(self) -> bool:
        return self.path.is_file()

    def ensure(self) -> bool:
        """Create the key when absent (True: created now). Safe when two processes race:
        the file is created exclusively, the loser reads the winner's."""
        if self.exists():
            self._register(self.private_key().public_key())
            return False
        key = Ed25519PrivateKey.generate()
        try:
            self._write_private(key, exclusive=True)
        except FileExistsError:
            self._register(self.private_key().public_key())
            return False
        self._register(key.public_key())
        return True

    def rotate(self) -> str:
        """A new current key (the old public key stays listed); its ``key_id``."""
        key = Ed25519PrivateKey.generate()
        self._register(key.public_key())
        self._write_private(key, exclusive=False)
        self._register(key.public_key(), current=True)
        return key_id(key.public_key())

    def private_key(self) -> Ed25519PrivateKey:
        """The current key (:class:`InvalidInput` ``FILE_UNREADABLE`` when it can't be read)."""
        try:
            key = load_pem_private_key(self.path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise InvalidInput(f"can't read the signing key {self.path}: {error}; run "
                               "`visitproof init` to create one", code="FILE_UNREADABLE") \
                from error
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInput(f"{self.path} is not an Ed25519 private key",
                               code="FILE_UNREADABLE")
        return key

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every listed public key by ``key_id`` (empty when there is no list yet)."""
        return read_public_keys(self.public_keys_path)

    def publish(self, folder: Path) -> None:
        """Copy the public-key list into ``folder`` (atomic)."""
        if self.public_keys_path.is_file():
            _write_atomic(folder / PUBLIC_KEYS, self.public_keys_path.read_bytes(), mode=0o644)

    def _register(self, public_key: Ed25519PublicKey, *, current: bool = False) -> None:
        document = _read_document(self.public_keys_path)
        keys: dict[str, Any] = document.setdefault("keys", {})
        name = key_id(public_key)
        changed = name not in keys
        keys.setdefault(name, {"public_key": base64.b64encode(raw_public_key(public_key))
                               .decode("ascii"), "created_at": utc_now().isoformat()})
        if current or "current" not in document:
            changed |= document.get("current") != name
            document["current"] = name
        if changed:
            _write_atomic(self.public_keys_path,
                          json.dumps(document, indent=2, sort_keys=True).encode() + b"\n",
                          mode=0o644)

    def _write_private(self, key: Ed25519PrivateKey, *, exclusive: bool) -> None:
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
                file.flush()
                os.fsync(file.fileno())
        else:
            _write_atomic(self.path, pem, mode=0o600)


def read_public_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    """The keys of a ``public-keys.json`` by ``key_id`` (empty when the file is absent)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for name, entry in _read_document(path).get("keys", {}).items():
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"]))
        except (KeyError, TypeError, ValueError):
            continue  # an unreadable entry verifies nothing: its entries show as unknown
        if key_id(key) == name:
            keys[name] = key
    return keys


def _read_document(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise InvalidInput(f"can't read the public keys {path}: {error}",
                           code="FILE_UNREADABLE") from error
    return document if isinstance(document, dict) else {}


def _write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
