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
                              replay_days=replay_days, cycle_events=cycle_events, gx_events=gx_events)  # fmt: skip
    _report(result, as_json, "checks")
