// Hostile text for the renderer tests: a live name that clears the screen, reverses itself with a
// bidi override and mentions a GitHub user, and a config file name that forges a workflow command;
// and one plan that carries them in every place a renderer prints a name or a file.
import type { Plan } from '../../src/plan/plan.js';
import { channel, desired, emptyInput, flow, live, openPolicy, unmanageable } from './builders.js';
import { diff } from '../../src/plan/diff.js';

/** As the security review found it: an escape sequence, a right-to-left override and its pop, a mention and an issue reference. */
export const HOSTILE_NAME = 'GitHub User\u001b[2J EVIL\u202eRESU\u202c @octocat #123 \u2066x\u2069\u200b\ufeff\u061c\u200e';
/** A file a pull request could add: a line break, a forged workflow command, a colour, and an override. */
export const HOSTILE_FILE = 'x\n::warning file=INJECTED::pwned\n\u001b[31mred\u202e.yaml';

/** Any character a renderer must never print as it is (tab and line feed are the renderers' own). */
export const RAW_UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/u;

/** An update at HOSTILE_FILE whose live value holds HOSTILE_NAME, deletions, an unmanaged and an unmanageable object, and a warning, all hostile. */
export function hostilePlan(): Plan {
  const input = emptyInput();
  const admin = { ...desired(flow('GitHub Admin', { description: 'Access to GitHub' })), source: { file: HOSTILE_FILE, line: 3, column: 9 } };
  input.flows.desired = [admin];
  input.flows.live = [live(flow('GitHub Admin', { description: HOSTILE_NAME }), 'f1'), live(flow(HOSTILE_NAME), 'f2')];
  input.flows.unmanageable = [unmanageable(`${HOSTILE_NAME} archived`, 'f3\u202e', [`status "${HOSTILE_NAME}"`])];
  input.channels.live = [live(channel(HOSTILE_NAME), 'w1')];
  input.warnings = [{ code: 'hostile', message: `the live flow ${HOSTILE_NAME} is odd`, source: { file: HOSTILE_FILE, line: 4, column: 1 } }];
  return diff(input, openPolicy({ prune: { ApprovalFlow: true, WebhookChannel: false, GroupAssignment: false } }));
}
