"""Inhibition rules, as Alertmanager's ``inhibit_rules``: a firing *source* alert mutes *target* alerts.

A rule mutes every firing alert its ``target`` matchers accept while another firing alert its
``source`` matchers accept has the same values of every label in ``equal``. An alert never
inhibits itself; a silenced alert still inhibits (the outage is real, only its notification is
muted). The rules come from ``GOVERNANCE_INHIBIT_RULES`` (JSON); unset, the defaults below hold,
and ``[]`` turns inhibition off:

    source outage   a source-level silence (the check of event "") mutes the per-event volume
                    and silence alerts of that source
    event silence   an event's silence mutes the volume alerts of that event
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from governance.matchers import DEFAULT_RULES, InhibitRule, matches_all, parse_rules

__all__ = ["DEFAULT_RULES", "InhibitRule", "inhibitors", "parse_rules"]


def inhibitors(alerts: Mapping[int, Mapping[str, Sequence[str]]],
               rules: Sequence[InhibitRule]) -> dict[int, list[tuple[int, str]]]:
    """For each inhibited alert id: the (inhibiting alert id, rule name) pairs, from the firing alerts' labels."""
    out: dict[int, list[tuple[int, str]]] = {}
    for rule in rules:
        sources: dict[tuple[tuple[str, ...], ...], list[int]] = {}  # the equal labels' values -> source alerts
        for i, labels in alerts.items():
            if matches_all(rule.source, labels):
                sources.setdefault(_key(rule.equal, labels), []).append(i)
        if not sources:
            continue
        for target_id, labels in alerts.items():
            if not matches_all(rule.target, labels):
                continue
            found = next((s for s in sources.get(_key(rule.equal, labels), []) if s != target_id), None)
            if found is not None:
                out.setdefault(target_id, []).append((found, rule.name))
    return out


def _key(names: Sequence[str], labels: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """The values of the ``equal`` labels (``matchers.equal_on`` compares the same tuples)."""
    return tuple(tuple(labels.get(n) or [""]) for n in names)
