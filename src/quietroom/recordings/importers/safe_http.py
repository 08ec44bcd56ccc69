"""Fetching audio by URL without server-side request forgery.

A URL is fetched only if its host is on the allow-list (QUIETROOM_SOURCE_URL_ALLOWLIST), and
only from public addresses: the host name is resolved once, every address it resolves to is
checked (loopback, link-local such as 169.254.169.254, private, shared, multicast, reserved
ranges are refused), and the connection is then made to that checked address with the host name
sent for TLS and the Host header. Resolving again at connect time would let a DNS answer that
changes between check and use (rebinding) reach an internal address; connecting to the checked
address closes that gap. Redirects are not followed (a redirect is a new, unchecked URL).
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3


class UrlRefused(ValueError):
    """The URL may not be fetched; the message says why (no secrets, no content)."""


@dataclass(frozen=True)
class CheckedUrl:
    scheme: str
    host: str
    port: int
    target: str      # path and query as sent
    address: str     # the checked IP address the connection goes to


def address_is_forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Anything that is not a globally routable unicast address."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return (not ip.is_global) or ip.is_multicast or ip.is_loopback or ip.is_link_local or ip.is_private


def _host_allowed(host: str, allowlist: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in allowlist:
        entry = entry.lower().strip().rstrip(".")
        if entry.startswith("*.") and host.endswith(entry[1:]) and host != entry[2:]:
            return True
        if host == entry:
            return True
    return False


def check_url(url: str, allowlist: list[str]) -> CheckedUrl:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(f"scheme {parts.scheme!r} is not allowed (http or https only)")
    if parts.username or parts.password:
        raise UrlRefused("URLs with credentials are not allowed")
    host = (parts.hostname or "").strip()
    if not host:
        raise UrlRefused("URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused("URL has an invalid port") from exc
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and address_is_forbidden(literal):
        raise UrlRefused(f"host {host} is a loopback, link-local or private address")
    if not _host_allowed(host, allowlist):
        raise UrlRefused(f"host {host} is not on the source URL allow-list (QUIETROOM_SOURCE_URL_ALLOWLIST)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"host {host} does not resolve") from exc
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if address_is_forbidden(ip):
            raise UrlRefused(f"host {host} resolves to a loopback, link-local or private address ({ip})")
        addresses.append(str(ip))
    if not addresses:
        raise UrlRefused(f"host {host} does not resolve")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return CheckedUrl(parts.scheme, host, port, target, addresses[0])


def fetch(url: str, *, allowlist: list[str], max_bytes: int, timeout: float = 15.0) -> bytes:
    """The body of an allowed URL, read in memory up to max_bytes."""
    checked = check_url(url, allowlist)
    pool_class = urllib3.HTTPSConnectionPool if checked.scheme == "https" else urllib3.HTTPConnectionPool
    extra = {"server_hostname": checked.host, "assert_hostname": checked.host} if checked.scheme == "https" else {}
    pool = pool_class(checked.address, port=checked.port, timeout=timeout, retries=False, maxsize=1, **extra)
    default_port = 443 if checked.scheme == "https" else 80
    host_header = checked.host if checked.port == default_port else f"{checked.host}:{checked.port}"
    try:
        response = pool.urlopen("GET", checked.target, headers={"Host": host_header}, redirect=False,
                                preload_content=False, assert_same_host=False)
    except urllib3.exceptions.HTTPError as exc:
        raise UrlRefused(f"could not fetch from {checked.host}: {type(exc).__name__}") from exc
    try:
        if response.status != 200:
            raise UrlRefused(f"{checked.host} answered HTTP {response.status}")
        body = bytearray()
        for chunk in response.stream(64 * 1024):
            body += chunk
            if len(body) > max_bytes:
                raise UrlRefused(f"larger than {max_bytes // (1024 * 1024)} MiB")
        return bytes(body)
    finally:
        response.release_conn()
        pool.close()
