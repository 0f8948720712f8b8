"""Where uploaded files live: a local directory by default, any S3-compatible store by configuration.

`RTW_FILE_STORE_URL` chooses: `file:///var/lib/rtw/files` (or a relative `file://var/files`), or
`s3://BUCKET?endpoint=http://minio:9000&region=eu-west-2` with the credentials from
`RTW_S3_ACCESS_KEY_ID` / `RTW_S3_SECRET_ACCESS_KEY` (or the usual AWS variables).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse


class FileNotStored(LookupError):
    """No file under that key."""


class FileStore(Protocol):
    """Put, get and delete whole files by key."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...


class LocalFileStore:
    """Files under a directory; keys are relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key {key!r} leaves the store")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write atomically (a partial file never appears under the key)."""
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".partial")
            partial.write_bytes(data)
            partial.replace(path)

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise FileNotStored(key) from exc

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)


class S3FileStore:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, …)."""

    def __init__(
        self, bucket: str, *, endpoint_url: str | None, region: str | None, **credentials: Any
    ) -> None:
        import boto3

        self.bucket = bucket
        self._client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region or "eu-west-2", **credentials
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            try:
                body: bytes = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                return body
            except self._client.exceptions.NoSuchKey as exc:
                raise FileNotStored(key) from exc

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=key)


def file_store_from_url(url: str) -> FileStore:
    """The store a `RTW_FILE_STORE_URL` names."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = (parsed.netloc + parsed.path) if parsed.netloc else parsed.path
        return LocalFileStore(Path(path))
    if parsed.scheme == "s3":
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        credentials = {}
        key_id = os.environ.get("RTW_S3_ACCESS_KEY_ID")
        secret = os.environ.get("RTW_S3_SECRET_ACCESS_KEY")
        if key_id and secret:
            credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
        return S3FileStore(
            parsed.netloc,
            endpoint_url=options.get("endpoint"),
            region=options.get("region"),
            **credentials,
        )
    raise ValueError(f"RTW_FILE_STORE_URL must start with file:// or s3://, not {url!r}")
