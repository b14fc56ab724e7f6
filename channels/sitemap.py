"""Sitemaps (sitemaps.org): page URLs a site lists for crawlers, found without following links.

Handles a ``<urlset>``, a ``<sitemapindex>`` pointing at more sitemaps, and gzip-compressed
files (``sitemap.xml.gz``, recognised by their bytes, not their name). Parsing never resolves
entities or reaches the network, and a decompressed sitemap is capped, so a hostile file cannot
exhaust memory.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass

from lxml import etree

#: sitemaps.org allows 50 MB uncompressed per file; anything larger is refused.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class SitemapError(ValueError):
    """A sitemap that cannot be read; the message says why."""


@dataclass(frozen=True)
class Sitemap:
    """What one sitemap file lists."""

    pages: tuple[str, ...]     # <urlset><url><loc>
    sitemaps: tuple[str, ...]  # <sitemapindex><sitemap><loc>


def parse_sitemap(body: bytes) -> Sitemap:
    """Read a sitemap or sitemap index (plain or gzip); raise ``SitemapError`` if it is neither."""
    data = _gunzip(body) if body[:2] == b"\x1f\x8b" else body
    if not data.strip():
        raise SitemapError("empty sitemap")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             recover=True, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from None
    if root is None:
        raise SitemapError("not XML")
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap: the root element is <{kind}>, expected <urlset> or "
                           f"<sitemapindex>")
    locs = []
    for element in root.iter():
        # Namespaces vary in the wild (http vs https, none at all): match local names only.
        if isinstance(element.tag, str) and etree.QName(element).localname == "loc":
            text = (element.text or "").strip()
            if text:
                locs.append(text)
    if kind == "urlset":
        return Sitemap(pages=tuple(locs), sitemaps=())
    return Sitemap(pages=(), sitemaps=tuple(locs))


def _gunzip(body: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            data = stream.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise SitemapError(f"broken gzip data: {exc}") from None
    if len(data) > MAX_SITEMAP_BYTES:
        raise SitemapError(f"larger than {MAX_SITEMAP_BYTES // (1024 * 1024)} MB uncompressed")
    return data
