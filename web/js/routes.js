// Every screen and its URL. Part 2's operations pages (overview, quarantine, alerts, ...) add rows.
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
import { PrivacyPage, RegulationPage } from './pages/privacy.js';

export const HOME = '/plans';

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
  { path: '/privacy', component: PrivacyPage },
  { path: '/privacy/:regulation', component: RegulationPage },
];
