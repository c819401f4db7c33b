// Specifies the three renderers: text in Terraform's manner, JSON that validates against
// schemas/plan.schema.json, markdown for pull requests within its character budget; what is
// unmanageable or unsupported; and that no renderer ever prints a secret value.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { LiveWire } from '../../src/jumpcloud/live.js';
import { channelFromWire } from '../../src/jumpcloud/channel-mapping.js';
import { prepareDiffInput } from '../../src/jumpcloud/diff-input.js';
import type { WireChannel } from '../../src/jumpcloud/wire.js';
import { diff, type DiffInput } from '../../src/plan/diff.js';
import { forOrg, whyNotApplicable, type Change, type Plan } from '../../src/plan/plan.js';
import { renderJson, toPlanDocument } from '../../src/plan/render-json.js';
import { MARKDOWN_BUDGET, renderMarkdown } from '../../src/plan/render-markdown.js';
import { renderText, summaryLine } from '../../src/plan/render-text.js';
import { channel, desired, desiredChannels, emptyInput, flow, group, live, openPolicy, settings, unmanageable } from './builders.js';
import { HOSTILE_FILE, HOSTILE_NAME, hostilePlan, RAW_UNPRINTABLE } from './hostile.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ANSI = /\u001b\[/;

/** Two creates, one update (levels[0].require), one unmanaged flow. */
function smallPlan(): Plan {
  const input = emptyInput();
  input.flows.desired = [
    desired(flow('GitHub Admin', { approval: { levels: [{ require: 'all', approvers: [{ manager: true }] }] } })),
    desired(flow('GitHub User')),
  ];
  input.flows.live = [
    live(flow('GitHub Admin', { approval: { levels: [{ require: 'any', approvers: [{ manager: true }] }] } }), 'f1'),
    live(flow('Stray'), 'f9'),
  ];
  desiredChannels(input, [desired(channel('SIEM'))]);
  return diff(input);
}

/** Every part of a plan at once: creates, updates, a rename, deletions, blocks, unmanaged and unmanageable objects, problems, warnings. */
function fullPlan(): Plan {
  const input: DiffInput = emptyInput();
  input.groups.desired = [desired(group('New Team')), desired(group('Ghosts'))];
  input.groups.creatable = new Set(['new team']);
  input.flows.desired = [desired(flow('Renamed', { enabled: false }), ['Old Name']), desired(flow('Keep'))];
  input.flows.live = [
    live(flow('Old Name'), 'f1'),
    live(flow('Keep'), 'f2'),
    live(flow('Prod Stray'), 'f3'),
    live(flow('Old Flow'), 'f4'),
    live(flow('Other Flow'), 'f5'),
  ];
  input.flows.unmanageable = [unmanageable('Archived', 'f6', ['status "archived"'])];
  desiredChannels(input, [desired(channel('SIEM', 'changed'))]);
  input.channels.live = [live(channel('SIEM'), 'w1'), live(channel('Console Hook'), 'w2')];
  input.settings.desired = desired(settings({ exposeApprovalProgress: true }), [], 'settings');
  input.warnings = [
    {
      code: 'missing-secret',
      kind: 'WebhookChannel',
      name: 'SIEM',
      source: { file: 'channels/siem.yaml', line: 9, column: 12 },
      message: 'environment variable SIEM_TOKEN is not set',
    },
  ];
  return diff(input, openPolicy({ protected: ['Prod*'] }));
}

