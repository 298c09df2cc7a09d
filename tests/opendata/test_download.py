"""intake.opendata.download: the open-data files downloaded into a cache, whatever the network does.

Every test talks to a real HTTP server on a loopback port (tests.support.opendata_server) that
can fail, drop the connection, ignore ranges or never answer; `backoff=0` keeps retries fast.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
from datetime import UTC, date, datetime
from email.message import Message
from pathlib import Path

import pytest

from intake.opendata.download import DownloadError, fetch, gzip_damage, retry_after
from tests.support.opendata_server import closed_port_url, serving_files

PATH = "/adresses-62.csv.gz"
NAME = "adresses-62.csv.gz"
# Several 64 KiB chunks of bytes that do not compress: a gzip of them is as long.
BODY = b"".join(hashlib.sha256(b"%d" % n).digest() for n in range(10_000))  # 320 KB
LABEL = "BAN 62"


def get(url: str, cache: Path, **options):
    options = {"label": LABEL, "backoff": 0, **options}
    return fetch(url, cache, NAME, **options)


def leftovers(cache: Path) -> set[str]:
    """The files in the cache other than the cached file and its record."""
    return {path.name for path in cache.iterdir()} - {NAME, NAME + ".json"}


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_first_download_is_cached_with_its_digest_date_and_record(tmp_path):
    with serving_files({PATH: BODY}) as server:
        fetched = get(server.url(PATH), tmp_path)
        etag = server.etag(PATH)

    assert fetched.path == tmp_path / NAME
    assert fetched.path.read_bytes() == BODY
    assert fetched.sha256 == hashlib.sha256(BODY).hexdigest()
    assert fetched.size == len(BODY)
    assert fetched.date == date(2026, 11, 28)  # the server's Last-Modified
    assert fetched.downloaded_at.tzinfo is UTC
    assert not fetched.unchanged
    record = json.loads((tmp_path / (NAME + ".json")).read_text())
    assert record["url"] == server.url(PATH)
    assert record["etag"] == etag
    assert record["last_modified"] == "Sat, 28 Nov 2026 06:00:00 GMT"
    assert (record["sha256"], record["size"], record["date"]) == (
        fetched.sha256,
        len(BODY),
        "2026-11-28",
    )
    assert datetime.fromisoformat(record["downloaded_at"]) == fetched.downloaded_at
    assert leftovers(tmp_path) == set()


def test_second_call_revalidates_and_keeps_the_cache(tmp_path):
    with serving_files({PATH: BODY}) as server:
        first = get(server.url(PATH), tmp_path)
        second = get(server.url(PATH), tmp_path)

    assert second.unchanged
    assert (second.path, second.sha256, second.size) == (first.path, first.sha256, first.size)
    assert second.date == first.date
    assert second.downloaded_at >= first.downloaded_at
    revalidation = server.requests(PATH)[1]
    assert revalidation.headers["If-None-Match"] == server.etag(PATH)
    assert (revalidation.status, revalidation.sent) == (304, 0)
    assert second.path.read_bytes() == BODY


def test_changed_file_is_downloaded_again_and_replaces_the_cache(tmp_path):
    new = BODY[::-1]
    with serving_files({PATH: BODY}) as server:
        old_etag = server.etag(PATH)
        get(server.url(PATH), tmp_path)
        server.put(PATH, new)
        fetched = get(server.url(PATH), tmp_path)

    assert server.requests(PATH)[1].headers["If-None-Match"] == old_etag
    assert not fetched.unchanged
    assert fetched.path.read_bytes() == new
    assert fetched.sha256 == hashlib.sha256(new).hexdigest()
    assert fetched.date == date(2026, 11, 29)
    record = json.loads((tmp_path / (NAME + ".json")).read_text())
    assert record["etag"] == server.etag(PATH) != old_etag
    assert record["sha256"] == fetched.sha256


def test_cached_file_of_the_wrong_size_is_downloaded_whole(tmp_path):
    with serving_files({PATH: BODY}) as server:
        get(server.url(PATH), tmp_path)
        (tmp_path / NAME).write_bytes(BODY[:1000])  # damaged behind the record's back
        fetched = get(server.url(PATH), tmp_path)

    assert "If-None-Match" not in server.requests(PATH)[1].headers
    assert not fetched.unchanged
    assert fetched.path.read_bytes() == BODY


def test_server_error_is_retried(tmp_path):
    progress = io.StringIO()
    with serving_files({PATH: BODY}, fail_first={PATH: [500]}) as server:
        fetched = get(server.url(PATH), tmp_path, progress=progress)

    assert [request.status for request in server.requests(PATH)] == [500, 200]
    assert fetched.path.read_bytes() == BODY
    lines = progress.getvalue().splitlines()
    assert lines[0] == "BAN 62: server answered 500, retrying in 0 s (attempt 2 of 4)"
    assert lines[1].startswith("BAN 62: downloaded 0.3 MB in ")


def test_server_errors_until_the_last_attempt_fail(tmp_path):
    failing = serving_files({PATH: BODY}, fail_first={PATH: [503, 429, 408]})
    with failing as server, pytest.raises(DownloadError) as raised:
        get(server.url(PATH), tmp_path, attempts=3)

    assert len(server.requests(PATH)) == 3
    assert str(raised.value) == "BAN 62: 127.0.0.1 answered 408 Request Timeout"
    assert list(tmp_path.iterdir()) == []


def test_not_found_fails_at_once(tmp_path):
    with serving_files({}) as server, pytest.raises(DownloadError) as raised:
        get(server.url(PATH), tmp_path)

    assert len(server.requests(PATH)) == 1
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("BAN 62: not found at 127.0.0.1 (HTTP 404")


def test_unreachable_server_fails_after_every_attempt_and_keeps_the_cache(tmp_path):
    with serving_files({PATH: BODY}) as server:
        kept = get(server.url(PATH), tmp_path)
    record = (tmp_path / (NAME + ".json")).read_bytes()
    progress = io.StringIO()

    with pytest.raises(DownloadError) as raised:
        get(closed_port_url(PATH), tmp_path, attempts=3, progress=progress)

    assert str(raised.value) == "BAN 62: could not reach 127.0.0.1 (Connection refused)"
    retries = progress.getvalue().splitlines()
    assert retries == [
        "BAN 62: Connection refused, retrying in 0 s (attempt 2 of 3)",
        "BAN 62: Connection refused, retrying in 0 s (attempt 3 of 3)",
    ]
    assert kept.path.read_bytes() == BODY
    assert (tmp_path / (NAME + ".json")).read_bytes() == record
    assert leftovers(tmp_path) == set()


def test_unreachable_server_leaves_nothing_in_an_empty_cache(tmp_path):
    with pytest.raises(DownloadError, match="could not reach 127.0.0.1"):
        get(closed_port_url(PATH), tmp_path / "opendata", attempts=2)

    assert list((tmp_path / "opendata").iterdir()) == []


def test_dropped_connection_is_resumed_with_a_range(tmp_path):
    progress = io.StringIO()
    with serving_files({PATH: BODY}, drop_after={PATH: 100_000}) as server:
        fetched = get(server.url(PATH), tmp_path, progress=progress)

    first, second = server.requests(PATH)
    assert (first.status, first.sent) == (200, 100_000)
    assert second.headers["Range"] == "bytes=100000-"
    assert second.headers["If-Range"] == server.etag(PATH)
    assert (second.status, second.sent) == (206, len(BODY) - 100_000)
    assert fetched.path.read_bytes() == BODY
    assert fetched.sha256 == hashlib.sha256(BODY).hexdigest()
    assert progress.getvalue().startswith("BAN 62: connection dropped at 0.1 MB, resuming in 0 s")
    assert leftovers(tmp_path) == set()


def test_download_dropped_on_its_last_attempt_is_resumed_by_the_next_call(tmp_path):
    with serving_files({PATH: BODY}, drop_after={PATH: 100_000}) as server:
        with pytest.raises(DownloadError) as raised:
            get(server.url(PATH), tmp_path, attempts=1)
        assert leftovers(tmp_path) == {NAME + ".part", NAME + ".part.json"}
        fetched = get(server.url(PATH), tmp_path)

    assert str(raised.value) == (
        "BAN 62: the connection to 127.0.0.1 dropped at 0.1 MB (closed before the 0.3 MB announced)"
    )
    assert server.requests(PATH)[1].headers["Range"] == "bytes=100000-"
    assert fetched.path.read_bytes() == BODY
    assert leftovers(tmp_path) == set()


def test_dropped_connection_is_resumed_on_last_modified_when_the_etag_is_weak(tmp_path):
    with serving_files({PATH: BODY}, drop_after={PATH: 100_000}, weak_etags=True) as server:
        fetched = get(server.url(PATH), tmp_path)

    first, second = server.requests(PATH)
    assert server.etag(PATH).startswith("W/")  # If-Range may not name it
    assert second.headers["If-Range"] == "Sat, 28 Nov 2026 06:00:00 GMT"
    assert (second.status, second.sent) == (206, len(BODY) - 100_000)
    assert fetched.path.read_bytes() == BODY


def test_dropped_connection_restarts_when_the_server_ignores_ranges(tmp_path):
    with serving_files({PATH: BODY}, drop_after={PATH: 100_000}, no_ranges=True) as server:
        fetched = get(server.url(PATH), tmp_path)

    assert [(request.status, request.sent) for request in server.requests(PATH)] == [
        (200, 100_000),
        (200, len(BODY)),
    ]
    assert fetched.path.read_bytes() == BODY
    assert fetched.sha256 == hashlib.sha256(BODY).hexdigest()


def part_left(cache: Path, data: bytes, url: str, etag: str) -> None:
    """What a run killed mid-download leaves: the part and the record of what it is part of."""
    cache.mkdir(exist_ok=True)
    (cache / (NAME + ".part")).write_bytes(data)
    record = {"url": url, "etag": etag, "last_modified": None}
    (cache / (NAME + ".part.json")).write_text(json.dumps(record))


def test_part_left_by_an_earlier_run_is_resumed(tmp_path):
    with serving_files({PATH: BODY}) as server:
        part_left(tmp_path, BODY[:70_000], server.url(PATH), server.etag(PATH))
        fetched = get(server.url(PATH), tmp_path)

    (request,) = server.requests(PATH)
    assert request.headers["Range"] == "bytes=70000-"
    assert (request.status, request.sent) == (206, len(BODY) - 70_000)
    assert fetched.path.read_bytes() == BODY
    assert fetched.sha256 == hashlib.sha256(BODY).hexdigest()
    assert leftovers(tmp_path) == set()


def test_part_of_another_version_is_discarded(tmp_path):
    with serving_files({PATH: BODY}) as server:
        # Bytes of an older version: appended to, they would make a wrong file.
        part_left(tmp_path, b"x" * 70_000, server.url(PATH), '"an-older-version"')
        fetched = get(server.url(PATH), tmp_path)

    (request,) = server.requests(PATH)
    assert request.headers["If-Range"] == '"an-older-version"'
    assert (request.status, request.sent) == (200, len(BODY))
    assert fetched.path.read_bytes() == BODY
    assert leftovers(tmp_path) == set()


def test_part_without_its_record_is_discarded(tmp_path):
    tmp_path.joinpath(NAME + ".part").write_bytes(b"x" * 70_000)
    with serving_files({PATH: BODY}) as server:
        fetched = get(server.url(PATH), tmp_path)

    (request,) = server.requests(PATH)
    assert "Range" not in request.headers
    assert fetched.path.read_bytes() == BODY


def test_part_longer_than_the_file_is_restarted(tmp_path):
    with serving_files({PATH: BODY}) as server:
        part_left(tmp_path, BODY + b"more", server.url(PATH), server.etag(PATH))
        fetched = get(server.url(PATH), tmp_path)

    assert [request.status for request in server.requests(PATH)] == [416, 200]
    assert "Range" not in server.requests(PATH)[1].headers
    assert fetched.path.read_bytes() == BODY


def damaged(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[:-100]
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


@pytest.mark.parametrize("how", ["truncated", "corrupt"])
def test_damaged_gzip_never_enters_the_cache(tmp_path, how):
    good = gzip.compress(BODY)
    with serving_files({PATH: good}) as server:
        get(server.url(PATH), tmp_path)
        record = (tmp_path / (NAME + ".json")).read_bytes()
        # Served whole: the Content-Length matches, only the gzip itself tells.
        server.put(PATH, damaged(good, how))
        progress = io.StringIO()
        with pytest.raises(DownloadError) as raised:
            get(server.url(PATH), tmp_path, progress=progress)

    message = str(raised.value)
    assert message.startswith("BAN 62: the downloaded file is a damaged gzip")
    assert "127.0.0.1" in message and "\n" not in message
    if how == "truncated":
        assert "(truncated)" in message
    assert [request.status for request in server.requests(PATH)] == [200, 200, 200]
    assert "downloading it again" in progress.getvalue()
    assert (tmp_path / NAME).read_bytes() == good
    assert (tmp_path / (NAME + ".json")).read_bytes() == record
    assert leftovers(tmp_path) == set()


def test_multi_member_gzip_is_accepted(tmp_path):
    members = gzip.compress(BODY[:200_000]) + gzip.compress(BODY[200_000:])
    with serving_files({PATH: members}) as server:
        fetched = get(server.url(PATH), tmp_path)

    assert fetched.path.read_bytes() == members
    assert gzip.decompress(fetched.path.read_bytes()) == BODY


def packed(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        pytest.param(packed(b"a") + packed(b"b"), None, id="two members"),
        pytest.param(packed(b"a") + b"\0" * 10, None, id="zero padding after the last member"),
        pytest.param(packed(bytes(5_000_000)), None, id="a thousandfold, a chunk at a time"),
        pytest.param(packed(b"a") + packed(b"b")[:-3], "truncated", id="second member cut"),
        pytest.param(b"\x1f\x8b", "truncated", id="magic bytes only"),
        pytest.param(
            packed(b"a") + b"garbage",
            "corrupt: Error -3 while decompressing data",
            id="garbage after a member",
        ),
    ],
)
def test_gzip_damage(data, problem):
    found = gzip_damage(io.BytesIO(data))
    assert found == problem or (problem and found.startswith(problem))


def test_progress_is_one_line_per_file_when_not_a_terminal(tmp_path):
    progress = io.StringIO()
    with serving_files({PATH: BODY}) as server:
        get(server.url(PATH), tmp_path, progress=progress)
        get(server.url(PATH), tmp_path, progress=progress)

    downloaded, unchanged = progress.getvalue().splitlines()
    assert downloaded.startswith("BAN 62: downloaded 0.3 MB in ")
    assert downloaded.endswith(" MB/s) from 127.0.0.1")
    assert unchanged == "BAN 62: unchanged since 2026-11-28 (cached, 0.3 MB)"
    assert "\r" not in progress.getvalue()


def test_progress_rewrites_a_line_on_a_terminal(tmp_path):
    progress = FakeTerminal()
    with serving_files({PATH: BODY}) as server:
        get(server.url(PATH), tmp_path, progress=progress)

    output = progress.getvalue()
    assert output.startswith("\rBAN 62: ")
    assert " of 0.3 MB, " in output
    assert "MB/s" in output
    assert output.endswith("\n") and output.count("\n") == 1
    assert output.rsplit("\r", 1)[1].startswith("BAN 62: downloaded 0.3 MB in ")


def test_no_progress_stream_is_silent(tmp_path, capsys):
    with serving_files({PATH: BODY}, fail_first={PATH: [500]}) as server:
        get(server.url(PATH), tmp_path)

    assert capsys.readouterr() == ("", "")


def test_server_that_never_answers_times_out(tmp_path):
    hanging = serving_files({PATH: BODY}, hang=(PATH,))
    with hanging as server, pytest.raises(DownloadError) as raised:
        get(server.url(PATH), tmp_path, timeout=0.5, attempts=2)

    assert str(raised.value) == "BAN 62: could not reach 127.0.0.1 (no answer within 0.5 s)"
    assert len(server.requests(PATH)) == 2
    assert leftovers(tmp_path) == set()


def test_file_url_is_copied_hashed_and_cached(tmp_path):
    source = tmp_path / "mirror" / NAME
    source.parent.mkdir()
    source.write_bytes(gzip.compress(BODY))
    os.utime(source, (0, datetime(2026, 11, 28, 12, tzinfo=UTC).timestamp()))
    cache = tmp_path / "cache"

    fetched = get(source.as_uri(), cache)
    again = get(source.as_uri(), cache)

    assert fetched.path == cache / NAME
    assert fetched.path.read_bytes() == source.read_bytes()
    assert fetched.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert fetched.date == date(2026, 11, 28)
    assert not again.unchanged and again.sha256 == fetched.sha256
    assert leftovers(cache) == set()


def test_missing_file_url_fails_at_once(tmp_path):
    missing = tmp_path / "nowhere" / NAME
    with pytest.raises(DownloadError, match=r"^BAN 62: could not read .*nowhere"):
        get(missing.as_uri(), tmp_path / "cache")


def test_other_schemes_are_refused(tmp_path):
    with pytest.raises(DownloadError, match="only http, https and file URLs"):
        get("ftp://example.org/adresses-62.csv.gz", tmp_path)


def test_retry_after_is_read_in_seconds_and_capped():
    def headers(value):
        message = Message()
        if value is not None:
            message["Retry-After"] = value
        return message

    assert retry_after(headers("5")) == 5
    assert retry_after(headers("600")) == 30
    assert retry_after(headers("Wed, 21 Oct 2026 07:28:00 GMT")) is None
    assert retry_after(headers(None)) is None
