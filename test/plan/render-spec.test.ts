// Plans for people (issue 13, point 16): the text and markdown plans show each change in the config's
// own vocabulary, with no model bookkeeping and no empty containers, no hunk headers numbering lines
// that are not the config file's, and a summary whose counts are the changes listed above it.
import { describe, expect, it } from 'vitest';
import { diff } from '../../src/plan/diff.js';
import type { Plan } from '../../src/plan/plan.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { specForPeople } from '../../src/plan/render-spec.js';
import { noHeldChanges, renderText, summaryLine } from '../../src/plan/render-text.js';
import { channel, desired, desiredChannels, emptyInput, flow, live, settings } from './builders.js';

/** Internal fields of the comparable model, which no config file has. */
const BOOKKEEPING = [/\bplaceholders:/, /\bsigned:/, /\bsecret: true\b/, /\bid:[0-9a-f]{24}\b/, /access: null/];
/** Empty containers: noise, since the config author leaves them out. */
const EMPTY = [/: \{\}$/m, /: \[\]$/m];

/** A channel created, a channel updated (a header and the secret values), an automatic flow created, a manual one updated, the settings updated. */
function everyKindPlan(): Plan {
  const input = emptyInput();
  desiredChannels(input, [desired(channel('New Hook')), desired(channel('SIEM', 'changed', { signed: false }))]);
  // The live SIEM channel has another X-Source, and a signing secret the config does not name.
  input.channels.live = [live(channel('SIEM', 'live', { headers: { authorization: { secret: true }, 'x-source': 'console' } }), 'w1')];
  // Automatic, permanent access, display managed but empty: levels [], access null and display {} in the model.
  const auto = flow('Auto', { approval: { type: 'automatic', levels: [] }, display: {} });
  auto.spec.access = null;
  input.flows.desired = [desired(auto), desired(flow('Manual', { description: 'now described', display: { color: '#006CAC' } }))];
  input.flows.live = [live(flow('Manual', { description: '', display: {} }), 'f1')];
  input.settings.desired = desired(
    settings({ webhooks: [{ channel: 'id:65a0000000000000000000c1', events: ['access_management_access_request'] }] }),
    [],
    'settings',
  );
  input.settings.live = live(settings({ webhooks: [] }), 'settings');
  return diff(input);
}

describe('a plan in the config vocabulary', () => {
  it('shows no internal model field and no empty container, in text and in markdown', () => {
    const plan = everyKindPlan();
    for (const output of [renderText(plan, false), renderMarkdown(plan)]) {
      for (const internal of BOOKKEEPING) expect(output).not.toMatch(internal);
      for (const empty of EMPTY) expect(output).not.toMatch(empty);
    }
  });

  it('writes a channel as its file does: secrets and signingSecret as references, headers as spelt in git', () => {
    const plan = everyKindPlan();
    const created = plan.changes.find((c) => c.name === 'New Hook');
    expect(created && specForPeople(created, 'after')).toEqual({
      url: 'https://siem.example.com/ingest/{{TOKEN}}',
      enabled: true,
      verifySsl: true,
      secrets: { TOKEN: { env: 'SIEM_TOKEN' } },
      headers: { 'X-Source': 'accessctl', Authorization: { env: 'SIEM_AUTH' } },
    });
    const updated = plan.changes.find((c) => c.name === 'SIEM');
    // The live side: the secrets the config names by its references, the one it does not as (secret).
    expect(updated && specForPeople(updated, 'before')).toEqual({
      url: 'https://siem.example.com/ingest/{{TOKEN}}',
      enabled: true,
      verifySsl: true,
      secrets: { TOKEN: { env: 'SIEM_TOKEN' } },
      headers: { 'X-Source': 'console', Authorization: { env: 'SIEM_AUTH' } },
      signingSecret: '(secret)',
    });
    const text = renderText(plan, false);
    const update = text.slice(text.indexOf('~ WebhookChannel "SIEM"'));
    expect(update).toMatch(/^ {6}- {2}X-Source: console$/m);
    expect(update).toMatch(/^ {6}\+ {2}X-Source: accessctl$/m);
    // Headers in the order the file has them on both sides, so only the changed one is a diff line.
    expect(update).not.toMatch(/^ {6}[-+] {2}Authorization:$/m);
    expect(update).toMatch(/^ {6}-signingSecret: \(secret\)$/m);
    expect(update).toContain('~ spec.secrets: (sensitive value changed)');
  });

  it('writes a flow and the settings as their files do', () => {
    const plan = everyKindPlan();
    const auto = plan.changes.find((c) => c.name === 'Auto');
    expect(auto && specForPeople(auto, 'after')).toEqual({
      description: 'Access to GitHub',
      enabled: true,
      category: 'application',
      grantGroup: 'GitHub Admins',
      visibleTo: ['Engineering Admin'],
      approval: { type: 'automatic', nonAdminApprovers: false },
    });
    const text = renderText(plan, false);
    expect(text).toMatch(/^ {6}\+display:$/m);
    expect(text).toMatch(/^ {6}\+ {2}color: "#006CAC"$/m);
    expect(text).toMatch(/^ {6}\+ {2}- channel:$/m);
    expect(text).toMatch(/^ {6}\+ {6}id: 65a0000000000000000000c1$/m);
  });
});

