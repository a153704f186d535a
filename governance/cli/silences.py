"""``governance silences create|list|expire``: silences and maintenance windows on a running server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import typer

from governance.cli import app
from governance.cli.client import TOKEN_OPTION, URL_OPTION, Client
from governance.cli.output import JSON_HELP, handled, new_typer, out, print_json, table, text, when
from governance.errors import ValidationFailed
from governance.matchers import parse_text

silences_app = new_typer("Silences and maintenance windows (alerts they match are not notified): create, list, expire.")
app.add_typer(silences_app, name="silences")


def _matchers(texts: list[str]) -> list[dict[str, str]]:
    out_: list[dict[str, str]] = []
    for number, item in enumerate(texts):
        try:
            out_.append(parse_text(item))
        except ValueError as exc:
            raise ValidationFailed(f"--match {item!r}: {exc}", details=[{"path": f"matchers.{number}",
                                                                          "message": str(exc)}]) from None
    return out_


def _instant(value: str, path: str) -> str:
    """An ISO 8601 time as the API takes it (a naive one is UTC)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        flag = "--starts" if path == "starts_at" else "--ends"
        raise ValidationFailed(f"{flag} {value!r}: not an ISO 8601 time",
                               details=[{"path": path, "message": "not an ISO 8601 time"}]) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _window(s: dict[str, Any]) -> str:
    shown = s.get("current") or s.get("next")
    return f"{when(shown['start'])} .. {when(shown['end'])}" if shown else "-"


def _matcher_text(matcher: dict[str, str]) -> str:
    value = matcher["value"].replace('"', '\\"')
    return f'{matcher["name"]}{matcher["op"]}"{value}"'


@silences_app.command("create")
def silences_create(
    match: list[str] = typer.Option(..., "--match", "-m", help='A matcher: name=value, name!=value, name=~regex or '
                                    'name!~regex, e.g. \'event=~"Order.*"\' (repeat: all must hold)'),
    comment: str = typer.Option(..., help="Why (shown with the alerts it silences)"),
    starts: str = typer.Option(None, "--starts", help="Start, ISO 8601, e.g. 2026-12-01T22:00:00+01:00 (default: "
                               "now; without an offset: UTC)"),
    ends: str = typer.Option(None, "--ends", help="End of a one-off silence (or of a recurrence's series), ISO 8601"),
    duration: float = typer.Option(None, "--duration", help="Minutes: a one-off's length, or each occurrence's"),
    rrule: str = typer.Option(None, "--rrule", help="Recurrence, RFC 5545 (e.g. FREQ=WEEKLY;BYDAY=SU); needs "
                              "--duration"),
    timezone: str = typer.Option("UTC", "--timezone", help="IANA zone a recurrence counts wall-clock time in"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Create a silence ahead of time; prints its id (stdout: the id alone).

    JSON: the silence as `POST /api/v1/silences` answers it.
    """
    with handled(as_json):
        body: dict[str, Any] = {"matchers": _matchers(match), "comment": comment}
        if starts is not None:
            body["starts_at"] = _instant(starts, "starts_at")
        if ends is not None:
            body["ends_at"] = _instant(ends, "ends_at")
        if rrule:
            if duration is None:
                raise ValidationFailed("--rrule needs --duration (minutes of each occurrence)",
                                       details=[{"path": "recurrence.duration_minutes", "message": "required"}])
            body["recurrence"] = {"rrule": rrule, "duration_minutes": duration, "timezone": timezone}
        elif duration is not None:
            body["duration_minutes"] = duration
        created = Client(url, token).json("POST", "/api/v1/silences", json=body)
    if as_json:
        print_json(created)
    else:
        out(created["id"])


@silences_app.command("list")
def silences_list(
    state: str = typer.Option(None, help="active, pending or expired (default: all)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """List silences, newest first: id, state, window (current or next), matchers, comment.

    JSON: `{"silences": [silence]}`, each as `GET /api/v1/silences/{id}` answers it.
    """
    with handled(as_json):
        params = {"state": state} if state else {}
        found = list(Client(url, token).pages("/api/v1/silences", **params))
    if as_json:
        print_json({"silences": found})
        return
    rows = [[s["id"], s["state"], _window(s), (s.get("recurrence") or {}).get("rrule"),
             " ".join(_matcher_text(m) for m in s["matchers"]), s["comment"]] for s in found]
    table(["id", "state", "window", "recurrence", "matchers", "comment"], rows)


@silences_app.command("expire")
def silences_expire(
    silence: str = typer.Argument(..., help="Silence id"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    url: str = URL_OPTION,
    token: str = TOKEN_OPTION,
) -> None:
    """Expire a silence now: alerts it muted are notified again if they still fire (exit 2 if already ended).

    JSON: the silence as `POST /api/v1/silences/{id}/expire` answers it.
    """
    with handled(as_json):
        expired = Client(url, token).json("POST", f"/api/v1/silences/{quote(silence, safe='')}/expire")
    if as_json:
        print_json(expired)
    else:
        out(f"{expired['id']}: {text(expired['state'])} at {when(expired['expired_at'])}")
