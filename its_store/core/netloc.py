"""host[:port] as configured (MINIO_ENDPOINT, the host of MINIO_MODEL_WEBHOOK_URL): checked when the
settings are read, so that a typo is one configuration line (exit 78) and never a ValueError from deep
inside minio or urllib3 ("username in endpoint is not allowed", "Invalid IPv6 URL", "Failed to parse:
http://host:99999/TOKEN"), whose text may hold a password or a token.

The messages here never repeat user info (`user:password@`), a path or a query: only what is safe to print.
"""

from __future__ import annotations

from its_store.core.units import is_uint, parse_uint

MAX_HOST = 253  # a DNS name, dots included
MAX_LABEL = 63


def is_loopback(netloc: str) -> bool:
    """Whether `netloc` (host[:port], [IPv6][:port], as check_host_port takes) names this machine by a literal
    loopback address (127.0.0.0/8, ::1, an IPv4-mapped 127.x: [::ffff:127.0.0.1]) or the name `localhost`:
    what is sent there crosses no network."""
    host = netloc[1:].partition("]")[0] if netloc.startswith("[") else netloc.partition(":")[0]
    if host.lower().rstrip(".") == "localhost":
        return True
    import ipaddress  # lazily: only asked when an SSE-C key meets a plain-http endpoint
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # [::ffff:127.0.0.1] is 127.0.0.1 (Python < 3.13 says no)
    return bool((mapped or address).is_loopback)


def same_server_netloc(netloc: str, secure: bool) -> str:
    """One spelling of `netloc` (as check_host_port accepted it) for every spelling of the same address, so that two
    endpoints written differently are known to be one server: the host lower-case (DNS names ignore case),
    without the trailing dot of a fully qualified name (`host.`), an IPv6 address in its compressed
    form (`[0:0::1]` is `[::1]`; an IPv4-mapped one is its IPv4 address), the port as a number (`09000` is
    `9000`), and the scheme's default port left out (`host:80` over http and `host:443` over https are `host`:
    the spelling most endpoints are written with, so the state kept per server under it is found where it was).
    A name is never resolved: `localhost` and `127.0.0.1` stay two spellings (what answers there tells them
    apart: service/xmove)."""
    if netloc.startswith("["):
        import ipaddress  # lazily: only a bracketed address pays for it (startup time)
        address, _, rest = netloc[1:].partition("]")
        ip, port = ipaddress.IPv6Address(address), rest[1:]
        host = str(ip.ipv4_mapped) if ip.ipv4_mapped else f"[{ip.compressed}]"  # [::ffff:127.0.0.1] is 127.0.0.1
    else:
        name, _, port = netloc.partition(":")
        host = name.lower().removesuffix(".") or name
    number = int(port) if port else (443 if secure else 80)
    return host if number == (443 if secure else 80) else f"{host}:{number}"


def same_proxy_origin(url: str) -> str:
    """The proxy `url` as Settings.server_id keeps it: shown_origin (no user info, no path or query), its
    scheme lower-case and its host[:port] in same_server_netloc's one spelling (`HTTP://Proxy.:03128/` is
    `http://proxy:3128`), so that one proxy written two ways is one; a URL that does not parse stays as shown."""
    shown = shown_origin(url)
    scheme, sep, rest = shown.partition("://")
    netloc, slash, tail = rest.partition("/")
    try:
        check_host_port(netloc, "the proxy URL")
    except ValueError:
        return shown
    scheme = scheme.lower()
    return f"{scheme}://{same_server_netloc(netloc, scheme == 'https')}{slash}{tail}" if sep else shown


def check_host_port(netloc: str, what: str) -> None:
    """ValueError (naming `what`) unless `netloc` is `host`, `host:port`, `[IPv6]` or `[IPv6]:port`:
    host a DNS name (labels of letters, digits, '-' and '_'; a Docker service name may hold '_') or an
    IPv4 address, port 1..65535. User info is refused without being repeated: credentials belong in
    their own variables (MINIO_ACCESS_KEY / MINIO_SECRET_KEY), never in a URL that is logged."""
    if "@" in netloc:
        raise ValueError(f"{what}: user info (user:password@) is not allowed here")
    if any(c.isspace() or not c.isprintable() for c in netloc):
        raise ValueError(f"{what}: contains a space or a control character")
    if netloc.startswith("["):
        import ipaddress  # lazily: only a bracketed address pays for it (startup time)
        address, closed, rest = netloc[1:].partition("]")
        if not closed:
            raise ValueError(f"{what}: unclosed '[' of an IPv6 address (use [::1]:9000)")
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise ValueError(f"{what}: [{address[:45]}] is not an IPv6 address") from None
        if rest and not rest.startswith(":"):
            raise ValueError(f"{what}: only ':port' may follow the IPv6 address in brackets")
        port = rest[1:] if rest else None
    else:
        if netloc.count(":") > 1:
            raise ValueError(f"{what}: an IPv6 address goes in brackets, e.g. [::1]:9000")
        host, colon, rest = netloc.partition(":")
        _check_name(host, what)
        port = rest if colon else None
    if port is not None:  # "host:" too: an empty port is no port
        if not port:
            raise ValueError(f"{what}: empty port after the colon")
        if not is_uint(port):  # not repeated: it may be the start of a password ("user:pa/ss@host")
            raise ValueError(f"{what}: the port is not a number (ASCII digits 0-9 only)")
        parse_uint(port, f"{what}: port", low=1, high=65535, error=ValueError)


