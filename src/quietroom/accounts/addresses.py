"""The client's address, trusting X-Forwarded-For only from configured proxies."""
import ipaddress

from django.conf import settings


def _trusted_networks():
    return [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "QUIETROOM_TRUSTED_PROXIES", [])]


def _is_trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request) -> str:
    """REMOTE_ADDR, or, behind trusted proxies, the nearest untrusted hop in X-Forwarded-For.

    Walking from the right means a client cannot choose its own address by sending a
    forged header: every hop it adds sits to the left of what our proxy appended.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _trusted_networks()
    if not networks or not _is_trusted(remote, networks):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return remote
