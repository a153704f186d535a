"""``governance bench ...``: benchmarks that report (ratios against a baseline where it applies)."""

from __future__ import annotations

from pathlib import Path

import typer

from governance.cli import app
from governance.cli.output import NO, new_typer, note, out, print_json, table

bench_app = new_typer("Benchmarks: they report figures, they never fail.")
app.add_typer(bench_app, name="bench")
JSON = typer.Option(False, "--json", help="Print the figures as one JSON object {metric: value}")
IDS_HELP = ("messageIds of the load: sdk (like the real SDKs': ajs-next-<ms>-<uuid>, node-next-<ms>-<uuid>, "
            "UUIDv4), uuid4 (UUIDv4s only), ordered (the bench's ordered ids before the SDK shapes)")


def _ids(value: str) -> str:
    from governance.bench.load import ID_SHAPES

    if value not in ID_SHAPES:
        raise typer.BadParameter(f"one of {', '.join(ID_SHAPES)}", param_hint="--ids")
    return value


def _report(result: dict[str, object], as_json: bool, title: str) -> None:
    """JSON: the benchmark's figures, {metric: value}."""
    if as_json:
        print_json(result)
        return
    out(title)
    table(["metric", "value"], list(result.items()))


@bench_app.command("registry")
def bench_registry(
    events: int = typer.Option(3000, help="Events in the generated plan"),
    as_json: bool = JSON,
) -> None:
    """Compile + meta-validate a generated plan, its memory, and a diff of two versions."""
    from governance.bench.registry import run

    _report(run(events), as_json, "registry")


