// Reads a plan saved by `plan --out`: checks it against schemas/plan.schema.json so a hand-edited
// or truncated file is refused with the field that is wrong, never half-applied, and binds it to
// the org it was made for: one org's plan is never applied to another.
import { readFile } from 'node:fs/promises';
import { AccessctlError, usageError } from '../errors.js';
import { schemaValidator } from '../config/schema.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../plan/plan.js';

export async function readSavedPlan(path: string): Promise<Plan> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new AccessctlError('usage', `${path} is not a readable saved plan (${reason})`, { subject: 'plan.json' });
  }
  const version = (parsed as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== PLAN_FORMAT_VERSION) {
    // JSON.stringify(undefined) is undefined, not text: a file without the field says so.
    const found = version === undefined ? 'has no formatVersion (not a plan saved by `accessctl plan --out`)' : `has plan format ${JSON.stringify(version)}`;
    throw new AccessctlError('usage', `${path} ${found}; this accessctl applies format ${PLAN_FORMAT_VERSION}: plan again`, {
      subject: 'plan.json',
    });
  }
  const validate = schemaValidator('plan.schema.json');
  if (!validate(parsed)) {
    const first = validate.errors?.[0];
    throw new AccessctlError('usage', `${path} is not a valid saved plan: ${first?.instancePath || '(root)'} ${first?.message ?? ''}`.trim(), {
      subject: 'plan.json',
    });
  }
  const plan = parsed as Plan;
  // plan --out never writes credentials into the target: one that holds them was edited by hand.
  // The URL is not echoed, since it holds the password being refused.
  if (targetHoldsCredentials(plan.target)) {
    throw new AccessctlError('usage', `${path} is not a valid saved plan: /target holds credentials (user:password@); plan again`, { subject: 'plan.json' });
  }
  return plan;
}

function targetHoldsCredentials(target: string): boolean {
  try {
    const url = new URL(target);
    return url.username !== '' || url.password !== '';
  } catch {
    // Not a URL at all: it matches no configured target, and the target check refuses it.
    return target.includes('@');
  }
}

/**
 * Refuses a saved plan for another org than the one this run's client acts on (x-org-id, from
 * JUMPCLOUD_ORG_ID: a saved plan is applied without its repo). A plan made for org A has A's ids
 * and creates; against org B its creates would land in B. A plan made with no org id is refused
 * with one too, and the other way round: the key alone then chose the org.
 */
export function checkSavedPlanOrg(plan: Plan, orgId: string | undefined): void {
  if (plan.orgId === orgId) return;
  if (plan.orgId === undefined)
    throw usageError(`the plan was made with no org id, but JUMPCLOUD_ORG_ID is ${orgId}; plan again with it set to apply to that org`, 'JUMPCLOUD_ORG_ID');
  if (orgId === undefined)
    throw usageError(
      `the plan was made for org ${plan.orgId}, but JUMPCLOUD_ORG_ID is not set; set JUMPCLOUD_ORG_ID=${plan.orgId} to apply it to that org`,
      'JUMPCLOUD_ORG_ID',
    );
  throw usageError(`the plan was made for org ${plan.orgId}, but JUMPCLOUD_ORG_ID is ${orgId}; plan again for the org you mean`, 'JUMPCLOUD_ORG_ID');
}
