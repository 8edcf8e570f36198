"""Who may read /metrics: the addresses of METRICS_ALLOW, or whoever brings METRICS_TOKEN as a bearer token.

No login, no audit and no rate limit: Prometheus scrapes every few seconds. The token is compared in constant time
and must be long enough that guessing it is hopeless.
"""
from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from settings import Settings

MIN_TOKEN_LENGTH = 32
BEARER = "bearer "


@dataclass(frozen=True)
class MetricsAccess:
    """The networks allowed by address and the token allowed from anywhere (empty: none)."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    token: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> "MetricsAccess":
        """METRICS_ALLOW and METRICS_TOKEN; ValueError naming the setting when one is malformed."""
        networks = []
        for item in (part.strip() for part in settings.METRICS_ALLOW.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"METRICS_ALLOW must be addresses or networks (CIDR), comma-separated, e.g. "
                                 f"10.0.0.5/32,192.168.1.0/24; got {item!r}") from None
        token = settings.METRICS_TOKEN
        if token and len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters "
                             "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'` prints one)")
        return cls(tuple(networks), token)

    @property
    def closed(self) -> bool:
        """Whether nobody at all may read the metrics (neither setting is set)."""
        return not self.networks and not self.token

    def refusal(self, address: str, authorization: str, peer: str | None = None) -> str | None:
        """Why a request from address with this Authorization header may not read the metrics, or None.

        peer: the connection's own address when address was forwarded by a trusted proxy (TRUSTED_PROXY_COUNT).
        Both must be allowed: anyone who reaches gunicorn directly can write an X-Forwarded-For naming an allowed
        address, and anyone on the internet comes through the proxy's."""
        if self.token and authorization[:len(BEARER)].lower() == BEARER:
            given = authorization[len(BEARER):].strip()
            if hmac.compare_digest(given.encode(), self.token.encode()):
                return None
            return "Forbidden: wrong metrics token"
        if self._allowed(address) and (peer is None or self._allowed(peer)):
            return None
        if self.closed:
            return "Forbidden: metrics are not enabled here (set METRICS_ALLOW or METRICS_TOKEN)"
        return "Forbidden: this address may not read the metrics (METRICS_ALLOW), and no bearer token was given"

    def _allowed(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.partition("%")[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)
