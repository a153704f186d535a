// Every screen and its URL: the plans and sources (part 1), the operations pages (part 2), silences.
import { PlansPage } from './pages/plans.js';
import { PlanPage } from './pages/plan.js';
import { DraftPage } from './pages/draft.js';
import { DiffPage } from './pages/diff.js';
import { HistoryPage } from './pages/history.js';
import { ImportPage, ExportPage } from './pages/import-export.js';
import { SourcesPage } from './pages/sources.js';
import { SourcePage } from './pages/source.js';
import { TransformationsPage } from './pages/transformations.js';
import { EventsSeenPage } from './pages/events-seen.js';
import { ShadowPage } from './pages/shadow.js';
import { ViolationsPage } from './pages/violations.js';
import { OverviewPage } from './pages/overview.js';
import { QuarantinePage } from './pages/quarantine.js';
import { DeadLettersPage } from './pages/dead-letters.js';
import { AlertsPage } from './pages/alerts.js';
import { AlertPage } from './pages/alert.js';
import { ChecksPage } from './pages/checks.js';
import { CheckPage } from './pages/check.js';
import { ChannelsPage } from './pages/channels.js';
import { RulesPage } from './pages/rules.js';
import { DigestPage } from './pages/digest.js';
import { AuditPage } from './pages/audit.js';
import { TokensPage } from './pages/tokens.js';
import { PrivacyPage, RegulationPage } from './pages/privacy.js';
import { SilencesPage } from './pages/silences.js';

export const HOME = '/overview';

export const ROUTES = [
  { path: '/plans', component: PlansPage },
  { path: '/plans/import', component: ImportPage },
  { path: '/plans/:plan', component: PlanPage },
  { path: '/plans/:plan/draft', component: DraftPage },
  { path: '/plans/:plan/diff', component: DiffPage },
  { path: '/plans/:plan/history', component: HistoryPage },
  { path: '/plans/:plan/export', component: ExportPage },
  { path: '/sources', component: SourcesPage },
  { path: '/sources/:source', component: SourcePage },
  { path: '/sources/:source/transformations', component: TransformationsPage },
  { path: '/sources/:source/events', component: EventsSeenPage },
  { path: '/sources/:source/shadow', component: ShadowPage },
  { path: '/sources/:source/violations', component: ViolationsPage },
  { path: '/overview', component: OverviewPage },
  { path: '/quarantine', component: QuarantinePage },
  { path: '/dead-letters', component: DeadLettersPage },
  { path: '/alerts', component: AlertsPage },
  { path: '/alerts/:alert', component: AlertPage },
  { path: '/silences', component: SilencesPage },
  { path: '/checks', component: ChecksPage },
  { path: '/checks/:check', component: CheckPage },
  { path: '/channels', component: ChannelsPage },
  { path: '/channels/rules', component: RulesPage },
  { path: '/channels/digest', component: DigestPage },
  { path: '/audit', component: AuditPage },
  { path: '/tokens', component: TokensPage },
  { path: '/privacy', component: PrivacyPage },
  { path: '/privacy/:regulation', component: RegulationPage },
];
