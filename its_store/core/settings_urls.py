"""The URL settings: the proxy bypass rule (NO_PROXY), the webhook URL check, and how a URL setting is
shown (config, repr, JSON, a remote's proxy): with its password, token, query or path masked.

Split from core/settings.py (they are rules about URL text, not about reading settings); Settings
imports them when a URL is set or shown, and core/settings.py still offers bypasses_proxy,
webhook_origin and check_webhook_url by their old path.
"""

from __future__ import annotations

from its_store.core.netloc import check_host_port, shown_origin


def bypasses_proxy(endpoint: str, no_proxy: str) -> bool:
    """NO_PROXY as curl reads it: `*`, host names (a name also covers its subdomains; a leading dot
    or `*.` is allowed), IP addresses and CIDR blocks, each optionally with :port."""
    import ipaddress
    host, _, port = endpoint.rpartition(":") if endpoint.count(":") == 1 else (endpoint, "", "")
    host = host.strip("[]").lower()
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, want_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if want_port and want_port != port:
            continue
        name = name.strip("[]").removeprefix("*").lstrip(".")
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(name, strict=False):
                return True
            continue
        except ValueError:
            pass
        if host == name or host.endswith("." + name):
            return True
    return False


def webhook_origin(url: str) -> str:
    """scheme://host[:port]/... of a webhook URL: safe to print (no user info, path or query)."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return shown_origin(url)
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme or 'http'}://{host}{port}" + ("/..." if parts.path not in ("", "/") or parts.query else "")


def check_webhook_url(url: str) -> str:
    """`url` if urllib3 can POST to it: http(s), a host[:port] as core/netloc checks it, no space or control
    character. Else ValueError naming the URL only as scheme://host:port/... (its path or query is often
    the token), so that a typo is one configuration line (exit 78) when the settings are read, not a
    failure of every model command after the change was stored."""
    where = f"MINIO_MODEL_WEBHOOK_URL ({shown_origin(url)})"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise ValueError(f"{where}: must start with http:// or https://")
    netloc = rest[:min([i for i in (rest.find(c) for c in "/?#") if i >= 0] + [len(rest)])]
    check_host_port(netloc.rpartition("@")[2], where)  # what urlsplit and urllib3 will read as the host
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ValueError(f"{where}: contains a space or a control character (percent-encode it)")
    return url


URL_FIELDS = ("redis_url", "http_proxy", "https_proxy", "model_webhook_url")


def shown_url(name: str | None, value: str | None) -> str | None:
    """A URL setting as shown anywhere (config, repr, JSON): the webhook's origin only (its path or query
    often is the token: Slack, Teams), the others with their password and query masked (mask_url)."""
    if not value:
        return value
    if name == "model_webhook_url":
        return webhook_origin(value)
    return mask_url(value, keep_path=name == "redis_url")  # Redis: /DB; a proxy has no path


def mask_url(url: str, *, keep_path: bool = True) -> str:
    """redis://user:password@host -> redis://user:********@host; without a scheme too (`user:pw@host:3128`,
    as a proxy is often written: urlsplit would read no user info there and the password was shown); a
    URL that does not parse keeps only its origin (shown_origin: no user info). A query and a fragment
    are masked whole (`?token=...` is a secret as often as not), and unless `keep_path` (a Redis URL's
    /DB) a path too: a proxy URL has none, so whatever is written there is not for showing."""
    from urllib.parse import urlsplit, urlunsplit
    if "://" not in url:
        return mask_url("http://" + url, keep_path=keep_path).removeprefix("http://")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port urlsplit cannot read
    except ValueError:
        return shown_origin(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", ":********@", 1)
    elif parts.username:  # a token given as the user name
        netloc = "********@" + netloc.rpartition("@")[2]
    path = parts.path if keep_path or parts.path in ("", "/") else "/********"
    return urlunsplit(parts._replace(netloc=netloc, path=path, query="********" if parts.query else "",
                                     fragment="********" if parts.fragment else ""))
