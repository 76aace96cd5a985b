"""Small, real container images for the sandbox's repositories.

Each image is a genuine OCI image: one gzipped tar layer holding a text file, a
config, and a manifest that names both by their sha256 digest. A registry client
such as skopeo or docker can pull it and check every digest. The bytes are built
deterministically (fixed timestamps, sorted keys), so the same app always yields
the same digests.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Image:
    """One image: its manifest (what ECR stores) and the blobs it points to."""

    manifest: bytes
    blobs: dict[str, bytes]  # digest -> bytes (config and layers)

    @property
    def digest(self) -> str:
        return digest_of(self.manifest)

    @property
    def layer_digests(self) -> list[str]:
        return [layer["digest"] for layer in json.loads(self.manifest)["layers"]]


def _layer(app: str) -> tuple[bytes, bytes]:
    """A tar with /app/hello.txt, plain and gzipped (both byte-for-byte stable)."""
    text = f"Hello from {app}! If you can read this, your role was allowed to pull me.\n".encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("app/", None), ("app/hello.txt", text)):
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    plain = raw.getvalue()
    return plain, gzip.compress(plain, mtime=0)


def _json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def build_image(app: str) -> Image:
    plain, gzipped = _layer(app)
    config = _json(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["cat", "/app/hello.txt"], "Labels": {"course": "iamlab", "app": app}},
            "rootfs": {"type": "layers", "diff_ids": [digest_of(plain)]},
            "created": "2024-01-01T00:00:00Z",
        }
    )
    manifest = _json(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": digest_of(config), "size": len(config)},
            "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": digest_of(gzipped), "size": len(gzipped)}],
        }
    )
    return Image(manifest=manifest, blobs={digest_of(config): config, digest_of(gzipped): gzipped})


class BlobStore:
    """Content-addressed blob storage on disk, as a registry keeps it."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, digest: str) -> Path:
        algorithm, _, hexdigest = digest.partition(":")
        if algorithm != "sha256" or len(hexdigest) != 64 or not all(c in "0123456789abcdef" for c in hexdigest):
            raise KeyError(digest)
        return self.root / algorithm / hexdigest

    def put(self, data: bytes) -> str:
        digest = digest_of(data)
        path = self._path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(data)
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self._path(digest).read_bytes()
        except (KeyError, FileNotFoundError):
            raise KeyError(digest) from None

    def __contains__(self, digest: str) -> bool:
        try:
            return self._path(digest).exists()
        except KeyError:
            return False
