"""Sitemaps (sitemaps.org): page URLs a site lists for crawlers, found without following links.

Handles a ``<urlset>``, a ``<sitemapindex>`` pointing at more sitemaps, and gzip-compressed
files (``sitemap.xml.gz``, recognised by their bytes, not their name). Parsing never resolves
entities or reaches the network, and a decompressed sitemap is capped, so a hostile file cannot
exhaust memory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lxml import etree

from channels.limits import LimitError, Limits, gunzip

#: sitemaps.org allows 50 MB uncompressed per file; anything larger is refused.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class SitemapError(ValueError):
    """A sitemap that cannot be read; the message says why."""


@dataclass(frozen=True)
class Sitemap:
    """What one sitemap file lists."""

    pages: tuple[str, ...]     # <urlset><url><loc>
    sitemaps: tuple[str, ...]  # <sitemapindex><sitemap><loc>


def parse_sitemap(body: bytes, limits: Limits | None = None) -> Sitemap:
    """Read a sitemap or sitemap index (plain or gzip); raise ``SitemapError`` if it is neither,
    or if it inflates beyond ``limits.max_decompressed_bytes`` (a gzip bomb)."""
    limits = limits or Limits(max_decompressed_bytes=MAX_SITEMAP_BYTES)
    data = _gunzip(body, limits) if body[:2] == b"\x1f\x8b" else body
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
    kind = _localname(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap: the root element is <{kind}>, expected <urlset> or "
                           f"<sitemapindex>")
    locs = []
    for element in root.iter():
        # Namespaces vary in the wild (http vs https, none at all): match local names only.
        if isinstance(element.tag, str) and _localname(element.tag) == "loc":
            text = (element.text or "").strip()
            if text:
                locs.append(text)
    if kind == "urlset":
        return Sitemap(pages=tuple(locs), sitemaps=())
    return Sitemap(pages=(), sitemaps=tuple(locs))


def _localname(tag: object) -> str:
    # Not etree.QName: it raises ValueError on names a recovering parser lets through (":").
    return str(tag).rsplit("}", 1)[-1]


def _gunzip(body: bytes, limits: Limits) -> bytes:
    # sitemaps.org's own bound applies even when [limits] allows more.
    cap = min(limits.max_decompressed_bytes, MAX_SITEMAP_BYTES)
    try:
        return gunzip(body, replace(limits, max_decompressed_bytes=cap))
    except LimitError:
        if cap < MAX_SITEMAP_BYTES:
            raise SitemapError(f"decompresses to more than {cap:,} bytes (a compression "
                               f"bomb?); refused (raise [limits] max_decompressed_bytes if "
                               f"it is genuine)") from None
        raise SitemapError("decompresses to more than the 50 MB sitemaps.org allows (a "
                           "compression bomb?); refused") from None
    except ValueError as exc:
        raise SitemapError(str(exc)) from None
