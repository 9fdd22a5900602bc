"""Publishing the ACL files where the agent applications read them, and checking them.

Where is the platform's choice: with the local state backend, a folder (`<workdir>/acl`, or
`--acl-dir` / `PAYBILL_ACL_DIR`); with the s3 backend, the `acl/` prefix next to the stacks'
state in the state bucket. A published file is checked against the digest its node's record
lists, so a file changed or removed by hand is drift.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from compiler.errors import EnvironmentProblem

ACL_DIR_VARIABLE = "PAYBILL_ACL_DIR"
PREFIX = "acl/"


class Destination(Protocol):
    @property
    def label(self) -> str: ...

    def put(self, path: str, content: bytes) -> None: ...

    def delete(self, path: str) -> None: ...

    def sha256(self, path: str) -> str | None: ...


@dataclass
class Folder:
    root: Path

    @property
    def label(self) -> str:
        return self.root.as_posix()

    def put(self, path: str, content: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_name(f".{target.name}.{os.getpid()}")
        scratch.write_bytes(content)
        os.replace(scratch, target)

    def delete(self, path: str) -> None:
        (self.root / path).unlink(missing_ok=True)

    def sha256(self, path: str) -> str | None:
        try:
            return hashlib.sha256((self.root / path).read_bytes()).hexdigest()
        except FileNotFoundError:
            return None


class Bucket:
    """An S3 prefix; the endpoint and credentials come from the environment, as for the AWS
    CLI (`AWS_ENDPOINT_URL` points it at the sandbox's emulator)."""

    def __init__(self, bucket: str, prefix: str, region: str) -> None:
        self.bucket, self.prefix, self.region = bucket, prefix, region
        self._client: Any = None

    @property
    def label(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def client(self) -> Any:
        if self._client is None:
            try:
                import boto3  # noqa: PLC0415  (only for the s3 backend)
            except ImportError:
                raise EnvironmentProblem(
                    "publishing to S3 needs boto3: pip install boto3"
                ) from None
            self._client = boto3.client("s3", region_name=self.region)
        return self._client

    def put(self, path: str, content: bytes) -> None:
        self._call("put_object", Bucket=self.bucket, Key=self.prefix + path, Body=content)

    def delete(self, path: str) -> None:
        self._call("delete_object", Bucket=self.bucket, Key=self.prefix + path)

    def sha256(self, path: str) -> str | None:
        try:
            found = self.client().get_object(Bucket=self.bucket, Key=self.prefix + path)
        except Exception as exc:  # botocore's errors are not importable without it
            if "NoSuchKey" in type(exc).__name__ or "NoSuchKey" in str(exc):
                return None
            raise EnvironmentProblem(f"cannot read {self.label}{path}: {exc}") from None
        return hashlib.sha256(found["Body"].read()).hexdigest()

    def _call(self, name: str, **kwargs: Any) -> None:
        try:
            getattr(self.client(), name)(**kwargs)
        except EnvironmentProblem:
            raise
        except Exception as exc:
            raise EnvironmentProblem(f"cannot write to {self.label}: {exc}") from None


def destination(generated: Path, workdir: Path, acl_dir: Path | None) -> Destination:
    """Where the ACL files go, as the platform's state backend says (read from a stack)."""
    if acl_dir is not None:
        return Folder(acl_dir)
    text = os.environ.get(ACL_DIR_VARIABLE, "").strip()
    if text:
        return Folder(Path(text))
    for stack in sorted((generated / "stacks").glob("*/cdk.tf.json")):
        backend = orjson.loads(stack.read_bytes()).get("terraform", {}).get("backend", {})
        s3 = backend.get("s3")
        if s3:
            key = str(s3.get("key", ""))
            base = key.rsplit("/", 2)[0] + "/" if key.count("/") >= 2 else ""
            return Bucket(str(s3["bucket"]), base + PREFIX, str(s3.get("region", "")))
        break
    return Folder(workdir / "acl")


def published_path(path: str) -> str:
    """`acl/acme.json` -> `acme.json`: the destination mirrors the output's `acl/`."""
    return path.removeprefix(PREFIX)
