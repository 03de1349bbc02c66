"""S3 (AWS, MinIO, any S3-compatible server) as the object store.

Tiers are buckets: archive by bucket works everywhere; where the server has storage
classes, archive-tier objects are also written in the configured cold class. Both
buckets are versioned (``storage init``), so deleting means deleting every version
and every delete marker, which ``delete_all_versions`` does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, BinaryIO
from urllib.parse import urlencode

from casevault.archive.aws import AWS_ERRORS, error_code, raise_translated
from casevault.archive.store import ObjectInfo, ObjectVersion, Removed, RestoreState, check_object_key
from casevault.archive.tags import check_tags
from casevault.core.errors import StorageError, TransientError
from casevault.core.models import Tier
from casevault.core.settings import MIB

DELETE_BATCH = 1000  # the DeleteObjects limit
MIN_PART = 8 * MIB
MAX_PARTS = 10_000
# Below this many keys, list each key's versions; above, one listing of the bucket is cheaper.
_LIST_WHOLE_BUCKET_ABOVE = 50
_COLD_CLASSES = {"GLACIER", "DEEP_ARCHIVE"}  # need RestoreObject before a GET


class S3Store:
    def __init__(
        self,
        *,
        client: Any,
        buckets: Mapping[Tier, str],
        archive_storage_class: str = "",
        multipart_threshold: int = 64 * MIB,
        quick_client: Callable[[], Any] | None = None,
    ) -> None:
        self.client = client  # public: tests hook botocore events on it to simulate faults
        self._quick_client_factory = quick_client or (lambda: client)
        self._quick_client: Any = None
        self.buckets = dict(buckets)
        self._archive_storage_class = archive_storage_class
        self._multipart_threshold = multipart_threshold

    def ping(self) -> None:
        """Both buckets answer, one quick attempt each (a client of its own, built on first use)."""
        if self._quick_client is None:
            self._quick_client = self._quick_client_factory()
        for tier, bucket in self.buckets.items():
            try:
                self._quick_client.head_bucket(Bucket=bucket)
            except AWS_ERRORS as error:
                if error_code(error) in {"404", "NoSuchBucket"}:
                    raise StorageError(
                        f"the {tier.value} bucket {bucket} does not exist; run `casevault storage init`"
                    ) from error
                raise_translated(error, doing=f"reaching the {tier.value} bucket")

    # --- writing ----------------------------------------------------------------------

    @contextmanager
    def writer(self, *, tier: Tier, key: str, tags: Mapping[str, str]) -> Iterator[BinaryIO]:
        """Spool the ciphertext to a local temporary file, then upload it: memory stays
        bounded, and a failed write leaves nothing in the bucket."""
        check_object_key(key)
        check_tags(tags)
        with tempfile.TemporaryFile(prefix="casevault-upload-") as spool:
            yield spool
            size = spool.tell()
            spool.seek(0)
            self._upload(tier=tier, key=key, tags=tags, body=spool, size=size)

    def _upload(self, *, tier: Tier, key: str, tags: Mapping[str, str], body: BinaryIO, size: int) -> None:
        extra = {"Tagging": urlencode(dict(tags)), **self._storage_class(tier)}
        bucket = self.buckets[tier]
        if size <= self._multipart_threshold:
            try:
                self.client.put_object(Bucket=bucket, Key=key, Body=body, ContentLength=size, **extra)
            except AWS_ERRORS as error:
                raise_translated(error, doing=f"uploading object {key} to bucket {bucket}")
            return
        self._upload_in_parts(bucket=bucket, key=key, body=body, size=size, extra=extra)

    def _upload_in_parts(self, *, bucket: str, key: str, body: BinaryIO, size: int, extra: dict[str, str]) -> None:
        doing = f"uploading object {key} to bucket {bucket} in parts"
        try:
            upload_id = self.client.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]
        except AWS_ERRORS as error:
            raise_translated(error, doing=doing)
        part_size = max(MIN_PART, -(-size // MAX_PARTS))
        try:
            parts = []
            number = 1
            while block := body.read(part_size):
                answer = self.client.upload_part(
                    Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=block
                )
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                number += 1
            self.client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException as error:
            # Never leave an invisible, billable half-upload behind.
            self._abort(bucket=bucket, key=key, upload_id=upload_id)
            if isinstance(error, AWS_ERRORS):
                raise_translated(error, doing=doing)
            raise

    def _abort(self, *, bucket: str, key: str, upload_id: str) -> None:
        # Best effort: the lifecycle rule and `storage verify --repair` catch what stays.
        with contextlib.suppress(*AWS_ERRORS):
            self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)

    def _storage_class(self, tier: Tier) -> dict[str, str]:
        if tier is Tier.archive and self._archive_storage_class:
            return {"StorageClass": self._archive_storage_class}
        return {}

    # --- reading ----------------------------------------------------------------------

    @contextmanager
    def reader(self, *, tier: Tier, key: str) -> Iterator[BinaryIO]:
        check_object_key(key)
        bucket = self.buckets[tier]
        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
        except AWS_ERRORS as error:
            raise_translated(error, doing=f"reading object {key} from bucket {bucket}")
        try:
            yield _TranslatingStream(body, doing=f"reading object {key} from bucket {bucket}")  # type: ignore[misc]  # the generator yields a stream, as the context manager's protocol says
        finally:
            body.close()

    def head(self, *, tier: Tier, key: str) -> ObjectInfo | None:
        check_object_key(key)
        try:
            answer = self.client.head_object(Bucket=self.buckets[tier], Key=key)
        except AWS_ERRORS as error:
            if error_code(error) in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise_translated(error, doing=f"looking up object {key}")
        return ObjectInfo(
            key=key,
            size=answer["ContentLength"],
            last_modified=answer["LastModified"],
            storage_class=answer.get("StorageClass"),
        )

    # --- copy and tags ----------------------------------------------------------------

    def copy(self, *, key: str, source: Tier, target: Tier, tags: Mapping[str, str]) -> None:
        check_object_key(key)
        check_tags(tags)
        try:
            # Server-side: the bytes never come through this process. (CopyObject takes up
            # to 5 GiB; casevault's uploads are capped far below that.)
            self.client.copy_object(
                Bucket=self.buckets[target],
                Key=key,
                CopySource={"Bucket": self.buckets[source], "Key": key},
                TaggingDirective="REPLACE",
                Tagging=urlencode(dict(tags)),
                MetadataDirective="COPY",
                **self._storage_class(target),
            )
        except AWS_ERRORS as error:
            raise_translated(error, doing=f"copying object {key} from the {source.value} to the {target.value} tier")

    def get_tags(self, *, tier: Tier, key: str) -> dict[str, str]:
        check_object_key(key)
        try:
            answer = self.client.get_object_tagging(Bucket=self.buckets[tier], Key=key)
        except AWS_ERRORS as error:
            raise_translated(error, doing=f"reading the tags of object {key}")
        return {tag["Key"]: tag["Value"] for tag in answer["TagSet"]}

    def set_tags(self, *, tier: Tier, key: str, tags: Mapping[str, str]) -> None:
        check_object_key(key)
        check_tags(tags)
        try:
            self.client.put_object_tagging(
                Bucket=self.buckets[tier],
                Key=key,
                Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]},
            )
        except AWS_ERRORS as error:
            raise_translated(error, doing=f"tagging object {key}")

    # --- listing and deleting ---------------------------------------------------------

    def list_versions(self, *, tier: Tier, prefix: str = "") -> Iterator[ObjectVersion]:
        yield from self._versions(bucket=self.buckets[tier], prefix=prefix)

    def _versions(self, *, bucket: str, prefix: str) -> Iterator[ObjectVersion]:
        try:
            pages = self.client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
            for page in pages:
                for entry in page.get("Versions", []):
                    yield ObjectVersion(
                        key=entry["Key"],
                        version_id=entry.get("VersionId"),
                        is_latest=entry.get("IsLatest", False),
                        is_delete_marker=False,
                        size=entry.get("Size", 0),
                        last_modified=entry["LastModified"],
                    )
                for entry in page.get("DeleteMarkers", []):
                    yield ObjectVersion(
                        key=entry["Key"],
                        version_id=entry.get("VersionId"),
                        is_latest=entry.get("IsLatest", False),
                        is_delete_marker=True,
                        size=0,
                        last_modified=entry["LastModified"],
                    )
        except AWS_ERRORS as error:
            raise_translated(error, doing=f"listing object versions in bucket {bucket}")

    def versions_of(self, *, tier: Tier, keys: Sequence[str]) -> list[ObjectVersion]:
        bucket = self.buckets[tier]
        wanted = {check_object_key(key) for key in keys}
        if len(wanted) > _LIST_WHOLE_BUCKET_ABOVE:
            return [v for v in self._versions(bucket=bucket, prefix="") if v.key in wanted]
        return [v for key in sorted(wanted) for v in self._versions(bucket=bucket, prefix=key) if v.key == key]

    def delete_all_versions(self, *, tier: Tier, keys: Sequence[str]) -> Removed:
        bucket = self.buckets[tier]
        if not keys:
            return Removed(objects=0, versions=0, bytes=0)
        found = self.versions_of(tier=tier, keys=keys)
        self._delete_versions(bucket=bucket, versions=found)
        stored = [v for v in found if not v.is_delete_marker]
        return Removed(
            objects=len({v.key for v in stored}),
            versions=len(stored),
            bytes=sum(v.size for v in stored),
        )

    def _delete_versions(self, *, bucket: str, versions: Sequence[ObjectVersion]) -> None:
        failures: list[str] = []
        transient = False
        for start in range(0, len(versions), DELETE_BATCH):
            batch = versions[start : start + DELETE_BATCH]
            entries = [{"Key": v.key, "VersionId": v.version_id or "null"} for v in batch]
            try:
                answer = self.client.delete_objects(Bucket=bucket, Delete={"Objects": entries, "Quiet": True})
            except AWS_ERRORS as error:
                raise_translated(error, doing=f"deleting {len(entries)} object versions in bucket {bucket}")
            for problem in answer.get("Errors", []):
                if problem.get("Code") == "NoSuchVersion":
                    continue  # already gone: the goal is reached
                transient = transient or problem.get("Code") in {"SlowDown", "InternalError", "ServiceUnavailable"}
                failures.append(f"{problem.get('Key')}@{problem.get('VersionId')}: {problem.get('Code')}")
        if failures:
            shown = "; ".join(failures[:5]) + (f" and {len(failures) - 5} more" if len(failures) > 5 else "")
            error_type = TransientError if transient else StorageError
            raise error_type(
                f"{len(failures)} object versions in bucket {bucket} were not deleted ({shown}); "
                "run the deletion again (it is idempotent) and check the credentials allow s3:DeleteObjectVersion"
            )

    def abort_abandoned_uploads(self, *, tier: Tier, older_than: dt.datetime) -> int:
        bucket = self.buckets[tier]
        aborted = 0
        try:
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] < older_than:
                        self.client.abort_multipart_upload(
                            Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        except AWS_ERRORS as error:
            raise_translated(error, doing=f"aborting abandoned uploads in bucket {bucket}")
        return aborted

    # --- cold storage -----------------------------------------------------------------

    def request_restore(self, *, tier: Tier, key: str, days: int) -> RestoreState:
        state = self.restore_state(tier=tier, key=key)
        if state is not RestoreState.not_requested:
            return state
        try:
            self.client.restore_object(
                Bucket=self.buckets[tier],
                Key=key,
                RestoreRequest={"Days": days, "GlacierJobParameters": {"Tier": "Standard"}},
            )
        except AWS_ERRORS as error:
            if error_code(error) == "RestoreAlreadyInProgress":
                return RestoreState.in_progress
            raise_translated(error, doing=f"requesting the restore of object {key}")
        return self.restore_state(tier=tier, key=key)

    def restore_state(self, *, tier: Tier, key: str) -> RestoreState:
        try:
            answer = self.client.head_object(Bucket=self.buckets[tier], Key=key)
        except AWS_ERRORS as error:
            raise_translated(error, doing=f"checking the restore of object {key}")
        if answer.get("StorageClass") not in _COLD_CLASSES:
            return RestoreState.not_needed
        restore = answer.get("Restore")
        if not restore:
            return RestoreState.not_requested
        return RestoreState.in_progress if 'ongoing-request="true"' in restore else RestoreState.ready


class _TranslatingStream:
    """A botocore body whose network errors come out as casevault errors."""

    def __init__(self, body: Any, *, doing: str) -> None:
        self._body = body
        self._doing = doing

    def read(self, size: int = -1) -> bytes:
        try:
            chunk: bytes = self._body.read(size if size >= 0 else None)
            return chunk
        except AWS_ERRORS as error:
            raise_translated(error, doing=self._doing)
