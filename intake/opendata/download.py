"""Download the official open-data files into a local cache, surviving what networks do.

`fetch()` keeps each file in a cache directory beside a small JSON record of where it came
from (URL, ETag, Last-Modified, SHA-256, size, dates). A second run asks the server whether
the file changed (If-None-Match / If-Modified-Since) and keeps the cached copy on a 304. The
body is streamed to `NAME.part` in 64 KiB chunks, hashed on the way, and only replaces the
cached file once its length is right and, for a gzip, once it decompresses to its end: a
crash or a dropped connection leaves the previous file, or a `.part` that the next try
resumes with a Range request. Failures worth another try (refused or dropped connections,
timeouts, 5xx, 408, 429) are retried with a growing pause; the rest fail at once. Whatever
fails ends as one `DownloadError` line naming the source and the host.

Standard library only and no Flask: the territory commands call it, and so can a script.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from http.client import HTTPException, HTTPResponse
from pathlib import Path
from typing import Any, BinaryIO, TextIO
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen
from urllib.response import addinfourl

CHUNK = 64 * 1024
RETRY_STATUSES = frozenset({408, 429})  # and every 5xx
MAX_RETRY_AFTER = 30.0  # seconds: a server asking for longer is not waited for that long
PROGRESS_EVERY = 0.2  # seconds between two rewrites of a terminal's progress line
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
USER_AGENT = "pre-intake (territory import from open data)"


class DownloadError(Exception):
    """One line: which source, which URL (host), what failed. Never a traceback."""


@dataclass(frozen=True)
class Fetched:
    label: str  # e.g. "BAN 62": what the messages call the source
    url: str
    path: Path  # the cached file (complete, verified)
    sha256: str  # hex digest of the file's bytes
    size: int
    date: date  # the file's date: its Last-Modified header if any, else the day it was downloaded
    downloaded_at: datetime  # aware UTC: when the bytes were (last) fetched or revalidated
    unchanged: bool  # True when a conditional request answered 304 and the cache was used


class _Retry(Exception):
    """A failure worth another try: `reason` for the retry line, `final` if tries run out."""

    def __init__(self, reason: str, final: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.final, self.wait = reason, final, wait


class _Damaged(Exception):
    """The complete download is a gzip that does not decompress to its end."""


def fetch(
    url: str,
    cache_dir: Path,
    name: str,
    *,
    label: str,
    progress: TextIO | None = None,
    timeout: float = 30.0,
    attempts: int = 4,
    backoff: float = 1.0,
) -> Fetched:
    """The file at `url`, downloaded into `cache_dir/name` or revalidated there."""
    if urlsplit(url).scheme not in ("http", "https", "file"):
        raise DownloadError(f"{label}: cannot download {url} (only http, https and file URLs)")
    return _Download(url, Path(cache_dir), name, label, progress, timeout, attempts, backoff).run()


def retry_after(headers: Message | None) -> float | None:
    """A Retry-After given in seconds, capped at MAX_RETRY_AFTER (a date is not waited for)."""
    value = (headers.get("Retry-After") or "").strip() if headers is not None else ""
    return min(float(value), MAX_RETRY_AFTER) if value.isdigit() else None


def gzip_damage(file: BinaryIO) -> str | None:
    """None if the gzip stream decompresses to its end (all its members), else what is wrong.

    The BAN publishes .csv.gz; a server can send one cut short with a matching Content-Length,
    and the importer must not be the first to notice. The output is thrown away a chunk at a
    time (max_length), so even a file that inflates a thousandfold is checked in little memory.
    """
    decompressor = zlib.decompressobj(wbits=31)
    while data := file.read(CHUNK):
        while data:
            if decompressor.eof:  # a member ended: what follows is padding or the next member
                data = data.lstrip(b"\0")
                if not data:
                    break
                decompressor = zlib.decompressobj(wbits=31)
            try:
                # Output beyond CHUNK waits, with the input it comes from, in unconsumed_tail.
                decompressor.decompress(data, CHUNK)
            except zlib.error as exc:
                return f"corrupt: {exc}"
            data = decompressor.unconsumed_tail or decompressor.unused_data
    return None if decompressor.eof else "truncated"


def _megabytes(count: float) -> str:
    return f"{count / 1e6:.1f} MB"


def _reason(exc: BaseException, timeout: float) -> str:
    """What the OS or the server said, in a few words (`Connection refused`)."""
    if isinstance(exc, URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    elif isinstance(exc, URLError):
        return str(exc.reason)
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write through a temporary file and os.replace: a reader sees the old record or the new."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        with temporary.open("w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _file_date(last_modified: str | None, today: date) -> date:
    try:
        moment = parsedate_to_datetime(last_modified or "")
    except (TypeError, ValueError):
        return today
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


class _Download:
    """One call of `fetch()`: its files, its tries, and what it prints."""

    def __init__(
        self,
        url: str,
        cache_dir: Path,
        name: str,
        label: str,
        progress: TextIO | None,
        timeout: float,
        attempts: int,
        backoff: float,
    ) -> None:
        self.url, self.label, self.progress = url, label, progress
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self.cache_dir = cache_dir
        self.target = cache_dir / name
        self.record = cache_dir / (name + ".json")
        self.part = cache_dir / (name + ".part")
        self.part_record = cache_dir / (name + ".part.json")
        parts = urlsplit(url)
        self.local = parts.scheme == "file"
        self.where = parts.path if self.local else parts.hostname or url
        self.tty = progress is not None and progress.isatty()
        self.started = time.monotonic()
        self.received = 0  # bytes received by this call, for the speed
        self.shown, self.width, self.line_open = float("-inf"), 0, False

    def run(self) -> Fetched:
        failures, damaged = 0, False
        while True:
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                return self.once()
            except _Damaged as exc:
                self.discard_part()
                message = f"{self.label}: the downloaded file is a damaged gzip ({exc})"
                if damaged:
                    raise DownloadError(f"{message}: twice from {self.where}") from None
                damaged = True
                self.say(f"{message}, downloading it again")
            except _Retry as exc:
                failures += 1
                if failures >= self.attempts:
                    self.resumable()  # keeps a part a later run can resume, and no other
                    raise DownloadError(f"{self.label}: {exc.final}") from None
                delay = exc.wait if exc.wait is not None else self.backoff * 2**failures
                verb = "resuming" if self.part_record.exists() else "retrying"
                attempt = f"attempt {failures + 1} of {self.attempts}"
                self.say(f"{self.label}: {exc.reason}, {verb} in {delay:g} s ({attempt})")
                time.sleep(delay)
            except OSError as exc:  # the network's errors are caught in once(): this is the disk
                raise DownloadError(
                    f"{self.label}: could not write to {self.cache_dir} ({exc.strerror or exc})"
                ) from None

    def once(self) -> Fetched:
        """One request: the cached file revalidated, or the body received and verified."""
        cached = self.cached()
        resume = self.resumable()
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if cached and not self.local:
            if cached.get("etag"):
                headers["If-None-Match"] = cached["etag"]
            if cached.get("last_modified"):
                headers["If-Modified-Since"] = cached["last_modified"]
        if resume:
            headers["Range"] = f"bytes={self.part.stat().st_size}-"
            headers["If-Range"] = resume.get("etag") or resume.get("last_modified")
        request = Request(self.url, headers=headers)  # noqa: S310 - fetch() checked the scheme
        try:
            response = urlopen(request, timeout=self.timeout)  # noqa: S310 - as above
        except HTTPError as exc:
            exc.close()
            if exc.code == 304 and cached:
                return self.unchanged(cached)
            if exc.code == 416 and resume:  # the part is longer than the file: start again
                self.discard_part()
                return self.once()
            if exc.code in RETRY_STATUSES or exc.code >= 500:
                final = f"{self.where} answered {exc.code} {exc.reason}"
                raise _Retry(
                    f"server answered {exc.code}", final, retry_after(exc.headers)
                ) from None
            what = "not found" if exc.code == 404 else "refused"
            raise DownloadError(
                f"{self.label}: {what} at {self.where} (HTTP {exc.code} {exc.reason}: {self.url})"
            ) from None
        except (OSError, HTTPException) as exc:
            reason = _reason(exc, self.timeout)
            if self.local:
                raise DownloadError(
                    f"{self.label}: could not read {self.where} ({reason})"
                ) from None
            raise _Retry(reason, f"could not reach {self.where} ({reason})") from None
        with response:
            return self.receive(response, resume)

    def receive(
        self, response: HTTPResponse | addinfourl, resume: dict[str, Any] | None
    ) -> Fetched:
        """Stream the body into the part (appended to on a 206), then verify and keep it."""
        headers = response.headers
        length = headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        hasher = hashlib.sha256()
        if response.status == 206:
            count = self.part.stat().st_size if resume else 0
            match = CONTENT_RANGE.fullmatch((headers.get("Content-Range") or "").strip())
            etag = headers.get("ETag")
            other_version = etag and resume and resume.get("etag") not in (None, etag)
            # Append only what starts where the part ends, of the version the part is from.
            if not resume or not match or int(match[1]) != count or other_version:
                self.discard_part()
                final = f"could not resume the download from {self.where}"
                raise _Retry("the server sent another range than asked", final)
            expected = int(match[3]) if match[3] != "*" else count + (expected or 0)
            self.hash_part_into(hasher)
            mode = "ab"
        else:  # a 200 (or file://): from the start, even if a range was asked for
            count, mode = 0, "wb"
            self.write_part_record(headers)
        with self.part.open(mode) as out:
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (OSError, HTTPException) as exc:
                    raise self.dropped(count, _reason(exc, self.timeout)) from None
                if not chunk:
                    break
                out.write(chunk)
                hasher.update(chunk)
                count += len(chunk)
                self.received += len(chunk)
                self.show(count, expected)
            out.flush()
            os.fsync(out.fileno())
        if expected is not None and count < expected:
            raise self.dropped(count, f"closed before the {_megabytes(expected)} announced")
        with self.part.open("rb") as part:
            gzipped = part.read(2) == b"\x1f\x8b"
            part.seek(0)
            if gzipped and (problem := gzip_damage(part)):
                raise _Damaged(problem)
        return self.keep(hasher.hexdigest(), count, headers)

    def keep(self, sha256: str, size: int, headers: Message) -> Fetched:
        """Put the verified part in place of the cached file, and record it."""
        now = datetime.now(UTC)
        last_modified = headers.get("Last-Modified")
        day = _file_date(last_modified, now.date())
        # The old record goes first: a crash before the new one is written leaves a file with
        # no record (downloaded again next time), never a record describing another file.
        self.record.unlink(missing_ok=True)
        os.replace(self.part, self.target)
        etag = None if self.local else headers.get("ETag")
        record = {"url": self.url, "etag": etag, "last_modified": last_modified}
        record |= {"sha256": sha256, "size": size, "date": day.isoformat()}
        _write_json(self.record, record | {"downloaded_at": now.isoformat()})
        self.part_record.unlink(missing_ok=True)
        elapsed = time.monotonic() - self.started
        speed = _megabytes(self.received / max(elapsed, 1e-3))
        took = f"{elapsed:.0f} s" if elapsed >= 10 else f"{elapsed:.1f} s"
        self.say(
            f"{self.label}: downloaded {_megabytes(size)} in {took} ({speed}/s) from {self.where}"
        )
        return Fetched(self.label, self.url, self.target, sha256, size, day, now, unchanged=False)

    def unchanged(self, cached: dict[str, Any]) -> Fetched:
        """The server answered 304: the cached file is current, revalidated now."""
        self.discard_part()  # a part can only be of another version than the current one
        now = datetime.now(UTC)
        _write_json(self.record, cached | {"downloaded_at": now.isoformat()})
        day = date.fromisoformat(cached["date"])
        self.say(f"{self.label}: unchanged since {day} (cached, {_megabytes(cached['size'])})")
        sha256, size = cached["sha256"], cached["size"]
        return Fetched(self.label, self.url, self.target, sha256, size, day, now, unchanged=True)

    def cached(self) -> dict[str, Any] | None:
        """The cached file's record, if it is of this URL and the file has the recorded size."""
        record = _read_json(self.record)
        if not record or record.get("url") != self.url or not self.target.is_file():
            return None
        if record.get("size") != self.target.stat().st_size or "sha256" not in record:
            return None
        return record

    def resumable(self) -> dict[str, Any] | None:
        """The part's record if the part can be resumed; any other part is thrown away."""
        record = _read_json(self.part_record)
        if (
            not self.local
            and record
            and record.get("url") == self.url
            and (record.get("etag") or record.get("last_modified"))
            and self.part.is_file()
            and self.part.stat().st_size > 0
        ):
            return record
        self.discard_part()
        return None

    def write_part_record(self, headers: Message) -> None:
        """Note what the part is a piece of, before its first byte, so a later run can resume."""
        if self.local:
            return
        etag = headers.get("ETag")
        etag = None if etag and etag.startswith("W/") else etag  # If-Range needs a strong one
        record = {"url": self.url, "etag": etag, "last_modified": headers.get("Last-Modified")}
        _write_json(self.part_record, record)

    def hash_part_into(self, hasher: Any) -> None:
        """Hash what an earlier try received, so the digest covers the whole file."""
        with self.part.open("rb") as part:
            while chunk := part.read(CHUNK):
                hasher.update(chunk)

    def discard_part(self) -> None:
        self.part.unlink(missing_ok=True)
        self.part_record.unlink(missing_ok=True)

    def dropped(self, count: int, reason: str) -> _Retry:
        at = _megabytes(count)
        final = f"the connection to {self.where} dropped at {at} ({reason})"
        return _Retry(f"connection dropped at {at}", final)

    def show(self, count: int, expected: int | None) -> None:
        """Rewrite a terminal's progress line, at most every PROGRESS_EVERY seconds."""
        now = time.monotonic()
        if not self.tty or now - self.shown < PROGRESS_EVERY:
            return
        self.shown = now
        size = _megabytes(count) + (f" of {_megabytes(expected)}" if expected else "")
        speed = _megabytes(self.received / max(now - self.started, 1e-3))
        self.write(f"\r{self.label}: {size}, {speed}/s", end="")

    def say(self, line: str) -> None:
        """A line of its own, over the progress line if one is showing."""
        self.write(f"\r{line}" if self.line_open else line, end="\n")

    def write(self, text: str, end: str) -> None:
        if self.progress is None:
            return
        # Pad over what is left of a longer progress line before rewriting or ending it.
        self.progress.write(text.ljust(self.width) + end)
        self.progress.flush()
        self.line_open = end == ""
        self.width = len(text) if self.line_open else 0