describe('text', () => {
  it('prints the exact summary line', () => {
    const plan = smallPlan();
    expect(summaryLine(plan)).toBe('Plan: 2 to create, 1 to update, 0 to delete; 1 unmanaged');
    expect(renderText(plan, false).trimEnd().split('\n').at(-1)).toBe('Plan: 2 to create, 1 to update, 0 to delete; 1 unmanaged');
  });

  it('marks creates with +, updates with ~ and deletions with -', () => {
    const text = renderText(fullPlan(), false);
    expect(text).toContain('  + GroupAssignment "New Team"');
    expect(text).toContain('  ~ ApprovalFlow "Renamed" renamed from "Old Name"');
    expect(text).toContain('  - ApprovalFlow "Prod Stray"');
    expect(text).toContain('  - ApprovalFlow "Old Flow"');
    expect(text).toMatch(/^ {6}\+ description: New Team group$/m);
    expect(text).toMatch(/^ {6}- grantGroup: GitHub Admins$/m);
  });

  it('shows a unified YAML diff for each update', () => {
    const text = renderText(smallPlan(), false);
    const update = text.slice(text.indexOf('~ ApprovalFlow "GitHub Admin"'));
    expect(update).toMatch(/^ {6}\.\.\.$/m);
    expect(update).toMatch(/^ {6}- {4}- require: any$/m);
    expect(update).toMatch(/^ {6}\+ {4}- require: all$/m);
  });

  it('names the source of each change, the rename, the sensitive fields and everything that is not applied', () => {
    const text = renderText(fullPlan(), false);
    expect(text).toMatch(/~ ApprovalFlow "Renamed" .*\(config\/renamed\.yaml:\d+:9\)/);
    expect(text).toContain('~ metadata.name: "Old Name" -> "Renamed"');
    expect(text).toContain('~ spec.secrets: (sensitive value changed)');
    expect(text).toContain('Blocked by the deletion guards');
    expect(text).toContain('! "Prod Stray" matches the protected pattern "Prod*"; this blocks:\n      ApprovalFlow "Prod Stray"\n');
    expect(text).toContain('raise the guard under spec.guards in accessctl.yaml');
    expect(text).toContain('The plan cannot be applied:');
    expect(text).toContain('user group "Ghosts" does not exist on the platform');
    expect(text).toContain('warning: channels/siem.yaml:9:12: environment variable SIEM_TOKEN is not set');
  });

  it('says how to allow blocked deletions once, however many guards block them', () => {
    const plan = fullPlan();
    plan.blocked = [
      { kind: 'ApprovalFlow', name: 'A', reason: 'the plan deletes 2 objects; guards.maxDeletions allows 1' },
      { kind: 'ApprovalFlow', name: 'B', reason: 'the plan deletes 2 objects; guards.maxDeletions allows 1' },
      { kind: 'ApprovalFlow', name: 'Prod C', reason: '"Prod C" matches the protected pattern "Prod*"' },
    ];
    const advice = 'raise the guard under spec.guards in accessctl.yaml';
    const why = whyNotApplicable(plan).filter((line) => line.includes('blocks '));
    expect(why).toHaveLength(2);
    expect(why.join('\n').split(advice)).toHaveLength(2);
    expect(renderText(plan, false).split(advice)).toHaveLength(2);
    expect(renderMarkdown(plan).split(advice)).toHaveLength(2);
  });

  it('lists unknown kinds and unmanaged objects', () => {
    const input = emptyInput();
    input.flows.live = 'unknown';
    input.channels.live = [live(channel('Stray Hook'), 'w9')];
    const text = renderText(diff(input), false);
    expect(text).toContain('Unknown (the live list failed; not planned): ApprovalFlow');
    expect(text).toContain('? WebhookChannel "Stray Hook" (id w9)');
    expect(text).toContain('No changes for the objects that could be planned on https://sandbox.test.');
    expect(text).not.toContain('matches the config');
  });

  it('shows unmanageable objects with their values and source, and kinds the target does not support', () => {
    const input = emptyInput();
    const entry = desired(flow('GitHub Admin'));
    input.flows.desired = [entry];
    input.flows.unmanageable = [unmanageable('GitHub Admin', 'f1', ['status "archived"']), unmanageable('Okta Flow', 'f2', ['approver type "okta_group"'])];
    input.channels.live = 'unsupported';
    input.unsupported = [{ kind: 'WebhookChannel', reason: 'the target has no /api/v2/notifications/webhook/channels (it answered 404)' }];
    const plan = diff(input);
    const text = renderText(plan, false);
    expect(text).toContain('Unmanageable (live values accessctl does not know; never changed):');
    expect(text).toContain(`  ! ApprovalFlow "GitHub Admin" (id f1): status "archived"  (${entry.source.file}:${entry.source.line}:9)`);
    expect(text).toContain('  ! ApprovalFlow "Okta Flow" (id f2): approver type "okta_group"');
    expect(text).toContain('Not supported by this target (not planned; nothing else is blocked):');
    expect(text).toContain('  WebhookChannel: the target has no /api/v2/notifications/webhook/channels (it answered 404)');
    const md = renderMarkdown(plan);
    expect(md).toContain('> - ApprovalFlow **Okta Flow** (`f2`): approver type "okta\\_group"');
    expect(md).toContain('> Not supported by this target: WebhookChannel (');
    expect(md).toContain('| WebhookChannel | – | – | – | – | – |');
  });

  it('prints no ANSI escapes with colour off, and colours with it on', () => {
    const plan = fullPlan();
    expect(renderText(plan, false)).not.toMatch(ANSI);
    expect(renderText(plan, true)).toMatch(ANSI);
    // Same words either way.
    expect(renderText(plan, true).replace(/\u001b\[\d+m/g, '')).toBe(renderText(plan, false));
  });

  it('follows NO_COLOR and FORCE_COLOR when no colour choice is passed', () => {
    const script = [
      `const { renderText } = await import(${JSON.stringify(new URL('../../src/plan/render-text.ts', import.meta.url).href)});`,
      `const plan = { formatVersion: 3, target: 't', changes: [], unmanaged: [], unmanageable: [], unsupported: [], blocked: [], noop: {}, unknown: [], problems: [], warnings: [] };`,
      `process.stdout.write(renderText(plan));`,
    ].join('\n');
    const run = (env: Record<string, string>): string => {
      const { NO_COLOR: _n, FORCE_COLOR: _f, ...base } = process.env;
      const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        env: { ...base, ...env },
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      return result.stdout;
    };
    expect(run({ FORCE_COLOR: '1' })).toMatch(ANSI);
    expect(run({ NO_COLOR: '1' })).not.toMatch(ANSI);
    expect(run({ NO_COLOR: '1' })).toContain('Plan: 0 to create, 0 to update, 0 to delete; 0 unmanaged');
  });
});

describe('json', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/plan.schema.json'), 'utf8')) as object;
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

  it('validates against schemas/plan.schema.json, for small and full plans and for no changes', () => {
    for (const plan of [smallPlan(), fullPlan(), diff(emptyInput())]) {
      const document = JSON.parse(renderJson(plan)) as unknown;
      expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('carries the plan and its summary counts', () => {
    const plan = fullPlan();
    const document = JSON.parse(renderJson(plan)) as ReturnType<typeof toPlanDocument>;
    expect(document).toEqual(JSON.parse(JSON.stringify(toPlanDocument(plan))));
    expect(document.formatVersion).toBe(3);
    expect(document.summary).toEqual({ create: 1, update: 3, delete: 3, unmanaged: 1, blocked: 1, applicable: false });
    expect(document.unmanageable).toEqual([{ kind: 'ApprovalFlow', name: 'Archived', id: 'f6', reasons: ['status "archived"'] }]);
    expect(document.guards).toEqual({
      prune: { ApprovalFlow: true, WebhookChannel: true, GroupAssignment: true },
      maxDeletions: 1000,
      maxDeletionPercent: 100,
      protected: ['Prod*'],
    });
    expect(document.changes.find((c) => 'renamedFrom' in c && c.renamedFrom)).toMatchObject({
      name: 'Renamed',
      renamedFrom: 'Old Name',
      id: 'f1',
      liveFingerprint: expect.stringMatching(/^sha256:/),
    });
  });

  it('names the org a plan was made for right after its target, and validates with it', () => {
    const document = JSON.parse(renderJson(forOrg(smallPlan(), '65b000000000000000000002'))) as Record<string, unknown>;
    expect(Object.keys(document).slice(0, 3)).toEqual(['formatVersion', 'target', 'orgId']);
    expect(document['orgId']).toBe('65b000000000000000000002');
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.parse(renderJson(smallPlan()))).not.toHaveProperty('orgId');
  });

  it('rejects a document that breaks the schema, so the validation above can fail', () => {
    const document = JSON.parse(renderJson(smallPlan())) as { changes: { action: string }[] };
    document.changes[0]!.action = 'replace';
    expect(validate(document)).toBe(false);
  });
});

describe('the org in every header', () => {
  const org = '65b000000000000000000002';

  it('text: with changes, without, and when some kinds could not be planned', () => {
    const target = smallPlan().target;
    expect(renderText(forOrg(smallPlan(), org), false)).toContain(`accessctl will make these changes on ${target}, org ${org}:`);
    expect(renderText(forOrg(diff(emptyInput()), org), false)).toContain(`No changes: ${target}, org ${org} matches the config.`);
    const unknown = { ...diff(emptyInput()), unknown: ['ApprovalFlow' as const] };
    expect(renderText(forOrg(unknown, org), false)).toContain(`No changes for the objects that could be planned on ${target}, org ${org}.`);
    expect(renderText(smallPlan(), false)).toContain(`accessctl will make these changes on ${target}:`);
  });

  it('markdown: after the target', () => {
    expect(renderMarkdown(forOrg(smallPlan(), org))).toContain(`against \`${smallPlan().target}\`, org \`${org}\``);
  });
});

describe('markdown', () => {
  it('shows destructive changes first, then updates, then creates', () => {
    const md = renderMarkdown(fullPlan());
    const order = [...md.matchAll(/<summary>(\S+) (\w+) /g)].map((m) => m[1]);
    expect(order).toEqual(['🗑️', '🗑️', '🗑️', '✏️', '✏️', '✏️', '➕']);
    expect(md.indexOf('> [!WARNING]')).toBeLessThan(md.indexOf('<details>'));
    expect(md).toContain('This plan **deletes 3 objects** from the platform.');
  });

  it('has a summary table by kind and action', () => {
    const md = renderMarkdown(fullPlan());
    expect(md).toContain('| kind | create | update | delete | unchanged | unmanaged |');
    expect(md).toContain('| GroupAssignment | 1 | 0 | 0 | 0 | 0 |');
    expect(md).toContain('| WebhookChannel | 0 | 1 | 0 | 0 | 1 |');
    expect(md).toContain('| ApprovalFlow | 0 | 1 | 3 | 1 | 0 |');
    expect(md).toContain('| AccessRequestSettings | 0 | 1 | 0 | 0 | 0 |');
    const input = emptyInput();
    input.flows.live = 'unknown';
    expect(renderMarkdown(diff(input))).toContain('| ApprovalFlow | ? | ? | ? | ? | ? |');
  });

  it('folds each change into a <details> block with a diff', () => {
    const md = renderMarkdown(smallPlan());
    expect(md.match(/<details><summary>/g)).toHaveLength(4);
    expect(md.match(/<\/details>/g)).toHaveLength(4);
    expect(md).toContain('<details><summary>✏️ update ApprovalFlow <b>GitHub Admin</b>');
    expect(md).toMatch(/```diff\n\.\.\.\n[\s\S]*?\+ {4}- require: all/);
    expect(md).toContain('Unmanaged: live, not in git (prune is off)');
  });

  it('escapes markdown in names outside HTML', () => {
    const input = emptyInput();
    input.channels.live = [live(channel('*bold* | pipe'), 'w1')];
    const md = renderMarkdown(diff(input));
    expect(md).toContain('- WebhookChannel **\\*bold\\* \\| pipe** (`w1`)');
  });

  it('truncates a plan with thousands of changes under the 60,000-character budget, with a note', () => {
    const input = emptyInput();
    input.flows.desired = Array.from({ length: 3000 }, (_, i) => desired(flow(`Flow ${String(i).padStart(4, '0')}`)));
    const plan = diff(input);
    expect(plan.changes).toHaveLength(3000);
    const md = renderMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
    expect(MARKDOWN_BUDGET).toBe(60_000);
    const shown = md.match(/<details><summary>/g)!.length;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(3000);
    expect(md).toContain(`> ${3000 - shown} more changes not shown: the comment is limited to 60,000 characters. Run \`accessctl plan\` for the full plan.`);
    expect(md).toContain('**Plan: 3000 to create, 0 to update, 0 to delete; 0 unmanaged**');
  });

  it('keeps destructive changes when it truncates', () => {
    const input = emptyInput();
    input.flows.desired = [...Array.from({ length: 2000 }, (_, i) => desired(flow(`New ${i}`))), desired(flow('Keep'))];
    input.flows.live = [live(flow('Keep'), 'keep'), live(flow('Doomed'), 'doomed')];
    const md = renderMarkdown(diff(input, openPolicy()));
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
    expect(md).toContain('🗑️ delete ApprovalFlow <b>Doomed</b>');
  });

  it('honours a smaller budget', () => {
    const md = renderMarkdown(fullPlan(), 3000);
    expect(md.length).toBeLessThanOrEqual(3000);
    expect(md).toMatch(/more changes? not shown: the comment is limited to 3,000 characters/);
  });
});

// ---- secrets never printed ----------------------------------------------------------------------

const PLANTED = 'PLANTED-SECRET-9f8e7d';

describe('secrets', () => {
  const root = mkdtempSync(join(tmpdir(), 'accessctl-render-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const hook = (name: string, url: string): string =>
    [
      'apiVersion: accessctl/v1',
      'kind: WebhookChannel',
      `metadata: {name: ${name}}`,
      'spec:',
      `  url: ${url}`,
      '  secrets: {TOKEN: {env: HOOK_TOKEN}}',
      '  headers:',
      '    X-Source: accessctl',
      '    Authorization: {env: HOOK_AUTH}',
      '    X-Api-Key: {env: HOOK_KEY}',
      '  signingSecret: {env: HOOK_SIGNING}',
      '',
    ].join('\n');

  it('never prints a planted secret value in text, json or markdown', async () => {
    const files = {
      'channels/siem.yaml': hook('SIEM', 'https://siem.example.com/ingest/{{TOKEN}}'),
      'channels/new.yaml': hook('New Hook', 'https://new.example.com/{{TOKEN}}/in'),
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    const { desired: state, diagnostics } = await loadConfig('.', root);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const secrets = (name: string): string => `${PLANTED}-${name}`;
    const siem: WireChannel = {
      id: '65a0000000000000000000c1',
      name: 'SIEM',
      url: 'https://siem.example.com/ingest/{{TOKEN}}',
      enabled: true,
      verifySsl: true,
      sensitiveValues: { TOKEN: '********' },
      headers: [
        { name: 'X-Source', value: 'accessctl', sensitive: false },
        { name: 'Authorization', value: '********', sensitive: true },
        { name: 'X-Api-Key', value: '********', sensitive: true },
      ],
      signingSecret: '********',
      // An HMAC of other values: the secrets changed.
      secretsFingerprint: `hmac-sha256:${'ab'.repeat(16)}:${'cd'.repeat(32)}`,
    };
    const liveWire: LiveWire = {
      target: 'https://sandbox.test',
      groups: { status: 'ok', value: [] },
      users: { status: 'ok', value: [] },
      applications: { status: 'ok', value: [] },
      flows: { status: 'ok', value: { mapped: true, entries: [], unmanageable: [], pages: [] } },
      channels: { status: 'ok', value: [siem] },
      settings: { status: 'ok', value: { channelEvents: [{ channelObjectId: '65a0000000000000000000c1', eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] } },
      associations: new Map(),
    };
    const plan = diff(prepareDiffInput(state, liveWire, secrets));
    expect(plan.changes.map((c: Change) => `${c.action} ${c.name}`)).toEqual(['create New Hook', 'update SIEM']);
    expect(plan.changes[1]!.fields).toContainEqual({ path: 'spec.secrets', sensitive: true, before: '(sensitive)', after: '(sensitive)' });
    for (const output of [renderText(plan, false), renderText(plan, true), renderJson(plan), renderMarkdown(plan), JSON.stringify(plan)]) {
      expect(output).toContain('SIEM');
      expect(output).not.toContain(PLANTED);
    }
  });
});

describe('markdown within its budget and HTML-safe', () => {
  it('stays within the budget when thousands of objects are unmanaged', () => {
    const input = emptyInput();
    input.flows.live = Array.from({ length: 3000 }, (_, i) => live(flow(`Unmanaged Flow ${i}`), `f${i}`));
    const md = renderMarkdown(diff(input));
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
  });

  it('stays within the budget when thousands of deletions are blocked', () => {
    const input = emptyInput();
    input.flows.live = Array.from({ length: 3000 }, (_, i) => live(flow(`Doomed Flow ${i}`), `f${i}`));
    const plan = diff(input, openPolicy({ maxDeletions: 5 }));
    expect(plan.blocked.length).toBeGreaterThanOrEqual(3000);
    const md = renderMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_BUDGET);
  });

  it('HTML-escapes names inside the <summary> HTML block instead of backslash-escaping them', () => {
    const input = emptyInput();
    input.flows.desired = [desired(flow('<img src=x> GitHub_Admin'))];
    const md = renderMarkdown(diff(input));
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img src=x&gt; GitHub_Admin');
  });
});

describe('untrusted live text', () => {
  it('never prints the value of a credential header the platform holds unmasked', () => {
    const wire: WireChannel = {
      id: 'w1',
      name: 'SIEM',
      url: 'https://x.example.com/',
      enabled: true,
      verifySsl: true,
      sensitiveValues: {},
      headers: [{ name: 'Authorization', value: `Bearer ${PLANTED}`, sensitive: false }],
      secretsFingerprint: 'hmac-sha256:00',
    };
    const input = emptyInput();
    input.channels.live = [live(channelFromWire(wire), 'w1')];
    desiredChannels(input, [
      desired(channel('SIEM', 'changed', { url: 'https://x.example.com/', headers: { authorization: { secret: true } }, placeholders: [], signed: false })),
    ]);
    const plan = diff(input);
    for (const output of [renderText(plan, false), renderJson(plan), renderMarkdown(plan)]) expect(output).not.toContain(PLANTED);
  });

  it('prints no terminal escapes that come from live names when colour is off', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('Evil\u001b[2J\u001b[31m name'), 'f1')];
    expect(renderText(diff(input), false)).not.toMatch(ANSI);
  });

  it('shows a hostile live name with every control, bidi and zero-width character escaped, in text and markdown', () => {
    const plan = hostilePlan();
    const text = renderText(plan, false);
    const md = renderMarkdown(plan);
    for (const output of [text, md]) {
      expect(output).not.toMatch(RAW_UNPRINTABLE);
      // The override is named, where a reader sees it, instead of reversing what follows it.
      expect(output).toContain('EVIL\\u202eRESU');
    }
    expect(text).toContain(`  - ApprovalFlow "${'GitHub User\\u001b[2J EVIL\\u202eRESU\\u202c @octocat #123 \\u2066x\\u2069\\u200b\\ufeff\\u061c\\u200e'}"`);
    // The live value in the YAML diff too: YAML escapes the controls, printable the bidi marks.
    expect(text).toContain('-description: "GitHub User\\e[2J EVIL\\u202eRESU\\u202c');
    // The JSON keeps the name exactly: it is data, and JSON.stringify escapes the controls.
    expect(JSON.parse(renderJson(plan)).unmanaged[0].name).toBe(HOSTILE_NAME);
  });

  it('never links an @-mention or an #issue from a live name in markdown, in lists or in <summary>', () => {
    const md = renderMarkdown(hostilePlan());
    // GitHub links nothing inside a fenced block, where the YAML diff shows the live value as it is.
    expect(md.replace(/```diff\n[\s\S]*?\n```/g, '')).not.toMatch(/@octocat|#123/);
    expect(md).toContain('**GitHub User\\\\u001b\\[2J EVIL\\\\u202eRESU\\\\u202c @<!-- -->octocat \\#<!-- -->123');
    expect(md).toContain('<details><summary>🗑️ delete ApprovalFlow <b>GitHub User\\u001b[2J EVIL\\u202eRESU\\u202c @<!-- -->octocat #<!-- -->123');
  });

  it('prints a hostile config file name on the line of its change, forging no line and no workflow command', () => {
    const plan = hostilePlan();
    const shownFile = 'x\\u000a::warning file=INJECTED::pwned\\u000a\\u001b[31mred\\u202e.yaml';
    const text = renderText(plan, false);
    const md = renderMarkdown(plan);
    for (const output of [text, md]) {
      expect(
        output.split('\n').some((line) => line.startsWith('::warning')),
        output,
      ).toBe(false);
      expect(output).not.toContain(HOSTILE_FILE);
    }
    expect(text).toContain(`  ~ ApprovalFlow "GitHub Admin"  (${shownFile}:3:9)`);
    expect(text).toContain(`warning: ${shownFile}:4:1: the live flow`);
    expect(md).toContain(`— <code>${shownFile}:3:9</code></summary>`);
    expect(md).toContain(`- ⚠️ \`${shownFile}:4:1\` the live flow`);
  });
});
