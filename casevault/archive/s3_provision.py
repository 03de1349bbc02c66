"""``storage init`` for S3: buckets, versioning and lifecycle rules, changed only where
they differ from what casevault needs, so a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from casevault.archive.aws import AWS_ERRORS, error_code
from casevault.archive.s3 import S3Store
from casevault.core.models import Tier

EXPIRE_RULE = "casevault-expire-noncurrent"
COLD_RULE = "casevault-archive-cold-class"
# Days before a transition may happen; STANDARD_IA refuses fewer than 30.
_TRANSITION_DAYS = {"STANDARD_IA": 30}


@dataclass
class SetupOutcome:
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def provision_buckets(
    store: S3Store, *, region: str, noncurrent_expiry_days: int, archive_storage_class: str
) -> SetupOutcome:
    outcome = SetupOutcome()
    for tier, bucket in store.buckets.items():
        if not _ensure_bucket(store.client, bucket=bucket, region=region, outcome=outcome):
            continue
        _ensure_versioning(store.client, bucket=bucket, outcome=outcome)
        cold_class = archive_storage_class if tier is Tier.archive else ""
        _ensure_lifecycle(
            store.client, bucket=bucket, expiry_days=noncurrent_expiry_days, cold_class=cold_class, outcome=outcome
        )
    return outcome


def _ensure_bucket(client: Any, *, bucket: str, region: str, outcome: SetupOutcome) -> bool:
    try:
        client.head_bucket(Bucket=bucket)
        return True
    except AWS_ERRORS as error:
        code = error_code(error)
        if code not in {"404", "NoSuchBucket", "NotFound"}:
            outcome.problems.append(
                f"bucket {bucket}: cannot look at it ({code or type(error).__name__}); it may belong to another "
                "account, or the credentials lack s3:ListBucket"
            )
            return False
    try:
        if region == "us-east-1":
            client.create_bucket(Bucket=bucket)
        else:
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    except AWS_ERRORS as error:
        outcome.problems.append(
            f"bucket {bucket}: does not exist and could not be created ({error_code(error)}); "
            "create it yourself or grant s3:CreateBucket"
        )
        return False
    outcome.changes.append(f"created bucket {bucket}")
    return True


def _ensure_versioning(client: Any, *, bucket: str, outcome: SetupOutcome) -> None:
    try:
        if client.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled":
            return
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    except AWS_ERRORS as error:
        outcome.problems.append(
            f"bucket {bucket}: could not enable versioning ({error_code(error)}); "
            "grant s3:GetBucketVersioning and s3:PutBucketVersioning"
        )
        return
    outcome.changes.append(f"enabled versioning on bucket {bucket}")


def _ensure_lifecycle(client: Any, *, bucket: str, expiry_days: int, cold_class: str, outcome: SetupOutcome) -> None:
    try:
        current = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    except AWS_ERRORS as error:
        if error_code(error) != "NoSuchLifecycleConfiguration":
            outcome.problems.append(
                f"bucket {bucket}: could not read lifecycle rules ({error_code(error)}); "
                "grant s3:GetLifecycleConfiguration"
            )
            return
        current = []
    wanted = [_expire_rule(expiry_days)] + ([_cold_rule(cold_class)] if cold_class else [])
    ours = {rule["ID"] for rule in wanted}
    if sorted(map(_essence, (r for r in current if r.get("ID") in ours))) == sorted(map(_essence, wanted)):
        return
    others = [rule for rule in current if rule.get("ID") not in ours]  # keep rules someone else set
    try:
        client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": others + wanted})
    except AWS_ERRORS as error:
        if not cold_class:
            outcome.problems.append(
                f"bucket {bucket}: could not install lifecycle rules ({error_code(error)}); "
                "grant s3:PutLifecycleConfiguration"
            )
            return
        # Servers without storage classes (MinIO without tiers) refuse the transition:
        # archive by bucket only, and say so.
        outcome.notes.append(
            f"bucket {bucket}: the server refused a transition to {cold_class} ({error_code(error)}); "
            "the archive tier is kept by bucket only. Set CASEVAULT_S3_ARCHIVE_STORAGE_CLASS= to silence this"
        )
        _ensure_lifecycle(client, bucket=bucket, expiry_days=expiry_days, cold_class="", outcome=outcome)
        return
    outcome.changes.append(f"installed lifecycle rules {', '.join(sorted(ours))} on bucket {bucket}")


def _expire_rule(days: int) -> dict[str, Any]:
    return {
        "ID": EXPIRE_RULE,
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        "Expiration": {"ExpiredObjectDeleteMarker": True},
    }


def _cold_rule(storage_class: str) -> dict[str, Any]:
    return {
        "ID": COLD_RULE,
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "Transitions": [{"Days": _TRANSITION_DAYS.get(storage_class, 0), "StorageClass": storage_class}],
    }


def _essence(rule: dict[str, Any]) -> tuple[Any, ...]:
    """The parts of a rule we set, in a form servers cannot reshuffle."""
    return (
        rule.get("ID"),
        rule.get("Status"),
        (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
        (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
        bool((rule.get("Expiration") or {}).get("ExpiredObjectDeleteMarker")),
        tuple((t.get("Days"), t.get("StorageClass")) for t in rule.get("Transitions") or []),
    )
