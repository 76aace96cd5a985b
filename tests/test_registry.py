"""The sandbox's registry serves what real clients need, as ECR does: push, tags, HEAD, Range, errors.

A push is four ECR actions (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload,
PutImage), each decided by the access engine; skopeo pushes and inspects for real.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from iamlab import sandbox
from iamlab.pull import registry_login
from iamlab.sandbox import instance
from iamlab.sandbox.images import build_image, digest_of

from .conftest import FLASK, error_of
from . import waits

pytestmark = [pytest.mark.integration,  # runs skopeo against the registry
              pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is part of the course's toolset")]

REPORTS = FLASK.replace("flask_app", "reports_app")
PUSH = ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]
PUSHER = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    {"Effect": "Allow", "Action": PUSH + ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:ListImages"], "Resource": FLASK},
]}


@pytest.fixture(scope="module")
def pusher(world):
    instance_id = world.instance_with_role("reg-pusher")
    world.grant("reg-pusher", PUSHER)
    return instance_id


def image_dir(tmp_path, app: str):
    """An image on disk in skopeo's ``dir:`` layout, never seen by the registry."""
    image = build_image(app)
    folder = tmp_path / app
    folder.mkdir()
    (folder / "version").write_text("Directory Transport Version: 1.1\n")
    (folder / "manifest.json").write_bytes(image.manifest)
    for digest, data in image.blobs.items():
        (folder / digest.split(":", 1)[1]).write_bytes(data)
    return folder, image


def skopeo(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=waits.bound(waits.COMMAND))


def push(instance_id: str, folder, repository: str, tag: str) -> subprocess.CompletedProcess:
    host, password = registry_login(instance_id)
    return skopeo("copy", "--dest-tls-verify=false", "--dest-creds", f"AWS:{password}", f"dir:{folder}",
                  f"docker://{host}/{repository}:{tag}")


def get(instance_id: str, path: str, method: str = "GET", headers: dict | None = None):
    host, password = registry_login(instance_id)
    auth = {"Authorization": "Basic " + base64.b64encode(f"AWS:{password}".encode()).decode(), **(headers or {})}
    request = urllib.request.Request(f"http://{host}{path}", method=method, headers=auth)
    try:
        with urllib.request.urlopen(request, timeout=waits.bound(waits.REQUEST)) as reply:
            return reply.status, reply.read(), reply.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


# -- push ---------------------------------------------------------------------------------
def test_skopeo_pushes_a_new_image_when_the_policy_allows_it(world, pusher, tmp_path):
    folder, image = image_dir(tmp_path, "pushed-by-instance")
    result = push(pusher, folder, "flask_app", "v2")
    assert result.returncode == 0, result.stderr
    described = world.ecr.describe_images(repositoryName="flask_app", imageIds=[{"imageTag": "v2"}])["imageDetails"][0]
    assert described["imageDigest"] == image.digest
    pulled = skopeo("inspect", "--tls-verify=false", "--creds", f"AWS:{registry_login(pusher)[1]}", "--raw",
                    f"docker://{registry_login(pusher)[0]}/flask_app:v2")
    assert pulled.returncode == 0 and digest_of(pulled.stdout.encode()) == image.digest
    actions = {r["action"] for r in sandbox.activity(f"arn:aws:sts::{sandbox.ACCOUNT_ID}:assumed-role/reg-pusher")}
    assert {"ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"} <= actions


def test_a_push_without_permission_is_refused_with_ecrs_words(world, puller, tmp_path):
    folder, _ = image_dir(tmp_path, "refused-push")
    result = push(puller, folder, "flask_app", "nope")
    assert result.returncode != 0
    assert "denied: User: arn:aws:sts::" in result.stderr and "ecr:InitiateLayerUpload" in result.stderr
    assert "because no identity-based policy allows the ecr:InitiateLayerUpload action" in result.stderr
    tags = world.ecr.list_images(repositoryName="flask_app")["imageIds"]
    assert "nope" not in {t.get("imageTag") for t in tags}


