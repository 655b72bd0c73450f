/**
 * Who plans a host now, for operators: the policy's id, or (MPC) its fallback baseline's with the reason; a null
 * policy with the reason when the planner does not plan the host at all (offline, Error, monitor-only, …).
 */
export interface PlanRoute {
  policy: string | null;
  reason?: string;
}

/** "mpc", "b1 (probation)", "- (offline)": a route as one short cell; "-" when unknown. */
export function formatPlanRoute(route: PlanRoute | undefined): string {
  if (!route) return "-";
  const who = route.policy ?? "-";
  return route.reason ? `${who} (${route.reason})` : who;
}
