"""What the proxy bench refuses to report, and why: a run whose figures would not be the truth.

The ratios of ``bench proxy`` stand only when every peer answered every request it was sent, stored
what it answered 200 for, and the proxy deduplicated nothing (the load never repeats a messageId);
``refusals`` lists each reason a run breaks that, ``failure_causes`` sorts a peer's failed requests.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def failure_causes(peer: dict[str, Any]) -> dict[str, int]:
    """A peer's failed requests by cause. The load generator has no timeout of its own (a client
    waits for its answer however long it takes), so a failure is the server's: an answer other than
    200 (``answered <status>``), or a connection closed with no answer, which the bench puts down to
    a web process replaced during the round when it saw one go (``web_replaced``)."""
    causes: Counter[str] = Counter()
    for kind, n in peer["error_kinds"].items():
        if kind.startswith("HTTP "):
            causes[f"answered {kind.removeprefix('HTTP ')}"] += n
        elif peer.get("web_replaced"):
            causes[f"connection lost ({kind}): a web process was replaced"] += n
        else:
            causes[f"connection lost ({kind})"] += n
    return dict(causes)


def refusals(peers: dict[str, dict[str, Any]]) -> list[str]:
    """Why this run's ratios would not be the truth (empty when they are)."""
    reasons = [f"{name}: {p['errors']} failed requests {p['error_kinds']}" for name, p in peers.items() if p["errors"]]
    reasons += [f"{name}: served no requests" for name, p in peers.items() if not p["requests"]]
    proxy = peers.get("proxy")
    if proxy is not None:
        back = proxy["readback"]
        if back["deduplicated"]:
            reasons.append(f"proxy: {back['deduplicated']} events deduplicated: the load repeated messageIds")
        if back["counted"] != proxy["sent"]:
            lost = ("; the requests that got no answer may have been committed (no 2xx is not 'not stored': a "
                    "retry is deduplicated)" if back["counted"] > proxy["sent"] and proxy["errors"] else "")
            reasons.append(f"proxy: counted {back['counted']} events but answered 200 for {proxy['sent']}{lost}")
    for name in ("naive", "diy", "diy_forward"):
        if name in peers and peers[name]["stored"] != peers[name]["sent"]:
            reasons.append(f"{name}: stored {peers[name]['stored']} events but answered 200 for {peers[name]['sent']}")
    forwarding = peers.get("diy_forward")
    if forwarding is not None and (forwarding["outbox_left"]
                                   or forwarding["upstream"]["events"] != forwarding["stored"]):
        reasons.append(f"diy_forward: forwarded {forwarding['upstream']['events']} of {forwarding['stored']} stored "
                       f"events ({forwarding['outbox_left']} left in its outbox)")
    return reasons