def test_a_push_to_another_repository_is_refused(world, pusher, tmp_path):
    folder, _ = image_dir(tmp_path, "wrong-repository")
    result = push(pusher, folder, "reports_app", "v2")
    # skopeo first asks (HEAD, no body) whether the blob is there: ecr:BatchCheckLayerAvailability, refused.
    assert result.returncode != 0 and "reports_app: 403 (Forbidden)" in result.stderr


def test_a_blob_whose_digest_does_not_match_is_refused(world, pusher):
    status, _, headers = get(pusher, "/v2/flask_app/blobs/uploads/", "POST")
    assert status == 202
    location = headers["Location"]
    wrong = "sha256:" + "0" * 64
    status, body, _ = get(pusher, f"{location}?digest={wrong}", "PUT")
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "DIGEST_INVALID"


def test_a_manifest_naming_missing_blobs_is_refused(world, pusher):
    manifest = json.loads(build_image("never-uploaded").manifest)
    host, password = registry_login(pusher)
    request = urllib.request.Request(f"http://{host}/v2/flask_app/manifests/ghost", method="PUT", data=json.dumps(manifest).encode(),
                                     headers={"Authorization": "Basic " + base64.b64encode(f"AWS:{password}".encode()).decode(),
                                              "Content-Type": manifest["mediaType"]})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request)
    assert error.value.code == 400 and json.loads(error.value.read())["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"


def test_ecr_api_layer_upload_calls_exist(world):
    """The same three calls through ECR's API (the learner's admin keys): no more HTTP 500."""
    data = b"a layer pushed through the ECR API"
    upload = world.ecr.initiate_layer_upload(repositoryName="reports_app")["uploadId"]
    part = world.ecr.upload_layer_part(repositoryName="reports_app", uploadId=upload, partFirstByte=0,
                                       partLastByte=len(data) - 1, layerPartBlob=data)
    assert part["lastByteReceived"] == len(data) - 1
    done = world.ecr.complete_layer_upload(repositoryName="reports_app", uploadId=upload, layerDigests=[digest_of(data)])
    assert done["layerDigest"] == digest_of(data)
    other = world.ecr.initiate_layer_upload(repositoryName="reports_app")["uploadId"]
    world.ecr.upload_layer_part(repositoryName="reports_app", uploadId=other, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc")
    assert error_of(lambda: world.ecr.complete_layer_upload(repositoryName="reports_app", uploadId=other,
                                                            layerDigests=[digest_of(b"xyz")]))["Code"] == "InvalidLayerException"
    assert error_of(lambda: world.ecr.upload_layer_part(repositoryName="reports_app", uploadId="nope", partFirstByte=0,
                                                        partLastByte=0, layerPartBlob=b"a"))["Code"] == "UploadNotFoundException"


def test_ecr_api_uploads_are_decided_by_policy(world, puller):
    ecr = instance.session(puller).client("ecr")
    error = error_of(lambda: ecr.initiate_layer_upload(repositoryName="flask_app"))
    assert error["Code"] == "AccessDeniedException" and "ecr:InitiateLayerUpload" in error["Message"]


# -- tags, HEAD, Range, errors -------------------------------------------------------------
def test_skopeo_inspect_lists_tags_with_list_images(world, pusher):
    host, password = registry_login(pusher)
    result = skopeo("inspect", "--tls-verify=false", "--creds", f"AWS:{password}", f"docker://{host}/flask_app:latest")
    assert result.returncode == 0, result.stderr
    assert "latest" in json.loads(result.stdout)["RepoTags"]


def test_tags_list_needs_list_images(world, puller):
    status, body, _ = get(puller, "/v2/flask_app/tags/list")
    error = json.loads(body)["errors"][0]
    assert status == 403 and error["code"] == "DENIED" and "ecr:ListImages" in error["message"]


def test_tags_list_pages(world, pusher):
    status, body, headers = get(pusher, "/v2/flask_app/tags/list?n=1")
    assert status == 200 and len(json.loads(body)["tags"]) == 1
    assert 'rel="next"' in headers.get("Link", "") or json.loads(body)["tags"] == ["latest"]


def test_head_answers_with_the_gets_length(world, puller):
    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    status, body, get_headers = get(puller, "/v2/flask_app/manifests/latest", headers=accept)
    head_status, head_body, head_headers = get(puller, "/v2/flask_app/manifests/latest", "HEAD", headers=accept)
    assert status == head_status == 200 and head_body == b""
    assert head_headers["Content-Length"] == get_headers["Content-Length"] == str(len(body))
    assert head_headers["Docker-Content-Digest"] == digest_of(body)
    layer = json.loads(body)["layers"][0]
    head_status, _, head_headers = get(puller, f"/v2/flask_app/blobs/{layer['digest']}", "HEAD")
    assert head_status == 200 and head_headers["Content-Length"] == str(layer["size"])


def test_blobs_honour_range(world, puller):
    _, body, _ = get(puller, "/v2/flask_app/manifests/latest", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    layer = json.loads(body)["layers"][0]
    path = f"/v2/flask_app/blobs/{layer['digest']}"
    _, whole, _ = get(puller, path)
    status, part, headers = get(puller, path, headers={"Range": "bytes=2-9"})
    assert status == 206 and part == whole[2:10] and headers["Content-Range"] == f"bytes 2-9/{len(whole)}"
    status, part, headers = get(puller, path, headers={"Range": "bytes=-4"})
    assert status == 206 and part == whole[-4:]
    status, _, headers = get(puller, path, headers={"Range": f"bytes={len(whole) + 10}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(whole)}"


def test_errors_are_registry_json_with_ecrs_words(world, puller):
    status, body, headers = get(puller, "/v2/reports_app/manifests/latest")
    assert status == 403 and headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"errors": [{"code": "DENIED", "message": (
        f"User: arn:aws:sts::{sandbox.ACCOUNT_ID}:assumed-role/puller/{puller} is not authorized to perform: "
        f"ecr:BatchGetImage on resource: {REPORTS} because no identity-based policy allows the ecr:BatchGetImage action")}]}
    status, body, _ = get(puller, "/v2/flask_app/manifests/latest", "DELETE")
    assert status == 405 and json.loads(body)["errors"][0]["code"] == "UNSUPPORTED"


def test_namespaced_repositories_push_and_pull_under_their_own_name(world, tmp_path):
    """``team/app`` is one repository: its own ARN, its own images; a policy on ``team/*`` covers it."""
    world.ecr.create_repository(repositoryName="team/app")
    instance_id = world.instance_with_role("team-pusher")
    team = FLASK.replace("flask_app", "team/*")
    world.grant("team-pusher", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Effect": "Allow", "Action": PUSH + ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": team}]})
    folder, image = image_dir(tmp_path, "team-app")
    result = push(instance_id, folder, "team/app", "v1")
    assert result.returncode == 0, result.stderr
    host, password = registry_login(instance_id)
    pulled = skopeo("inspect", "--tls-verify=false", "--creds", f"AWS:{password}", "--raw", f"docker://{host}/team/app:v1")
    assert pulled.returncode == 0 and digest_of(pulled.stdout.encode()) == image.digest
    assert world.ecr.list_images(repositoryName="flask_app")["imageIds"] != world.ecr.list_images(repositoryName="team/app")["imageIds"]
    refused = push(instance_id, folder, "flask_app", "team")
    assert refused.returncode != 0 and "403" in refused.stderr


def test_an_oversized_manifest_is_refused_before_it_is_read(world, pusher):
    host, password = registry_login(pusher)
    request = urllib.request.Request(f"http://{host}/v2/flask_app/manifests/huge", method="PUT", data=b"{" + b" " * (5 * 1024 * 1024) + b"}",
                                     headers={"Authorization": "Basic " + base64.b64encode(f"AWS:{password}".encode()).decode()})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request)
    assert error.value.code == 413 and json.loads(error.value.read())["errors"][0]["code"] == "SIZE_INVALID"