describe('hunk headers', () => {
  it('numbers no lines: where a diff leaves lines out it says ... instead of @@ -a,b +c,d @@', () => {
    const input = emptyInput();
    const levels = [{ require: 'any' as const, approvers: [{ manager: true as const }] }];
    input.flows.desired = [desired(flow('Long', { description: 'new', access: { duration: 'P2D' }, approval: { levels } }))];
    input.flows.live = [live(flow('Long', { description: 'old', access: { duration: 'P1D' }, approval: { levels } }), 'f1')];
    const plan = diff(input);
    for (const output of [renderText(plan, false), renderMarkdown(plan)]) {
      expect(output).not.toMatch(/@@/);
      expect(output).toMatch(/^ *\.\.\.$/m);
    }
  });
});

describe('counts with report-only drift', () => {
  /** Two flows to update; the reconciler found one of them to be drift of a kind whose policy is report. */
  function driftPlan(): { plan: Plan; reported: Plan['changes'] } {
    const input = emptyInput();
    input.flows.desired = [desired(flow('Edited', { enabled: false })), desired(flow('Drifted'))];
    input.flows.live = [live(flow('Edited'), 'f1'), live(flow('Drifted', { enabled: false }), 'f2')];
    const plan = diff(input);
    return { plan, reported: plan.changes.filter((c) => c.name === 'Drifted') };
  }

  it('counts the changes it makes, and the report-only drift apart, by that name', () => {
    const { plan, reported } = driftPlan();
    expect(summaryLine(plan)).toBe('Plan: 0 to create, 2 to update, 0 to delete; 0 unmanaged');
    expect(summaryLine(plan, { reported, paused: [] })).toBe('Plan: 0 to create, 1 to update, 0 to delete; 1 report-only drift (not applied); 0 unmanaged');
    expect(summaryLine(plan, { reported: [], paused: reported })).toBe(
      'Plan: 0 to create, 1 to update, 0 to delete; 1 paused drift (not applied); 0 unmanaged',
    );
  });

  it('lists the report-only drift under its own heading, so the changes listed are the changes counted', () => {
    const { plan, reported } = driftPlan();
    const text = renderText(plan, false, { reported, paused: [] });
    const [made, held] = text.split('Drift reported only');
    expect(made).toContain('~ ApprovalFlow "Edited"');
    expect(made).not.toContain('"Drifted"');
    expect(held).toContain('~ ApprovalFlow "Drifted"');
    expect(text.trimEnd().split('\n').at(-1)).toBe('Plan: 0 to create, 1 to update, 0 to delete; 1 report-only drift (not applied); 0 unmanaged');
    expect(renderText(plan, false, noHeldChanges)).not.toContain('Drift reported only');
  });
});
