"""Layer uploads, as ECR keeps them: the model behind a push.

ECR's API pushes a layer in three calls (the registry protocol maps onto them):

    InitiateLayerUpload   -> an uploadId          (registry: POST /v2/NAME/blobs/uploads/)
    UploadLayerPart       -> bytes appended       (registry: PATCH .../uploads/ID)
    CompleteLayerUpload   -> digest checked, kept (registry: PUT .../uploads/ID?digest=...)

then ``PutImage`` stores the manifest (registry: PUT /v2/NAME/manifests/TAG). moto has
none of the first three (it answers NotImplementedError, a 500); this module adds them
to moto's ECR backend and response, in moto's style, with ECR's errors. Completed
layers go to the registry's content-addressed ``BlobStore`` and count as present in
their repository (``BatchCheckLayerAvailability``, pulls) from then on.
"""

from __future__ import annotations

import base64
import threading
import uuid
from dataclasses import dataclass, field

from . import moto_ext  # first: it pins moto's version and settings
from moto.core.exceptions import JsonRESTError  # noqa: E402
from moto.core.responses import ActionResult  # noqa: E402
from moto.ecr.exceptions import ImageAlreadyExistsException, RepositoryNotFoundException  # noqa: E402
from moto.ecr.models import ECRBackend  # noqa: E402
from moto.ecr.responses import ECRResponse  # noqa: E402

from .images import BlobStore, digest_of  # noqa: E402

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # a course image is a few KiB; this keeps memory bounded


class UploadNotFoundException(JsonRESTError):
    def __init__(self, upload_id: str, repository: str, registry_id: str):
        super().__init__("UploadNotFoundException", f"Upload with upload id '{upload_id}' is not found in the repository "
                                                     f"with name '{repository}' in the registry with id '{registry_id}'")


