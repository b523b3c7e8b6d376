import type { Services } from '../core/services.ts';
import { createAdmin, type Admin } from './app.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { explorerRoutes } from './routes/explorers.ts';
import { peopleRoutes } from './routes/people.ts';
import { providerRoutes } from './routes/providers.ts';
import { sessionRoutes } from './routes/session.ts';
import { settingsRoutes } from './routes/settings.ts';
import { templateRoutes } from './routes/templates.ts';
import { workflowRoutes } from './routes/workflows.ts';

/** The console: every area's routes, mounted by the gateway at /admin. */
export function adminConsole(services: Services): Admin {
  return createAdmin(services, [sessionRoutes, dashboardRoutes, explorerRoutes, providerRoutes, workflowRoutes, templateRoutes, settingsRoutes, peopleRoutes]);
}