def check_proxy_url(url: str, *, bare: bool = False) -> None:
    """ValueError ("the proxy URL ...": the caller says which setting) unless `url` is an HTTP proxy urllib3 can use: http(s)://[user:pw@]host[:port]
    or host[:port] with user info allowed (the proxy's own login). The URL is never repeated: it may hold
    that password. HTTP_PROXY as curl reads it was not checked at all: a typo (`http://proxy:31 28`, an
    unclosed '[') made every command fail with "unexpected LocationParseError".

    `bare` (a remote's own proxy): nothing may follow host[:port] but one '/'. A proxy URL has no path,
    and what is written there (`?token=...`) is a secret that would be stored and shown as part of the
    URL. HTTP_PROXY is not held to it: other programs read it too, and curl ignores a path there."""
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ValueError("the proxy URL contains a space or a control character")
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() not in ("http", "https"):
        raise ValueError("the proxy URL must start with http:// or https:// (or be host:port)")
    tail = url_tail(url)
    authority = (rest if sep else url)[:-len(tail) or None]
    check_host_port(authority.rpartition("@")[2], "the proxy URL")
    if bare and tail not in ("", "/"):
        raise ValueError("the proxy URL has a path or a query: a proxy is http(s)://[user:password@]host[:port]")


def url_tail(url: str) -> str:
    """What follows the authority (scheme://[user@]host[:port], or that without the scheme) of `url`: its
    path, query and fragment, as urlsplit divides them (the authority ends at the first '/', '?' or '#')."""
    rest = url.partition("://")[2] if "://" in url else url
    ends = [i for i in (rest.find(c) for c in "/?#") if i >= 0]
    return rest[min(ends):] if ends else ""


def _check_name(host: str, what: str) -> None:
    """A DNS name or an IPv4 address: what urllib3 can connect to without failing to parse it. ASCII
    only: a non-ASCII letter passed str.isalnum() and every later request failed ("a header value is not
    ASCII", exit 2, a setting blamed on the command), and 'lоcalhost' with a Cyrillic 'о' looks like
    localhost in `remote ls`."""
    if not host:
        raise ValueError(f"{what}: missing host")
    if len(host) > MAX_HOST:
        raise ValueError(f"{what}: host name longer than {MAX_HOST} characters")
    for label in host.removesuffix(".").split("."):
        if not label or len(label) > MAX_LABEL:
            raise ValueError(f"{what}: host name {host[:64]!r} has an empty label or one over {MAX_LABEL} characters")
        if label.startswith("-") or label.endswith("-") or not all(c.isascii() and (c.isalnum() or c in "-_")
                                                                   for c in label):
            raise ValueError(f"{what}: {host[:64]!a} is not a host name (ASCII letters, digits, '-', '_' and dots; "
                             "an international name in its xn-- form)")


def shown_origin(url: str) -> str:
    """scheme://host[:port] of a URL as written, with '/...' when anything follows (a path or query often
    is a token): safe to print even when the URL does not parse, which is when it must be shown. User
    info is dropped, and a port that is not digits is not repeated ("user:pa/ss@host" puts a piece of a
    password where the port goes)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "(not a scheme://host URL)"
    end = min([i for i in (rest.find(c) for c in "/?#\\") if i >= 0] + [len(rest)])
    netloc, tail = rest[:end].rpartition("@")[2], rest[end:]
    host, colon, port = (netloc.rpartition(":") if netloc.rfind(":") > netloc.rfind("]") else (netloc, "", ""))
    if port and not port.isdigit():
        port = "..."
    netloc = host + colon + port
    if len(netloc) > 80 or not netloc.isprintable():
        netloc = netloc[:80].encode("unicode_escape").decode("ascii")[:80] + "..."
    return f"{scheme[:10]}://{netloc}" + ("/..." if tail not in ("", "/") else "")
