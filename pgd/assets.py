"""Scripts and the stylesheet at content-hashed URLs: gzipped once, cached for a year.

A first chart page must stay under 1 MB, also on an old tablet or on mobile data
(issue 10). plotly.js is the partial bundle with only the trace types the app draws
(static/vendor/README.md); the hash of a file's bytes is in its name, so a browser keeps
it for a year without asking again, and a new version arrives under a new name.
Templates write ``{{ asset_url("plotly") }}``.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, abort, request, url_for
from flask.typing import ResponseReturnValue

from pgd import policy
from pgd.config import PROJECT_ROOT

bp = Blueprint("assets", __name__)

STATIC = PROJECT_ROOT / "static"
# Only files that anyone may read: public bytes, the same for every visitor.
FILES: dict[str, Path] = {
    "plotly": STATIC / "vendor" / "plotly-basic.min.js",
    "charts": STATIC / "js" / "charts.js",
    "stylesheet": STATIC / "css" / "pgd.css",
    "print": STATIC / "css" / "print.css",
}
MIMETYPES = {".js": "text/javascript", ".css": "text/css"}
HASH_HEX = 12  # 48 bits: plenty to tell versions of one file apart
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Asset:
    filename: str  # e.g. plotly-basic.99784e3abfb0.js
    mimetype: str
    digest: str
    identity: bytes
    gzipped: bytes
    stamp: tuple[int, int]  # (mtime_ns, size) of the file the bytes were read from


_built: dict[str, Asset] = {}
_lock = threading.Lock()


def _build(path: Path, stamp: tuple[int, int]) -> Asset:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:HASH_HEX]
    stem = path.name.split(".", 1)[0]
    return Asset(
        filename=f"{stem}.{digest}{path.suffix}",
        mimetype=MIMETYPES[path.suffix],
        digest=digest,
        identity=data,
        # mtime=0: the same bytes (and so the same ETag) in every worker and on every host.
        gzipped=gzip.compress(data, compresslevel=9, mtime=0),
        stamp=stamp,
    )


def get(name: str) -> Asset:
    """The asset as it is on disk now; hashed and compressed once, again only if it changed."""
    path = FILES[name]
    info = path.stat()
    stamp = (info.st_mtime_ns, info.st_size)
    asset = _built.get(name)
    if asset is not None and asset.stamp == stamp:
        return asset
    with _lock:  # one thread compresses; the others wait for its result
        asset = _built.get(name)
        if asset is None or asset.stamp != stamp:
            asset = _built[name] = _build(path, stamp)
    return asset


@bp.app_template_global()
def asset_url(name: str) -> str:
    return url_for("assets.asset", filename=get(name).filename)


@bp.get("/assets/<string:filename>")
@policy.public
def asset(filename: str) -> ResponseReturnValue:
    found = next((a for a in map(get, FILES) if a.filename == filename), None)
    if found is None:
        abort(404)  # an old or made-up hash: never other bytes under a hashed name
    gzipped = request.accept_encodings["gzip"] > 0
    response = Response(found.gzipped if gzipped else found.identity, mimetype=found.mimetype)
    if gzipped:
        response.content_encoding = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(found.digest + ("-gzip" if gzipped else ""))
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    return response.make_conditional(request)
