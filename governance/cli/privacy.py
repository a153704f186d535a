"""``governance privacy suppress|delete|unsuppress|status``: privacy regulations on a running server,
and ``governance bench pii|privacy`` (added to the bench group).

    suppress USER_ID...                   SUPPRESS_ONLY: stop collecting (in force within a second)
    delete USER_ID...                     SUPPRESS_WITH_DELETE: stop collecting and forget what is held
    delete --keep-collecting USER_ID...   DELETE_ONLY: forget what is held, keep collecting
    unsuppress USER_ID...                 UNSUPPRESS: collect again
    status ID [--wait S]                  overallStatus and the receipt

``--source`` (repeatable) limits a regulation to sources; ``--notify`` (repeatable) names webhook
channels that receive a signed ``regulation.created``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import typer

from governance.cli import app
from governance.cli.bench import bench_app
from governance.cli.client import TOKEN_OPTION, URL_OPTION, Client
from governance.cli.output import JSON_HELP, NO, OK, handled, new_typer, out, print_json, table, text, when

privacy_app = new_typer("Privacy regulations by user id: suppress, delete, unsuppress, status.")
app.add_typer(privacy_app, name="privacy")

TERMINAL = ("FINISHED", "FAILED", "PARTIAL_SUCCESS")
SOURCE_OPTION = typer.Option(None, "--source", help="Only this source (id or name; repeat for more). Default: every "
                                                    "source")
NOTIFY_OPTION = typer.Option(None, "--notify", help="A webhook channel (id or name) to send regulation.created to "
                                                    "(repeat for more)")
SUBJECTS = typer.Argument(..., metavar="USER_ID...", help="User ids (or anonymous ids) to match on userId, "
                                                          "anonymousId and previousId")


def _request(kind: str, subjects: list[str], sources: list[str] | None, notify: list[str] | None, *, as_json: bool,
             url: str, token: str | None) -> None:
    body: dict[str, Any] = {"regulationType": kind, "subjectType": "USER_ID", "subjectIds": subjects}
    if sources:
        body["sourceIds"] = sources
    if notify:
        body["notify"] = notify
    with handled(as_json):
        created = Client(url, token).json("POST", "/api/v1/regulations", json=body)
    if as_json:
        print_json(created)
        return
    scope = ", ".join(created["sourceIds"]) if created["sourceIds"] else "every source"
    out(f"{created['id']}  {created['regulationType']}  {created['overallStatus']}")
    out(f"  {len(created['subjectIds'])} subject(s), {scope}")
    if created["overallStatus"] not in TERMINAL:
        out(f"  follow it: governance privacy status {created['id']} --wait 60")


@privacy_app.command("suppress")
def suppress(subjects: list[str] = SUBJECTS, source: list[str] = SOURCE_OPTION, notify: list[str] = NOTIFY_OPTION,
             as_json: bool = typer.Option(False, "--json", help=JSON_HELP), url: str = URL_OPTION,
             token: str = TOKEN_OPTION) -> None:
    """Stop collecting these users' events (SUPPRESS_ONLY): answered 200, never forwarded or stored.

    JSON: the regulation, as `GET /api/v1/regulations/{id}` answers it.
    """
    _request("SUPPRESS_ONLY", subjects, source, notify, as_json=as_json, url=url, token=token)


@privacy_app.command("delete")
def delete(subjects: list[str] = SUBJECTS, keep_collecting: bool = typer.Option(
               False, "--keep-collecting", help="DELETE_ONLY: forget what is held but keep collecting"),
           source: list[str] = SOURCE_OPTION, notify: list[str] = NOTIFY_OPTION,
           as_json: bool = typer.Option(False, "--json", help=JSON_HELP), url: str = URL_OPTION,
           token: str = TOKEN_OPTION) -> None:
    """Forget these users (SUPPRESS_WITH_DELETE; DELETE_ONLY with --keep-collecting): their events are purged
    from the quarantine, the dead letter, the outbox and the samples by the worker.

    JSON: the regulation, as `GET /api/v1/regulations/{id}` answers it.
    """
    kind = "DELETE_ONLY" if keep_collecting else "SUPPRESS_WITH_DELETE"
    _request(kind, subjects, source, notify, as_json=as_json, url=url, token=token)


@privacy_app.command("unsuppress")
def unsuppress(subjects: list[str] = SUBJECTS, source: list[str] = SOURCE_OPTION,
               notify: list[str] = NOTIFY_OPTION, as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
               url: str = URL_OPTION, token: str = TOKEN_OPTION) -> None:
    """Collect these users' events again (UNSUPPRESS); with --source, only those sources' suppressions are lifted.

    JSON: the regulation, as `GET /api/v1/regulations/{id}` answers it.
    """
    _request("UNSUPPRESS", subjects, source, notify, as_json=as_json, url=url, token=token)


@privacy_app.command("status")
def status(regulation_id: str = typer.Argument(..., help="The regulation id (reg_...)"),
           wait: float = typer.Option(0.0, "--wait", min=0.0, help="Seconds to wait for it to finish"),
           as_json: bool = typer.Option(False, "--json", help=JSON_HELP), url: str = URL_OPTION,
           token: str = TOKEN_OPTION) -> None:
    """A regulation's overallStatus and receipt. Exits 0 when it is FINISHED (or, without --wait, still on its
    way), 1 when it FAILED, ended in PARTIAL_SUCCESS, or had not finished within --wait.

    JSON: the regulation, as `GET /api/v1/regulations/{id}` answers it.
    """
    deadline = time.monotonic() + wait
    with handled(as_json):
        client = Client(url, token)
        found = client.json("GET", f"/api/v1/regulations/{quote(regulation_id, safe='')}")
        while wait and found["overallStatus"] not in TERMINAL and time.monotonic() < deadline:
            time.sleep(0.5)
            found = client.json("GET", f"/api/v1/regulations/{quote(regulation_id, safe='')}")
    if as_json:
        print_json(found)
    else:
        _show(found)
    state = found["overallStatus"]
    if state in ("FAILED", "PARTIAL_SUCCESS") or (wait and state not in TERMINAL):
        raise typer.Exit(NO)
    raise typer.Exit(OK)


def _show(found: dict[str, Any]) -> None:
    for key in ("id", "regulationType", "overallStatus", "actor", "createdAt", "startedAt", "finishedAt", "error"):
        value = when(found[key]) if key.endswith("At") else found[key]
        out(f"{key}: {text(value)}")
    out(f"subjects: {len(found['subjectIds'])}  sources: {text(found['sourceIds'] or 'every source')}")
    deleted = found["receipt"].get("deleted") or {}
    if deleted:
        out("deleted:")
        table(["store", "rows"], sorted(deleted.items()))
    out("steps:")
    for step in found["receipt"].get("steps", []):
        details = ", ".join(f"{k}={text(v)}" for k, v in step.items() if k not in ("at", "action"))
        out(f"  {when(step['at'])}  {step['action']}" + (f"  {details}" if details else ""))


@bench_app.command("pii")
def bench_pii(
    events: int = typer.Option(2000, help="Generated events judged per hot-path scenario"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object"),
) -> None:
    """PII detection on both labelled corpora (recall, false positives, cost per value) and the scan's cost per
    event on the hot path next to the pipeline's own.

    JSON: `{"pii_corpus": {...}, "pii_holdout": {...}, "hot_path": {scenario: {...}}, "goal": {...}}`.
    """
    from governance.bench.privacy import run_pii_bench

    result = run_pii_bench(events=events)
    if as_json:
        print_json(result)
        return
    for corpus in ("pii_corpus", "pii_holdout"):
        figures = result[corpus]
        out(f"{corpus}: recall {figures['recall']}, false positives {figures['false_positive_rate']}, "
            f"{figures['per_value_us']} us per value ({figures['per_value_us_cached']} cached)")
    table(["scenario", "judge us/event", "scan us/event", "pii per event"],
          [[name, f["judge_us_per_event"], f["scan_us_per_event"], f["pii_found_per_event"]]
           for name, f in result["hot_path"].items()])


@bench_app.command("privacy")
def bench_privacy(
    ids: int = typer.Option(1_000_000, help="Suppressed ids"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object {metric: value}"),
) -> None:
    """A web process's suppression set of N ids: resident memory and the cost of checking an event."""
    from governance.bench.privacy import run_privacy_bench

    result = run_privacy_bench(ids)
    if as_json:
        print_json(result)
        return
    out("suppressions")
    table(["metric", "value"], list(result.items()))
