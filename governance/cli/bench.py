"""``governance bench ...``: benchmarks that report (ratios against a baseline where it applies)."""

from __future__ import annotations

from pathlib import Path

import typer

from governance.cli import app
from governance.cli.output import NO, new_typer, note, out, print_json, table

bench_app = new_typer("Benchmarks: they report figures, they never fail.")
app.add_typer(bench_app, name="bench")
JSON = typer.Option(False, "--json", help="Print the figures as one JSON object {metric: value}")


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
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object {metric: value}"),
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
        "baseline,naive,diy", help="Comma-separated peers to run beside the proxy (baseline, naive, diy; '' for none)"
    ),
    rounds: int = typer.Option(
        1, min=1, help="Run every server this many times in turn and report each one's best round (noisy machines)"
    ),
    profile: Path = typer.Option(None, "--profile", help="Write py-spy profiles of the web process and worker here"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Web processes of the proxy (serve --workers N)"),
    as_json: bool = JSON,
) -> None:
    """The proxy (forwarding to a local upstream) vs parse-only, naive DIY and smart DIY peers, read back.

    Exit 1 when the ratios are refused: events deduplicated or lost, or a peer failed requests."""
    from governance.bench.proxy import run

    if durability not in ("default", "full", "normal", "both"):
        raise typer.BadParameter("one of default, full, normal, both", param_hint="--durability")
    try:
        result = run(seconds=seconds, concurrency=concurrency, durability=durability, database_url=database_url,
                     peers=tuple(p.strip() for p in peers.split(",") if p.strip()), rounds=rounds,
                     profile_dir=profile, workers=workers)  # fmt: skip
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
    as_json: bool = JSON,
) -> None:
    """The proxy at full speed for N minutes: events/s, outbox, bytes per event and dedupe key, RSS per minute.

    Exit 1 when any event was deduplicated (the load repeated messageIds: the figures measured something else)."""
    from governance.bench.soak import run

    if durability not in ("default", "full", "normal"):
        raise typer.BadParameter("one of default, full, normal", param_hint="--durability")
    try:
        result = run(minutes=minutes, interval_s=interval, concurrency=concurrency, durability=durability,
                     database_url=database_url)  # fmt: skip
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
    as_json: bool = JSON,
) -> None:
    """Bytes per key, insert and prune cost of the dedupe window: today's table vs compact 16-byte keys."""
    from governance.bench.dedupe import run

    try:
        result = run(keys=keys, batch=batch, database_url=database_url)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--database-url") from None
    _report(result, as_json, "dedupe window")


@bench_app.command("validate")
def bench_validate(
    events: int = typer.Option(1_000_000, help="Generated events"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object {metric: value}"),
) -> None:
    """`governance validate` on generated ~1 KB events: throughput and peak memory."""
    from governance.bench.validate import run

    _report(run(events), as_json, "offline validation")


@bench_app.command("checks")
def bench_checks(
    events: int = typer.Option(200, help="Synthetic events (volumes from 10/h to 10,000/h)"),
    days: int = typer.Option(14, help="Days of minute counters"),
    seed: int = typer.Option(0, help="Random seed of the synthetic traffic"),
    seeds: int = typer.Option(5, help="Seeds the accuracy is pooled over (one seed is only ~1,400 event-days)"),
    cycle_events: int = typer.Option(3000, help="Events in the timed full check cycle"),
    gx_events: int = typer.Option(100_000, help="Sampled events in the timed Great Expectations suite"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object {metric: value}"),
) -> None:
    """Detection accuracy on synthetic traffic with injected anomalies, and the cost of a check cycle and a GX suite."""
    from governance.bench.checks import run_checks_bench

    result = run_checks_bench(events=events, days=days, seed=seed, cycle_events=cycle_events, gx_events=gx_events)
    if seeds > 1:  # pool the accuracy over more event-days; the single-seed figures stay under "first_seed"
        from governance.bench.checks import accuracy_over_seeds

        pooled = accuracy_over_seeds(list(range(seed, seed + seeds)), events=events, days=days)
        result["first_seed"] = {k: result[k] for k in ("recall", "false_alerts", "false_alerts_per_1000_event_days")}
        result["over_seeds"] = pooled
        result["recall"] = pooled["recall"]["mean"]
        result["false_alerts"] = pooled["false_alerts"]
        result["event_days"] = pooled["event_days"]
        result["false_alerts_per_1000_event_days"] = round(1000 * pooled["false_alerts"] / pooled["event_days"], 3)
    _report(result, as_json, "checks")
