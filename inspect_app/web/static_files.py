"""Static files gzipped and cached: the phone form's scripts are 103 KB, 35 KB gzipped.

Compressed here rather than by WhiteNoise, which only serves ``.gz`` files made beforehand by
a build step writing into static/ (a tree the service worker's version hash reads), or by
nginx alone, since `make run` serves without a proxy. Each file is compressed once per
process and kept while its ETag (size and modification time) stays the same.

Static URLs carry no content hash, so they are cached for an hour, not for ever: a page after
a deploy picks up its new CSS and JS within the hour, and revalidates with the ETag after
that. The inspector's shell does not depend on it: its service worker is versioned by the
files' content (web/inspector.py) and fetches with ``cache: 'no-cache'``, revalidating each
file with its ETag, so a new version downloads only the files that changed.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict

from flask import Flask, Response, request

MAX_AGE = 3600
# Below this, gzip's header costs more than it saves.
MIN_SIZE = 512
COMPRESSIBLE = {
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
    "text/plain",
    "text/html",
}
_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_lock = threading.Lock()
_CACHE_FILES = 128


def _compressed(path: str, etag: str, data: bytes) -> bytes:
    key = (path, etag)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    body = gzip.compress(data, compresslevel=9, mtime=0)
    with _lock:
        _cache[key] = body
        while len(_cache) > _CACHE_FILES:
            _cache.popitem(last=False)
    return body


def finish(response: Response) -> Response:
    if request.endpoint != "static":
        return response
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if response.status_code != 200 or "gzip" not in request.accept_encodings:
        return response
    if response.content_length is not None and response.content_length < MIN_SIZE:
        return response
    etag, _ = response.get_etag()
    response.direct_passthrough = False
    data = response.get_data()
    body = _compressed(request.path, etag or "", data) if etag else gzip.compress(data, mtime=0)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    # Byte ranges would count in the file, not in these bytes.
    response.headers.pop("Accept-Ranges", None)
    if etag:
        # The gzipped bytes differ from the file's, so their ETag is weak; a revalidation
        # with it still matches the file's ETag (If-None-Match compares weakly) and gets 304.
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    app.after_request(finish)
