"""Which torch releases a build's package index offers: looked up, never guessed.

The index is read as installers read it: `<index>/torch/`, asking for the
PEP 691 JSON form (PyPI answers with it) and taking the PEP 503 HTML form
(PyTorch's own indexes) otherwise. A release counts when the index holds a
wheel of it, not yanked, that installs on this platform under the
environment's Python; pre-releases and development releases never count.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
TIMEOUT = 30.0  # seconds an index may take to answer


class IndexUnreachable(Exception):
    """The index could not be read; the message names it and why."""


class _Anchors(HTMLParser):
    """The files of a PEP 503 page: each anchor's text (or its href's last
    part), yanked ones (data-yanked) left out."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []
        self._href: str | None = None
        self._yanked = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            self._href, self._yanked, self._text = found.get("href") or "", "data-yanked" in found, ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            name = self._text.strip() or urllib.parse.urlsplit(self._href).path.rsplit("/", 1)[-1]
            if not self._yanked:
                self.files.append(urllib.parse.unquote(name))
            self._href = None


def project_url(index: str, project: str = "torch") -> str:
    return "%s/%s/" % (index.rstrip("/"), project)


def file_names(body: str, content_type: str) -> list[str]:
    """The file names of an index page for one project, yanked ones left out."""
    if "json" in content_type:
        data = json.loads(body)
        return [f["filename"] for f in data.get("files", []) if isinstance(f, dict) and not f.get("yanked")]
    parser = _Anchors()
    parser.feed(body)
    return parser.files


def supported_tags(python: str) -> set[Tag]:
    """The wheel tags a CPython of this version ("3.11") installs on this platform."""
    version = tuple(int(part) for part in python.split(".")[:2])
    return set(cpython_tags(version)) | set(compatible_tags(version))


def releases_in(files: list[str], python: str | None = None) -> list[Version]:
    """The releases (public versions, sorted) that `files` hold a wheel of;
    with `python`, only those with a wheel for it on this platform."""
    tags = supported_tags(python) if python else None
    found = set()
    for name in files:
        try:
            _, version, _, wheel_tags = parse_wheel_filename(name)
        except InvalidWheelFilename:
            continue  # an sdist, or not a distribution
        if version.is_prerelease or version.is_devrelease:
            continue
        if tags is None or wheel_tags & tags:
            found.add(Version(version.public))
    return sorted(found)


def _read(url: str, timeout: float) -> tuple[str, str]:
    """(body, content type) of an index page; a local folder lists its files."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        folder = Path(urllib.request.url2pathname(parts.path))
        if folder.is_dir() and not (folder / "index.html").is_file():
            anchors = "".join('<a href="%s">%s</a>\n' % (p.name, p.name) for p in sorted(folder.iterdir()))
            return anchors, "text/html"
        url = (folder / "index.html").as_uri() if folder.is_dir() else url
    request = urllib.request.Request(url, headers={"Accept": ACCEPT, "User-Agent": "exportmatrix"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        charset = response.headers.get_content_charset() or "utf-8"
        return response.read().decode(charset, errors="replace"), response.headers.get_content_type()


def offered_releases(index: str, python: str | None = None, timeout: float = TIMEOUT) -> list[Version]:
    """Every torch release `index` offers (for `python` on this platform, where
    given), oldest first. Raises IndexUnreachable naming the index."""
    url = project_url(index)
    try:
        body, content_type = _read(url, timeout)
        return releases_in(file_names(body, content_type), python)
    except (OSError, urllib.error.URLError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise IndexUnreachable("cannot read the index %s (looked up %s): %s" % (index, url, reason)) from None
