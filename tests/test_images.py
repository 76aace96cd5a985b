"""The seeded images are real OCI images: every digest checks out, every build is identical."""

from __future__ import annotations

import gzip
import io
import json
import tarfile

from iamlab.sandbox.images import BlobStore, build_image, digest_of


def test_manifest_names_its_blobs_by_their_digests():
    image = build_image("flask_app")
    manifest = json.loads(image.manifest)
    digests = [manifest["config"]["digest"]] + [layer["digest"] for layer in manifest["layers"]]
    assert set(digests) == set(image.blobs)
    for digest in digests:
        assert digest_of(image.blobs[digest]) == digest


def test_layer_holds_the_apps_greeting_and_config_lists_its_diff_id():
    image = build_image("flask_app")
    [layer_digest] = image.layer_digests
    plain = gzip.decompress(image.blobs[layer_digest])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        assert b"flask_app" in tar.extractfile("app/hello.txt").read()
    config = json.loads(image.blobs[json.loads(image.manifest)["config"]["digest"]])
    assert config["rootfs"]["diff_ids"] == [digest_of(plain)]


def test_builds_are_reproducible_and_apps_differ():
    assert build_image("flask_app") == build_image("flask_app")
    assert build_image("flask_app").digest != build_image("reports_app").digest


def test_blob_store_rejects_malformed_digests(tmp_path):
    store = BlobStore(tmp_path)
    digest = store.put(b"hello")
    assert store.get(digest) == b"hello" and digest in store
    assert "sha256:../../etc/passwd" not in store
