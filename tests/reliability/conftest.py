"""Fixtures of the reliability suite: recording upstreams (as the proxy suite's) and `governance serve`
run as a real process group."""

from __future__ import annotations

from tests.proxy.conftest import other_upstream, upstream  # noqa: F401 - fixtures shared with the proxy suite
