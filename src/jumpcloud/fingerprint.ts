// A digest of a live object as it was planned against. Apply compares it with a fresh read and
// refuses to change an object that moved since the plan was made.
import { createHash } from 'node:crypto';

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, stable((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function fingerprintOf(value: unknown): string {
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(stable(value)))
    .digest('hex')}`;
}

/** The fingerprint of a live user group together with its application associations (when managed). */
export function groupFingerprint(group: unknown, applicationIds: readonly string[] | undefined): string {
  return fingerprintOf({ group, applicationIds: applicationIds ? [...applicationIds].sort() : null });
}

/** The fingerprint of a live notification channel (its subscriptions belong to the settings). */
export function channelFingerprint(channel: unknown): string {
  return fingerprintOf({ channel });
}
