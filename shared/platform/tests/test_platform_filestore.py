"""Where uploaded files live: a local directory, or an S3-compatible bucket (moto's server here).

The local store and URL parsing are unit tests (a temporary directory only); the S3 store talks
HTTP to a real S3 stand-in and is an integration test. The layers are marked per class so that
`-m unit` never starts the S3 server.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import boto3
import pytest
from moto.server import ThreadedMotoServer
from rtw_platform.filestore import FileNotStored, LocalFileStore, S3FileStore, file_store_from_url

VIDEO = b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 40


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class TestLocalFileStore:
    pytestmark = pytest.mark.unit

    async def test_a_file_put_can_be_read_back_and_deleted(self, tmp_path: Path) -> None:
        store = LocalFileStore(tmp_path / "files")
        key = "second-stage/ab12/video.mp4"

        await store.put(key, VIDEO, "video/mp4")

        assert await store.get(key) == VIDEO
        assert (tmp_path / "files" / key).read_bytes() == VIDEO
        await store.delete(key)
        with pytest.raises(FileNotStored):
            await store.get(key)
        await store.delete(key)  # deleting what is gone is not an error

    async def test_putting_a_key_again_replaces_the_file(self, tmp_path: Path) -> None:
        store = LocalFileStore(tmp_path)
        await store.put("v.webm", b"first", "video/webm")
        await store.put("v.webm", b"second", "video/webm")
        assert await store.get("v.webm") == b"second"

    @pytest.mark.parametrize("key", ["video.mp4", "a/b/c/video", "no-suffix", "v.tar.gz"])
    async def test_a_write_leaves_only_the_file_no_partial_one(self, tmp_path: Path, key: str) -> None:
        store = LocalFileStore(tmp_path)
        await store.put(key, VIDEO, "video/mp4")
        assert files_under(tmp_path) == [key]

    async def test_a_write_that_fails_halfway_leaves_the_earlier_file_whole(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store = LocalFileStore(tmp_path)
        await store.put("video.mp4", b"the whole first video", "video/mp4")
        real_write = pathlib.Path.write_bytes

        def disk_full(self: pathlib.Path, data: bytes) -> int:
            real_write(self, bytes(data)[: len(data) // 2])
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(pathlib.Path, "write_bytes", disk_full)
        with pytest.raises(OSError, match="No space left"):
            await store.put("video.mp4", VIDEO, "video/mp4")
        monkeypatch.undo()

        assert await store.get("video.mp4") == b"the whole first video"

    @pytest.mark.parametrize("key", ["../x", "a/../../x", "../files-sibling/x", "/etc/passwd", "", "."])
    async def test_a_key_that_leaves_the_store_is_refused(self, tmp_path: Path, key: str) -> None:
        root = tmp_path / "files"
        root.mkdir()
        store = LocalFileStore(root)
        with pytest.raises(ValueError, match="leaves the store"):
            await store.put(key, b"data", "text/plain")
        with pytest.raises(ValueError, match="leaves the store"):
            await store.get(key)
        with pytest.raises(ValueError, match="leaves the store"):
            await store.delete(key)
        assert files_under(tmp_path) == []

    async def test_getting_a_key_never_stored_raises_file_not_stored(self, tmp_path: Path) -> None:
        store = LocalFileStore(tmp_path)
        with pytest.raises(FileNotStored) as caught:
            await store.get("never/put.mp4")
        assert isinstance(caught.value, LookupError)
        assert "never/put.mp4" in str(caught.value)


class TestFileStoreFromUrl:
    pytestmark = pytest.mark.unit

    async def test_an_absolute_file_url_is_that_directory(self, tmp_path: Path) -> None:
        store = file_store_from_url(f"file://{tmp_path}/files")
        assert isinstance(store, LocalFileStore)
        assert store.root == tmp_path / "files"
        await store.put("k/v.mp4", b"abc", "video/mp4")
        assert (tmp_path / "files" / "k" / "v.mp4").read_bytes() == b"abc"

    async def test_a_relative_file_url_is_relative_to_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        store = file_store_from_url("file://var/files")
        assert isinstance(store, LocalFileStore)
        assert store.root == Path("var/files")
        await store.put("v.mp4", b"abc", "video/mp4")
        assert (tmp_path / "var" / "files" / "v.mp4").read_bytes() == b"abc"

    def test_an_s3_url_names_the_bucket_endpoint_and_region(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RTW_S3_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("RTW_S3_SECRET_ACCESS_KEY", "testing")
        store = file_store_from_url("s3://rtw-videos?endpoint=http://minio:9000&region=eu-west-1")
        assert isinstance(store, S3FileStore)
        assert store.bucket == "rtw-videos"
        assert store._client.meta.endpoint_url == "http://minio:9000"
        assert store._client.meta.region_name == "eu-west-1"

    def test_an_s3_url_without_a_region_uses_london(self) -> None:
        store = file_store_from_url("s3://rtw-videos?endpoint=http://minio:9000")
        assert isinstance(store, S3FileStore)
        assert store._client.meta.region_name == "eu-west-2"

    @pytest.mark.parametrize(
        "url", ["http://files.example/videos", "/var/lib/rtw/files", "gs://bucket", "var/files"]
    )
    def test_any_other_url_is_refused_naming_what_is_accepted(self, url: str) -> None:
        with pytest.raises(ValueError, match="must start with file:// or s3://") as caught:
            file_store_from_url(url)
        assert repr(url) in str(caught.value)


# --------------------------------------------------------------------------- S3, for real


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new bucket; only the RTW_S3_* credentials are set (no AWS ones)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("RTW_S3_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("RTW_S3_SECRET_ACCESS_KEY", "testing")
    bucket = f"rtw-{uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    return bucket


class TestS3FileStore:
    pytestmark = pytest.mark.integration

    async def test_a_file_put_can_be_read_back_and_deleted(self, s3_endpoint: str, s3_bucket: str) -> None:
        store = file_store_from_url(f"s3://{s3_bucket}?endpoint={s3_endpoint}&region=eu-west-2")
        key = "second-stage/ab12/video.mp4"

        await store.put(key, VIDEO, "video/mp4")

        assert await store.get(key) == VIDEO
        await store.delete(key)
        with pytest.raises(FileNotStored):
            await store.get(key)
        await store.delete(key)  # deleting what is gone is not an error

    async def test_the_content_type_is_stored_with_the_object(self, s3_endpoint: str, s3_bucket: str) -> None:
        store = file_store_from_url(f"s3://{s3_bucket}?endpoint={s3_endpoint}&region=eu-west-2")
        await store.put("v.webm", b"\x1a\x45\xdf\xa3webm", "video/webm")
        assert isinstance(store, S3FileStore)
        head = store._client.head_object(Bucket=s3_bucket, Key="v.webm")
        assert head["ContentType"] == "video/webm"
        assert head["ContentLength"] == 8

    async def test_getting_a_key_never_stored_raises_file_not_stored(
        self, s3_endpoint: str, s3_bucket: str
    ) -> None:
        store = file_store_from_url(f"s3://{s3_bucket}?endpoint={s3_endpoint}&region=eu-west-2")
        with pytest.raises(FileNotStored) as caught:
            await store.get("never/put.mp4")
        assert "never/put.mp4" in str(caught.value)