@bench_app.command("proxy")
def bench_proxy(
    seconds: float = typer.Option(5.0, help="Load duration per server (after a 1 s warm-up)"),
    concurrency: int = typer.Option(8, min=1, max=256, help="Concurrent keep-alive connections"),
    durability: str = typer.Option(
        "default", help="The proxy's SQLite commits: default (this build's), full, normal, or both (two runs)"
    ),
    database_url: str = typer.Option(
        None, "--database-url", help="Run the proxy on this database (e.g. postgresql://...) instead of a temp SQLite"
    ),
    peers: str = typer.Option(
        "baseline,naive,diy,diy_forward",
        help="Comma-separated peers to run beside the proxy (baseline, naive, diy, diy_forward; '' for none)"
    ),
    rounds: int = typer.Option(
        1, min=1, help="Run every server this many times in turn and report each one's best round (noisy machines)"
    ),
    profile: Path = typer.Option(None, "--profile", help="Write py-spy profiles of the web process and worker here"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Web processes of the proxy (serve --workers N)"),
    ids: str = typer.Option("sdk", "--ids", help=IDS_HELP),
    as_json: bool = JSON,
) -> None:
    """The proxy (forwarding to a local upstream) vs parse-only, naive, smart and forwarding DIY peers, read back.

    Exit 1 when the ratios are refused: events deduplicated or lost, or a peer failed requests."""
    from governance.bench.proxy import run

    if durability not in ("default", "full", "normal", "both"):
        raise typer.BadParameter("one of default, full, normal, both", param_hint="--durability")
    try:
        result = run(seconds=seconds, concurrency=concurrency, durability=durability, database_url=database_url,
                     peers=tuple(p.strip() for p in peers.split(",") if p.strip()), rounds=rounds,
                     profile_dir=profile, workers=workers, ids=_ids(ids))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _report(result, as_json, "proxy vs peers")
    if result.get("refused"):
        note(f"ratios refused: {'; '.join(result['refused'])}")
        raise typer.Exit(NO)


@bench_app.command("soak")
def bench_soak(
    minutes: int = typer.Option(10, min=1, help="Intervals to run (each --interval seconds, a minute by default)"),
    interval: float = typer.Option(60.0, min=1.0, help="Seconds per reported interval"),
    concurrency: int = typer.Option(8, min=1, max=256, help="Concurrent keep-alive connections"),
    durability: str = typer.Option("default", help="The proxy's SQLite commits: default (this build's), full, normal"),
    database_url: str = typer.Option(
        None, "--database-url", help="Run the proxy on this database (e.g. postgresql://...) instead of a temp SQLite"
    ),
    ids: str = typer.Option("sdk", "--ids", help=IDS_HELP),
    as_json: bool = JSON,
) -> None:
    """The proxy at full speed for N minutes: events/s, outbox, bytes per event and dedupe key, RSS per minute.

    Exit 1 when any event was deduplicated (the load repeated messageIds: the figures measured something else)."""
    from governance.bench.soak import run

    if durability not in ("default", "full", "normal"):
        raise typer.BadParameter("one of default, full, normal", param_hint="--durability")
    try:
        result = run(minutes=minutes, interval_s=interval, concurrency=concurrency, durability=durability,
                     database_url=database_url, ids=_ids(ids))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _report(result, as_json, "soak")
    if result["deduplicated"]:
        note(f"{result['deduplicated']} events deduplicated: the load repeated messageIds")
        raise typer.Exit(NO)


@bench_app.command("dedupe")
def bench_dedupe(
    keys: int = typer.Option(1_000_000, min=1000, help="Keys loaded into each layout"),
    batch: int = typer.Option(2000, min=1, help="Keys per insert transaction"),
    database_url: str = typer.Option(
        None, "--database-url", help="An empty throwaway database (e.g. postgresql://...) instead of a temp SQLite"
    ),
    ids: str = typer.Option("sdk", "--ids", help=IDS_HELP),
    as_json: bool = JSON,
) -> None:
    """Bytes per key, insert and prune costs of the dedupe window (the text table before revision 0007, the
    16-byte hashed keys of 0007-0009, today's time-first keys, generations), and how long a prune stalls ingest."""
    from governance.bench.dedupe import run

    ids = _ids(ids)
    try:
        result = run(keys=keys, batch=batch, database_url=database_url, ids=ids)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--database-url") from None
    _report(result, as_json, "dedupe window")


@bench_app.command("validate")
def bench_validate(
    events: int = typer.Option(1_000_000, help="Generated events"),
    as_json: bool = JSON,
) -> None:
    """`governance validate` on generated ~1 KB events: throughput and peak memory."""
    from governance.bench.validate import run

    _report(run(events), as_json, "offline validation")


@bench_app.command("checks")
def bench_checks(
    generators: str = typer.Option("synthetic,realistic", help="Traffic generators, comma-separated"),
    events: int = typer.Option(200, help="Events per generated traffic"),
    days: int = typer.Option(35, help="Days of minute counters (weeks 1, 2, 3 and 4+ are scored apart)"),
    tuning: str = typer.Option("0-2", help="Seeds the thresholds were tuned on, e.g. 0-2"),
    held_out: str = typer.Option("100-104", help="Held-out seeds, reported apart, e.g. 100-104"),
    replay_events: int = typer.Option(4, help="Events replayed through run_cycle against the fast path (0: skip)"),
    replay_days: float = typer.Option(1.0, help="Days of that replay, at the end of the traffic"),
    cycle_events: int = typer.Option(3000, help="Events in the timed in-memory check cycle (0: skip)"),
    gx_events: int = typer.Option(100_000, help="Sampled events in the timed Great Expectations suite (0: skip)"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object"),
) -> None:
    """Detection accuracy on two traffic generators by week of history, the run_cycle replay, and timings."""
    from governance.bench.checks import run_checks_bench, seed_list

    result = run_checks_bench(generators=tuple(generators.split(",")), events=events, days=days,
                              tuning=seed_list(tuning), held_out=seed_list(held_out), replay_events=replay_events,
                              replay_days=replay_days, cycle_events=cycle_events, gx_events=gx_events)
    _report(result, as_json, "checks")


@bench_app.command("hotpath")
def bench_hotpath(
    batches: int = typer.Option(200, min=1, help="100-event bodies per round"),
    rounds: int = typer.Option(5, min=1, help="Rounds per stage (the best is reported)"),
    commit: bool = typer.Option(True, "--commit/--no-commit",
                                help="Also the group commit on a real SQLite file (the commit_* figures, and "
                                "commit_diy_*: the smart DIY peer's write of the same events)"),
    ids: str = typer.Option("sdk", "--ids", help=IDS_HELP),
    forward: bool = typer.Option(False, "--forward/--no-forward",
                                 help="Also the worker's forwarder draining those events' outbox rows from a "
                                 "SQLite file to a counting upstream on 127.0.0.1 (the forward_* figures)"),
    window_keys: int = typer.Option(0, "--window-keys", min=0,
                                    help="Keys already in the commit stage's dedupe window (the same id shapes, "
                                    "arrived over the seconds before at 12,000 a second); 0: an empty window"),
    as_json: bool = JSON,
) -> None:
    """The proxy's per-event Python in one process (parse, judge, tally, relay): CPU µs per event
    of each stage, no HTTP; and the group commit on a temporary SQLite file (commit_*), beside the
    smart DIY peer's write of the same events in the same harness (commit_diy_*)."""
    from governance.bench.hotpath import run

    _report(run(batches=batches, rounds=rounds, commit=commit, ids=_ids(ids), forward=forward,
                window_keys=window_keys), as_json,
            "hot path (CPU µs per event)")


@bench_app.command("cycle")
def bench_cycle(
    events: int = typer.Option(12, help="Planned events with minute counters"),
    days: int = typer.Option(35, help="Days of minute counters"),
    database_url: str | None = typer.Option(None, help="An empty database to use (default: a new SQLite file)"),
    repeat: int = typer.Option(2, help="Timed cycles per path (the best is reported)"),
    as_json: bool = JSON,
) -> None:
    """One full check cycle over weeks of minute counters: read from the minutes, then from the hourly rollup."""
    from governance.bench.cycle import cycle_bench

    _report(cycle_bench(events, days, url=database_url, repeat=repeat), as_json, "check cycle")


@bench_app.command("silences")
def bench_silences(
    silences: int = typer.Option(1000, help="Active silences"),
    alerts: int = typer.Option(1000, help="Firing alerts"),
    expired: int = typer.Option(5000, help="Silences that ended in the last days (kept for their retention)"),
    database_url: str | None = typer.Option(None, help="An empty database to use (default: a new SQLite file)"),
    as_json: bool = JSON,
) -> None:
    """What muting costs one dispatch: active silences against firing alerts."""
    from governance.bench.silences import mute_bench

    _report(mute_bench(silences, alerts, expired=expired, url=database_url), as_json, "silences")


@bench_app.command("sampler")
def bench_sampler(
    events: int = typer.Option(300_000, help="Forwarded events"),
    per_minute: int = typer.Option(6000, help="Events a minute, over 20 (source, event) pairs"),
    as_json: bool = JSON,
) -> None:
    """The event sampler's hot-path cost (µs per forwarded event, in-process) and its sample writes."""
    from governance.bench.sampler import sampler_cost

    _report(sampler_cost(events, per_minute=per_minute), as_json, "event sampler")
