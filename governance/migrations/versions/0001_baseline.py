"""Baseline: the schema of release 0.1.0, exactly

One idea over 500 lines: every table 0.1.0 made, as autogenerate wrote them; a released
revision is never split or edited.

Revision ID: 0001_baseline
Revises: (none: release 0.1.0 made these tables with create_all; its databases are stamped here)
Create Date: 2026-12-01 06:59:26.602274
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001_baseline'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alert_channels',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('alert_groups',
    sa.Column('group_key', sa.String(length=400), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_flush_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('group_key')
    )
    op.create_table('alert_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_history_alert_id'), ['alert_id'], unique=False)

    op.create_table('alert_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('group_key', sa.String(length=400), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('alert_ids', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=True),
    sa.Column('msg_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_notifications_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index('ix_alert_notifications_due', ['state', 'next_attempt_at'], unique=False)

    op.create_table('alert_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('group_key', sa.String(length=400), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=True),
    sa.Column('notified_status', sa.String(length=10), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id', 'channel_id', name='uq_alert_route')
    )
    with op.batch_alter_table('alert_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_routes_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_routes_group_key'), ['group_key'], unique=False)

    op.create_table('alert_rules',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('matchers', sa.Text(), nullable=False),
    sa.Column('channel_ids', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('check_id', sa.String(length=40), nullable=False),
    sa.Column('check_kind', sa.String(length=40), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('source_name', sa.String(length=100), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=300), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('labels', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_firing_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acked_by', sa.String(length=100), nullable=True),
    sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snoozed_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_check_id'), ['check_id'], unique=False)
        batch_op.create_index('ix_alerts_fingerprint', ['fingerprint', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_status'), ['status'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_token_hash'), ['token_hash'], unique=True)

    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=30), nullable=False),
    sa.Column('entity_id', sa.String(length=100), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('config_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('dead_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dead_letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dead_letter_source_id'), ['source_id'], unique=False)

    op.create_table('dedupe',
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source_id', 'message_id')
    )
    with op.batch_alter_table('dedupe', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dedupe_seen_at'), ['seen_at'], unique=False)

    op.create_table('digest_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('event_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('planned', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('minute', 'source_id', 'kind', 'event', 'outcome', 'planned', name='uq_event_counts')
    )
    with op.batch_alter_table('event_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_counts_minute'), ['minute'], unique=False)

    op.create_table('event_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('planned', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event_samples', schema=None) as batch_op:
        batch_op.create_index('ix_event_samples_key', ['source_id', 'event', 'received_at'], unique=False)

    op.create_table('forward_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.Column('latency_sum_s', sa.Float(), nullable=False),
    sa.Column('latency_max_s', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('minute', 'source_id', name='uq_forward_stats')
    )
    with op.batch_alter_table('forward_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forward_stats_minute'), ['minute'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['source_id', 'next_attempt_at'], unique=False)

    op.create_table('plans',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('compatibility', sa.String(length=30), nullable=False),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('draft_body', sa.Text(), nullable=False),
    sa.Column('draft_hash', sa.String(length=64), nullable=False),
    sa.Column('draft_revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_name'), ['name'], unique=True)

    op.create_table('quality_check_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.String(length=40), nullable=False),
    sa.Column('trigger', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Float(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('observations', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quality_check_runs', schema=None) as batch_op:
        batch_op.create_index('ix_quality_check_runs_check', ['check_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_check_runs_started_at'), ['started_at'], unique=False)

    op.create_table('quality_check_states',
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('check_id', sa.String(length=40), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=300), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('finding', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('fingerprint')
    )
    with op.batch_alter_table('quality_check_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_check_states_check_id'), ['check_id'], unique=False)

    op.create_table('quality_checks',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('for_evaluations', sa.Integer(), nullable=True),
    sa.Column('keep_firing_for', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('run_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_outcome', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quality_checks', schema=None) as batch_op:
        batch_op.create_index('ix_quality_checks_scope', ['source_id', 'event'], unique=False)

    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('violations', sa.Text(), nullable=False),
    sa.Column('plan_version', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replay_outcome', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index('ix_quarantine_source', ['source_id', 'received_at'], unique=False)

    op.create_table('scheduler_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('slot_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job', 'slot_time', name='uq_scheduler_slot')
    )
    with op.batch_alter_table('scheduler_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduler_runs_slot_time'), ['slot_time'], unique=False)

    op.create_table('violation_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=300), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('minute', 'source_id', 'event', 'field', 'type', name='uq_violation_counts')
    )
    with op.batch_alter_table('violation_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violation_counts_minute'), ['minute'], unique=False)

    op.create_table('violation_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=300), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('plan_version', sa.Integer(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('violation_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violation_samples_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('schema_hash', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('message', sa.String(), nullable=True),
    sa.Column('rollback_of', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'version', name='uq_plan_version')
    )
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_versions_plan_id'), ['plan_id'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('plan_id', sa.String(length=40), nullable=True),
    sa.Column('plan_version', sa.Integer(), nullable=True),
    sa.Column('upstream_url', sa.String(), nullable=True),
    sa.Column('upstream_write_key', sa.String(), nullable=True),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('settings', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sources_name'), ['name'], unique=True)
        batch_op.create_index(batch_op.f('ix_sources_plan_id'), ['plan_id'], unique=False)

    op.create_table('transformations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transformations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transformations_source_id'), ['source_id'], unique=False)

    op.create_table('write_keys',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('source_id', sa.String(length=40), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('write_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_write_keys_key_hash'), ['key_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_write_keys_source_id'), ['source_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('write_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_write_keys_source_id'))
        batch_op.drop_index(batch_op.f('ix_write_keys_key_hash'))

    op.drop_table('write_keys')
    with op.batch_alter_table('transformations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transformations_source_id'))

    op.drop_table('transformations')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_plan_id'))
        batch_op.drop_index(batch_op.f('ix_sources_name'))

    op.drop_table('sources')
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_versions_plan_id'))

    op.drop_table('plan_versions')
    with op.batch_alter_table('violation_samples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_violation_samples_fingerprint'))

    op.drop_table('violation_samples')
    with op.batch_alter_table('violation_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_violation_counts_minute'))

    op.drop_table('violation_counts')
    with op.batch_alter_table('scheduler_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduler_runs_slot_time'))

    op.drop_table('scheduler_runs')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_source')

    op.drop_table('quarantine')
    with op.batch_alter_table('quality_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_checks_scope')

    op.drop_table('quality_checks')
    with op.batch_alter_table('quality_check_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_check_states_check_id'))

    op.drop_table('quality_check_states')
    with op.batch_alter_table('quality_check_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_check_runs_started_at'))
        batch_op.drop_index('ix_quality_check_runs_check')

    op.drop_table('quality_check_runs')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_name'))

    op.drop_table('plans')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    with op.batch_alter_table('forward_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forward_stats_minute'))

    op.drop_table('forward_stats')
    with op.batch_alter_table('event_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_event_samples_key')

    op.drop_table('event_samples')
    with op.batch_alter_table('event_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_counts_minute'))

    op.drop_table('event_counts')
    op.drop_table('digest_settings')
    with op.batch_alter_table('dedupe', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dedupe_seen_at'))

    op.drop_table('dedupe')
    with op.batch_alter_table('dead_letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letter_source_id'))

    op.drop_table('dead_letter')
    op.drop_table('config_state')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entity')
        batch_op.drop_index(batch_op.f('ix_audit_at'))

    op.drop_table('audit')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_token_hash'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_alerts_source_id'))
        batch_op.drop_index('ix_alerts_fingerprint')
        batch_op.drop_index(batch_op.f('ix_alerts_check_id'))

    op.drop_table('alerts')
    op.drop_table('alert_rules')
    with op.batch_alter_table('alert_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_routes_group_key'))
        batch_op.drop_index(batch_op.f('ix_alert_routes_alert_id'))

    op.drop_table('alert_routes')
    with op.batch_alter_table('alert_notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_notifications_due')
        batch_op.drop_index(batch_op.f('ix_alert_notifications_channel_id'))

    op.drop_table('alert_notifications')
    with op.batch_alter_table('alert_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_history_alert_id'))

    op.drop_table('alert_history')
    op.drop_table('alert_groups')
    op.drop_table('alert_channels')
