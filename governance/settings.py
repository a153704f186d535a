"""All configuration, read once from the environment (prefix ``GOVERNANCE_``) or passed in tests.

Every field is documented in ``docs/reference/settings.md``; a test fails when one is not.
Contradictions fail fast at start-up; secrets are ``SecretStr`` and never printed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from governance.ssrf import parse_networks


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVERNANCE_", extra="ignore")

    # storage
    database_url: str = Field(
        "sqlite:///./data/governance.db",
        description="SQLAlchemy URL: sqlite:///path (embedded, WAL) or postgresql://user@host/db",
    )
    # web process
    host: str = Field("127.0.0.1", description="Address `governance serve` binds to")
    port: int = Field(8000, ge=1, le=65535, description="Port `governance serve` binds to")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL of the console, used in links in alerts"
    )
    bootstrap_admin_token: SecretStr | None = Field(
        None, description="When set, registered as an admin API token at start-up (for automation)"
    )
    run_worker: bool = Field(True, description="`governance serve` also starts the worker process")
    web_workers: int = Field(
        1, ge=1, le=64,
        description="Web processes `governance serve` runs on its one port (`--workers`); `/metrics` adds them up",
    )
    web_healthcheck_timeout_s: int = Field(
        30, ge=1, le=600,
        description="With `--workers N`: a web process that does not answer serve's health check within this many "
                    "seconds is killed and replaced (uvicorn's default, 5, leaves a loaded machine little margin)",
    )
    plans_dir: str | None = Field(
        None, description="Directory of plan YAML files published at start-up (used by `make run`)"
    )
    request_head_timeout_s: float = Field(
        10.0, gt=0, description="Time a client has to send a request's headers (`governance serve`); 408 after it"
    )
    request_body_timeout_s: float = Field(
        20.0, gt=0, description="Time a client has to send a request's body, from its first byte; 408 after it"
    )
    commit_timeout_s: float = Field(
        10.0, gt=0, le=14, description="Longest an ingestion request waits for its commit before it is answered "
        "503 (below the SDKs' 15 s timeout, so they retry rather than give up)"
    )
    db_lock_timeout_s: float = Field(
        5.0, gt=0, description="Longest the proxy's commit waits for a locked database (SQLite: its turn in the "
        "write queue and the busy_timeout together; PostgreSQL lock_timeout) before it fails and the request is "
        "answered 503"
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL", description="SQLite's synchronous mode: FULL (default) makes every commit survive a power loss "
        "or an OS crash; NORMAL is faster and survives a process crash, but the last commits before a power "
        "loss may be lost (see docs/operations/durability.md)"
    )
    web_dir: str | None = Field(
        None, description="Folder of the web console served at / (default: the repository's web/ beside the package)"
    )
    # plan distribution
    plan_refresh_s: float = Field(
        0.5, gt=0, le=1.0, description="How often web processes poll for plan and source changes"
    )
    # proxy limits (DESIGN: Segment HTTP API anchors)
    max_event_bytes: int = Field(32 * 1024, ge=1024, description="Largest single event, in bytes")
    max_batch_bytes: int = Field(500 * 1024, ge=1024, description="Largest request body after gzip")
    max_batch_events: int = Field(2500, ge=1, description="Most events in one batch")
    max_json_depth: int = Field(
        32, ge=2, le=200, description="Deepest nesting of one message (at most 200: orjson writes 254 levels)"
    )
    max_api_body_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="Largest REST API request body (plans, imports)"
    )
    dedupe_window_s: int = Field(86400, ge=0, description="messageId dedupe window per source, seconds")
    sample_per_minute: int = Field(
        10, ge=0, description="Forwarded events sampled per (source, event) and minute for quality checks: "
        "a uniform sample of the minute's events, whatever their order (a reservoir; 0: none)"
    )
    sample_retention_days: int = Field(7, ge=1, description="Days event samples are kept")
    # forwarding
    upstream_timeout_s: float = Field(15.0, gt=0, description="Timeout of one upstream request")
    retry_base_s: float = Field(10.0, gt=0, description="First retry delay; doubles each try")
    retry_max_s: float = Field(300.0, gt=0, description="Longest retry delay (and Retry-After cap)")
    dead_letter_min_tries: int = Field(3, ge=1, description="Tries before an event may be dead-lettered")
    dead_letter_after_s: float = Field(
        3 * 3600.0, gt=0, description="Age after which a retried event is dead-lettered"
    )
    forward_batch_size: int = Field(100, ge=1, le=2500, description="Events per upstream /v1/batch, and at "
                                    "most per outbox row (a group commit writes a row per source and this many events)")
    forward_concurrency: int = Field(
        8, ge=1, le=64, description="Sources a worker forwards to at once (each in its own lane: one slow "
        "upstream delays only its own source)"
    )
    forward_lease_s: float = Field(
        60.0, ge=1, description="How long claimed outbox rows stay reserved for one worker; renewed every "
        "quarter of it while their delivery runs, so another worker claims them only after this one died"
    )
    upstream_allowed_networks: list[str] = Field(
        default_factory=list, description="CIDRs upstream URLs may reach although link-local (cloud metadata "
        "addresses stay refused); loopback and private networks are allowed without this"
    )
    upstream_denied_networks: list[str] = Field(
        default_factory=list, description="CIDRs upstream URLs may never reach (e.g. 10.0.0.0/8), checked "
        "before the allowed ones"
    )
    # transformations
    hash_salt: SecretStr = Field(
        SecretStr("change-me-hash-salt"),
        description="Secret salt of the hash transformation and of privacy.piiAction hash (SHA-256 of salt + value)",
    )
    # alerts
    smtp_host: str | None = Field(None, description="SMTP server for email alerts")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port")
    smtp_starttls: bool = Field(True, description="Upgrade SMTP connections with STARTTLS")
    smtp_username: str | None = Field(None, description="SMTP user")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_from: str = Field("governance@localhost", description="From address of alert emails")
    webhook_timeout_s: float = Field(15.0, gt=0, description="Timeout of one webhook delivery")
    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs webhooks may reach although not public (e.g. 10.0.0.0/8); empty by default",
    )
    # quality scheduler (worker process; see docs/quality/checks.md)
    scheduler_enabled: bool = Field(True, description="The worker runs the quality scheduler (checks, alerts, digest)")
    scheduler_interval_s: int = Field(
        300, ge=1, description="Seconds between full check cycles (volume, decline, drift, expectations), aligned "
        "to the clock; their `for`/`keep_firing_for` count these evaluations"
    )
    scheduler_fast_interval_s: int = Field(
        15, ge=1, description="Seconds between fast cycles (new_unplanned, source_drop, violation_rate, silence), "
        "aligned to the clock; their `for`/`keep_firing_for` count these; capped at scheduler_interval_s, which it "
        "must divide"
    )
    scheduler_poll_s: float = Field(
        2.0, gt=0, description="Seconds between alert dispatch rounds and pickups of 'run now' requests"
    )
    leader_retry_s: float = Field(
        1.0, gt=0, description="How often a standby scheduler tries to take the leadership lock"
    )
    default_checks: bool = Field(
        True, description="Planned events get volume, silence, decline and violation_rate checks, sources "
        "new_unplanned"
    )
    check_run_retention_days: int = Field(7, ge=1, description="Days check runs and scheduler runs are kept")
    silence_retention_days: int = Field(
        5, ge=1, description="Days an expired silence stays listed (as history) before it is deleted "
        "(Alertmanager's --data.retention, 120 h)")
    # alert grouping (Alertmanager defaults; see docs/alerts/routing.md)
    group_wait_s: float = Field(30.0, ge=0, description="Wait before the first notification of a new alert group")
    group_interval_s: float = Field(
        300.0, ge=0, description="Wait before notifying changes (new or resolved alerts) of a notified group"
    )
    repeat_interval_s: float = Field(
        14400.0, gt=0, description="Re-send a notification while its alerts keep firing, this often"
    )
    correlation_window_s: float = Field(
        1800.0, ge=0, description="Alerts on one source whose estimated onsets lie within this many seconds share "
        "a root and go out as one notification (0: no correlation; see docs/alerts/silences.md)"
    )
    inhibit_rules: list[dict[str, Any]] | None = Field(
        None, description="Inhibition rules as JSON, like Alertmanager's inhibit_rules: [{\"name\", \"source\": "
        "[matchers], \"target\": [matchers], \"equal\": [labels]}]; unset: a source-level silence or a source_drop "
        "alert mutes that source's per-event volume and silence alerts, an event's silence mutes its volume alerts; "
        "[] turns it off"
    )
    digest_hour: int = Field(8, ge=0, le=23, description="UTC hour of the daily digest until set over REST")
    # logging
    access_log: bool = Field(False, description="Log every HTTP request (off: the proxy's hot path stays quiet)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of serve and worker (stderr); APScheduler's routine job runs show only at DEBUG"
    )

    @property
    def fast_interval_s(self) -> int:
        """The fast cadence in effect: never slower than the full cycle."""
        return min(self.scheduler_fast_interval_s, self.scheduler_interval_s)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.max_event_bytes > self.max_batch_bytes:
            raise ValueError("max_event_bytes must not exceed max_batch_bytes")
        if self.retry_base_s > self.retry_max_s:
            raise ValueError("retry_base_s must not exceed retry_max_s")
        if self.smtp_password is not None and not self.smtp_username:
            raise ValueError("smtp_password is set but smtp_username is not")
        for name in ("upstream_allowed_networks", "upstream_denied_networks", "webhook_allowed_networks"):
            try:
                parse_networks(getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        if self.inhibit_rules is not None:
            from governance.matchers import parse_rules  # the rules' own model (matchers, labels)

            try:
                parse_rules(self.inhibit_rules)
            except ValueError as exc:
                raise ValueError(f"inhibit_rules: {exc}") from None
        if self.scheduler_interval_s % self.fast_interval_s:
            raise ValueError("scheduler_fast_interval_s must divide scheduler_interval_s")
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
