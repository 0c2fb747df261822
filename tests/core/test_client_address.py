"""app.core.http.client_address: the TCP peer, or X-Forwarded-For read from the right past
our own proxies, never a value the client wrote for itself."""

import pytest

from app.core.http import client_address
from tests.helpers import settings_env


def test_without_trusted_proxies_the_header_is_ignored():
    with settings_env(TRUSTED_PROXIES=""):
        assert client_address("203.0.113.7", ["198.51.100.1"]) == "203.0.113.7"
        assert client_address(None, []) == "unknown"


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    # the proxy appended the client it saw; whatever the client wrote is to its left
    ("10.0.0.2", ["1.2.3.4, 198.51.100.9"], "198.51.100.9"),
    # a chain of our own proxies is skipped, also across several header lines
    ("10.0.0.2", ["198.51.100.9, 10.0.0.3", "10.0.0.4"], "198.51.100.9"),
    # a peer that is not our proxy: its header is the client's own word
    ("203.0.113.7", ["198.51.100.9"], "203.0.113.7"),
    # our proxy without the header (a health check)
    ("10.0.0.2", [], "10.0.0.2"),
    # only our proxies in the header: the farthest we know
    ("10.0.0.2", ["10.0.0.5"], "10.0.0.5"),
    ("::1", ["2001:db8::7"], "2001:db8::7"),
])
def test_behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client(peer, forwarded,
                                                                          expected):
    with settings_env(TRUSTED_PROXIES="10.0.0.0/24, ::1"):
        assert client_address(peer, forwarded) == expected


def test_a_malformed_proxy_list_is_refused_at_start_up():
    from app.core.config import get_settings

    with pytest.raises(ValueError, match="trusted_proxies"), settings_env(
            TRUSTED_PROXIES="10.0.0.0/33"):
        get_settings()
