"""Canonical URLs, so the same article reached by two links is fetched and stored once."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

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
# Characters that may stay unescaped in a path / query (RFC 3986 pchar and sub-delims).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_MULTI_SLASH = re.compile(r"/{2,}")


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _norm_component(text: str, safe: str) -> str:
    """Decode then re-encode, so «%D8%B1» and «ر» end up the same (upper-case escapes)."""
    return quote(unquote(text), safe=safe)


def canonical_url(url: str, base: str | None = None) -> str:
    """The canonical form: lower-case scheme/host, no default port, no fragment, no tracking
    parameters, sorted query, normalised percent-encoding, no trailing slash (except the root)."""
    if base:
        url = urljoin(base, url.strip())
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = _MULTI_SLASH.sub("/", _norm_component(parts.path or "/", _PATH_SAFE))
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query = urlencode(sorted(query_pairs), quote_via=quote, safe="/:@!$'()*+,;-._~")
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """The lower-case host name of a URL ('' when there is none)."""
    return (urlsplit(url).hostname or "").lower().rstrip(".")


_SECOND_LEVEL = {"co", "ac", "gov", "org", "net", "sch", "id", "com", "edu"}


def site_of(host: str) -> str:
    """The registrable part of a host: www.yjc.ir → yjc.ir, news.uni.ac.ir → uni.ac.ir; IPs as is."""
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if host.replace(".", "").isdigit() or ":" in host or len(labels) <= 2:
        return host
    if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
