// Reads a plan saved by `plan --out`: checks it against schemas/plan.schema.json so a hand-edited
// or truncated file is refused with the field that is wrong, never half-applied.
import { readFile } from 'node:fs/promises';
import { AccessctlError } from '../errors.js';
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
