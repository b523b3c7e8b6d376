import type { AdminDeps, AdminRouter } from '../app.ts';

/** The dashboard: figures over time, drawn as charts and kept live over server-sent events. */
export function dashboardRoutes(routes: AdminRouter, deps: AdminDeps): void {
  routes.get('/admin', (ctx) => {
    deps.render(ctx, 'dashboard.njk', {});
  });
}
