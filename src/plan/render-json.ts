// The plan as JSON, for scripts and for `plan --out`: the Plan value plus summary counts, in the
// shape schemas/plan.schema.json describes.
import { countByAction, isApplicable, type Plan } from './plan.js';

export interface PlanDocument extends Plan {
  summary: { create: number; update: number; delete: number; unmanaged: number; blocked: number; applicable: boolean };
}

export function toPlanDocument(plan: Plan): PlanDocument {
  return { ...plan, summary: { ...countByAction(plan), unmanaged: plan.unmanaged.length, blocked: plan.blocked.length, applicable: isApplicable(plan) } };
}

export function renderJson(plan: Plan): string {
  return `${JSON.stringify(toPlanDocument(plan), null, 2)}\n`;
}
