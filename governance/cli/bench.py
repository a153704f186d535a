"""``governance bench ...``: benchmarks that report (ratios against a baseline where it applies)."""

from __future__ import annotations

import typer

from governance.cli import app
from governance.cli.output import new_typer, out, print_json, table

bench_app = new_typer("Benchmarks: they report figures, they never fail.")
app.add_typer(bench_app, name="bench")


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
    seconds: float = typer.Option(5.0, help="Load duration per server"),
    concurrency: int = typer.Option(8, help="Concurrent keep-alive connections"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object {metric: value}"),
) -> None:
    """The proxy (e-commerce plan, 10 % invalid, durable SQLite, forwarding) vs a bare parse-and-200 endpoint."""
    from governance.bench.proxy import run

    _report(run(seconds=seconds, concurrency=concurrency), as_json, "proxy vs bare endpoint")


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
