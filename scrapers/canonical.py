"""Canonical URLs, so the same article reached by two links is fetched and stored once."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

# Query parameters that only say where a click came from; they never select different content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
        "igshid", "ref", "ref_src", "ref_url", "_ga", "_gl", "s_cid", "cmpid", "spm", "from", "share",
        "amp", "output",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MULTI_SLASH = re.compile(r"/{2,}")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# ASCII that must stay percent-encoded inside a path segment or a query value (it has a meaning there).
_KEEP_ENCODED_PATH = set("%/?#[] \"<>{}|\\^`")
_KEEP_ENCODED_QUERY = _KEEP_ENCODED_PATH | set("&=+;")


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


# Raw ASCII that is never valid unencoded in a URL.
_UNSAFE_RAW = set(' "<>{}|\\^`')


def _iri_component(text: str, keep: set[str]) -> str:
    """Percent-encoding normalised the IRI way: non-ASCII and harmless ASCII decoded («%D8%B1» → «ر»),
    characters with a meaning kept encoded in upper case, unsafe raw ASCII (space, quotes) encoded."""

    def enc(ch: str) -> str:
        return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))

    def decode_run(m: re.Match[str]) -> str:
        run = m.group(0)
        try:
            chars = unquote(run, errors="strict")
        except UnicodeDecodeError:
            return run.upper()
        return "".join(enc(c) if (c in keep or ord(c) < 32 or ord(c) == 127) else c for c in chars)

    out: list[str] = []
    pos = 0
    for m in _ESCAPES.finditer(text):
        out.append(_encode_unsafe(text[pos : m.start()], enc))
        out.append(decode_run(m))
        pos = m.end()
    out.append(_encode_unsafe(text[pos:], enc))
    return "".join(out)


def _encode_unsafe(raw: str, enc: Callable[[str], str]) -> str:
    return "".join(enc(c) if c in _UNSAFE_RAW or ord(c) < 32 else c for c in raw)


def canonical_url(url: str, base: str | None = None) -> str:
    """The canonical form: lower-case scheme/host, no default port, no fragment, no tracking
    parameters, sorted query, percent-encoding normalised to the readable IRI form (Persian letters
    decoded, meaningful escapes such as %2F kept); the path's trailing slash is kept as published."""
    if base:
        url = urljoin(base, url.strip())
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    # A trailing slash is kept as published: WordPress permalinks end in one, and asking for the
    # path without it costs a redirect per article (some servers answer 404). Two spellings of one
    # article are told apart after fetching, by the page's <link rel=canonical> (collect.py).
    path = _MULTI_SLASH.sub("/", _iri_component(parts.path or "/", _KEEP_ENCODED_PATH))
    pairs = [p.partition("=") for p in parts.query.split("&") if p]
    kept = sorted(
        (_iri_component(k, _KEEP_ENCODED_QUERY), sep, _iri_component(v, _KEEP_ENCODED_QUERY))
        for k, sep, v in pairs
        if not _is_tracking(unquote(k))
    )
    query = "&".join(k + sep + v for k, sep, v in kept)
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """The lower-case host name of a URL ('' when there is none)."""
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def same_site_hosts(*hosts: str) -> frozenset[str]:
    """The exact hosts that count as one site: each host and its `www.` twin (IP addresses as they are).

    Deliberately no registrable-domain guess: `x.blog.ir` and `evil.blog.ir` are different sites,
    and a source that really spans several hosts lists them in its `domains` (sources.toml)."""
    out: set[str] = set()
    for raw in hosts:
        host = raw.lower().rstrip(".")
        if not host:
            continue
        out.add(host)
        if host.replace(".", "").isdigit() or ":" in host or "." not in host:
            continue
        out.add(host[4:] if host.startswith("www.") else "www." + host)
    return frozenset(out)