class InvalidLayerException(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("InvalidLayerException", message)


class InvalidLayerPartException(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("InvalidLayerPartException", message)


class LayerPartTooLargeException(JsonRESTError):
    def __init__(self):
        super().__init__("LayerPartTooLargeException", f"The layer upload exceeds the sandbox's limit of {MAX_UPLOAD_BYTES} bytes.")


@dataclass
class Upload:
    repository: str
    data: bytearray = field(default_factory=bytearray)


class Uploads:
    """Uploads in progress (by id) and the layers each repository has received."""

    def __init__(self, blobs: BlobStore):
        self.blobs = blobs
        self._open: dict[str, Upload] = {}
        self._layers: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def initiate(self, repository: str) -> str:
        upload_id = str(uuid.uuid4())
        with self._lock:
            self._open[upload_id] = Upload(repository)
        return upload_id

    def _find(self, repository: str, upload_id: str, registry_id: str) -> Upload:
        found = self._open.get(upload_id)
        if found is None or found.repository != repository:
            raise UploadNotFoundException(upload_id, repository, registry_id)
        return found

    def size(self, repository: str, upload_id: str, registry_id: str) -> int:
        with self._lock:
            return len(self._find(repository, upload_id, registry_id).data)

    def append(self, repository: str, upload_id: str, data: bytes, registry_id: str, first_byte: int | None = None) -> int:
        """Add a part; returns the last byte received (ECR's lastByteReceived)."""
        with self._lock:
            upload = self._find(repository, upload_id, registry_id)
            if first_byte is not None and first_byte != len(upload.data):
                raise InvalidLayerPartException(f"The part starts at byte {first_byte}, but {len(upload.data)} bytes were "
                                                f"received so far (parts must follow each other).")
            if len(upload.data) + len(data) > MAX_UPLOAD_BYTES:
                raise LayerPartTooLargeException()
            upload.data += data
            return len(upload.data) - 1

    def complete(self, repository: str, upload_id: str, digests: list[str], registry_id: str) -> str:
        """Check the received bytes against the digest the client names, and keep them."""
        with self._lock:
            upload = self._find(repository, upload_id, registry_id)
            actual = digest_of(bytes(upload.data))
            if not digests or actual not in digests:
                raise InvalidLayerException(f"The layer digest calculated for the upload ({actual}) does not match the "
                                            f"digest provided ({', '.join(digests) or 'none'}).")
            del self._open[upload_id]
            self._layers.setdefault(repository, set()).add(actual)
        self.blobs.put(bytes(upload.data))
        return actual

    def has_layer(self, repository: str, digest: str) -> bool:
        with self._lock:
            return digest in self._layers.get(repository, ())

    def forget(self) -> None:
        with self._lock:
            self._open.clear()
            self._layers.clear()


# -- images, as the registry reads and writes them ----------------------------------------------
def image_tags(region: str, repository: str) -> list[str]:
    found = moto_ext.ecr(region).repositories.get(repository)
    return [tag for image in (found.images if found else []) for tag in image.image_tags if tag]


def put_image(region: str, repository: str, manifest: str, media_type: str, tag: str | None) -> None:
    """PutImage from a registry push; pushing the same image again under the same tag is no error."""
    try:
        moto_ext.put_image(region, repository, manifest, media_type, tag)
    except ImageAlreadyExistsException:
        pass


# -- ECR's API, added to moto ------------------------------------------------------------
_uploads: Uploads | None = None


def _repository_or_raise(backend: ECRBackend, repository: str, registry_id: str | None) -> str:
    registry = registry_id or backend.account_id
    if repository not in backend.repositories or registry != backend.account_id:
        raise RepositoryNotFoundException(repository, registry)
    return registry


def _initiate_layer_upload(self: ECRBackend, repository_name: str, registry_id: str | None = None) -> dict:
    registry = _repository_or_raise(self, repository_name, registry_id)
    return {"uploadId": _uploads.initiate(repository_name), "partSize": 20 * 1024 * 1024, "registryId": registry}


def _upload_layer_part(self: ECRBackend, repository_name: str, upload_id: str, first: int, last: int, blob: bytes,
                       registry_id: str | None = None) -> dict:
    registry = _repository_or_raise(self, repository_name, registry_id)
    if last - first + 1 != len(blob):
        raise InvalidLayerPartException(f"partFirstByte {first} and partLastByte {last} do not describe the "
                                        f"{len(blob)} bytes sent.")
    received = _uploads.append(repository_name, upload_id, blob, registry, first_byte=first)
    return {"registryId": registry, "repositoryName": repository_name, "uploadId": upload_id, "lastByteReceived": received}


def _complete_layer_upload(self: ECRBackend, repository_name: str, upload_id: str, digests: list[str],
                           registry_id: str | None = None) -> dict:
    registry = _repository_or_raise(self, repository_name, registry_id)
    digest = _uploads.complete(repository_name, upload_id, digests, registry)
    return {"registryId": registry, "repositoryName": repository_name, "uploadId": upload_id, "layerDigest": digest}


def _response_initiate_layer_upload(self: ECRResponse):
    return ActionResult(self.ecr_backend.initiate_layer_upload(self._get_param("repositoryName"), self._get_param("registryId")))


def _response_upload_layer_part(self: ECRResponse):
    try:
        blob = base64.b64decode(self._get_param("layerPartBlob") or "", validate=True)
    except ValueError:
        raise InvalidLayerPartException("layerPartBlob is not base64.") from None
    return ActionResult(self.ecr_backend.upload_layer_part(
        self._get_param("repositoryName"), self._get_param("uploadId"), int(self._get_param("partFirstByte") or 0),
        int(self._get_param("partLastByte") or 0), blob, self._get_param("registryId")))


def _response_complete_layer_upload(self: ECRResponse):
    return ActionResult(self.ecr_backend.complete_layer_upload(
        self._get_param("repositoryName"), self._get_param("uploadId"), self._get_param("layerDigests") or [],
        self._get_param("registryId")))


def install(uploads: Uploads) -> None:
    """Give moto's ECR the three upload calls, backed by ``uploads``."""
    global _uploads
    _uploads = uploads
    ECRBackend.initiate_layer_upload = _initiate_layer_upload
    ECRBackend.upload_layer_part = _upload_layer_part
    ECRBackend.complete_layer_upload = _complete_layer_upload
    ECRResponse.initiate_layer_upload = _response_initiate_layer_upload
    ECRResponse.upload_layer_part = _response_upload_layer_part
    ECRResponse.complete_layer_upload = _response_complete_layer_upload
