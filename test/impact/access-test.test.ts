// AccessTest cases against effective access: each kind of case passes, fails with the actual answer,
// or errs when it names a user, flow or group that does not exist (a typo never passes). The
// example repo's own test file passes against the seed's directory.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type LoadResult } from '../../src/config/load.js';
import type { AccessTestCase } from '../../src/config/kinds.generated.js';
import { DirectoryView } from '../../src/impact/directory.js';
import { caseTitle, evaluateCase, FlowTable, runAccessTests } from '../../src/impact/access-test.js';
import { effectiveAccess } from '../../src/impact/effective.js';
import { desiredFlowModels } from '../../src/pipeline/access-context.js';
import { automatic, directory, exampleDirectory, flow, level, manager } from './fixtures.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const exampleView = new DirectoryView(exampleDirectory());
const exampleFlows = new FlowTable(effectiveAccess([flow('GitHub Admin'), automatic('GitHub User')], exampleView));
const run = (c: AccessTestCase, flows: FlowTable = exampleFlows, view: DirectoryView = exampleView) => evaluateCase(c, flows, view);

describe('canRequest', () => {
  it('passes when the user can request the flow through the group, approved as written, for that long', () => {
    expect(run({ user: 'alice@example.com', canRequest: 'GitHub User', via: 'Engineering User', approval: 'automatic', maxDuration: 'P30D' })).toEqual({
      status: 'pass',
      expected: 'alice@example.com can request GitHub User via Engineering User, granted at once (automatic approval), for at most P30D',
      actual: 'alice@example.com can request GitHub User via Engineering User, granted at once (automatic approval), for at most P30D',
    });
    expect(run({ user: 'erin.em', canRequest: 'GitHub Admin', approval: [{ users: ['dana.cto'] }, { group: 'Security Leads' }] }).status).toBe('pass');
  });

  it('fails with the actual approvers when a level goes to other people', () => {
    const result = run({ user: 'erin.em', canRequest: 'GitHub Admin', approval: [{ users: ['grace.sec'] }, { group: 'Security Leads' }] });
    expect(result.status).toBe('fail');
    expect(result.expected).toBe('erin.em can request GitHub Admin, approved by level 1: grace.sec; then level 2: any member of Security Leads');
    expect(result.actual).toBe(
      'erin@example.com can request GitHub Admin via Engineering Admin, level 1: dana@example.com; then level 2: grace@example.com, heidi@example.com, for at most P7D',
    );
  });

  it('fails when the user cannot request it, saying why', () => {
    expect(run({ user: 'bob', canRequest: 'GitHub Admin' })).toMatchObject({
      status: 'fail',
      actual: 'bob@example.com cannot request GitHub Admin: bob@example.com is in none of its groups (Engineering Admin)',
    });
    expect(
      run({ user: 'oscar', canRequest: 'All' }, new FlowTable(effectiveAccess([automatic('All', { visibleTo: ['Engineering All'] })], exampleView))),
    ).toMatchObject({
      status: 'fail',
      actual: 'oscar@example.com cannot request All: oscar@example.com is suspended or not yet activated, and cannot sign in',
    });
  });

  it('fails on the wrong group, the wrong approval type or the wrong duration', () => {
    expect(run({ user: 'alice', canRequest: 'GitHub User', via: 'Engineering All' }).status).toBe('fail');
    expect(run({ user: 'erin.em', canRequest: 'GitHub Admin', approval: 'automatic' }).status).toBe('fail');
    expect(run({ user: 'alice', canRequest: 'GitHub User', approval: [{ users: ['erin.em'] }] }).status).toBe('fail');
    expect(run({ user: 'alice', canRequest: 'GitHub User', maxDuration: 'P7D' }).status).toBe('fail');
    expect(run({ user: 'erin.em', canRequest: 'GitHub Admin', approval: [{ users: ['dana.cto'] }] }).status).toBe('fail');
    expect(run({ user: 'erin.em', canRequest: 'GitHub Admin', approval: [{ users: ['dana.cto'], require: 'all' }, { group: 'Security Leads' }] }).status).toBe(
      'fail',
    );
    expect(run({ user: 'erin.em', canRequest: 'GitHub Admin', approval: [{ users: ['dana.cto'], admins: true }, { group: 'Security Leads' }] }).status).toBe(
      'fail',
    );
  });

  it('leaves the requester out of "any member of" a group: a Security Lead is approved by the other one', () => {
    const view = directory({ dana: {}, grace: { manager: 'dana' }, heidi: { manager: 'grace' } }, { 'Security Leads': ['grace', 'heidi'] });
    const flows = new FlowTable(effectiveAccess([flow('F', { visibleTo: ['Security Leads'] })], view));
    expect(run({ user: 'grace', canRequest: 'F', approval: [{ users: ['dana'] }, { group: 'Security Leads' }] }, flows, view).status).toBe('pass');
    expect(run({ user: 'grace', canRequest: 'F', approval: [{ users: ['dana'] }, { users: ['grace', 'heidi'] }] }, flows, view).status).toBe('pass');
    expect(run({ user: 'grace', canRequest: 'F', approval: [{ users: ['dana'] }, { users: ['dana'] }] }, flows, view).status).toBe('fail');
  });

  it('says a request without a manager is Missing Data, which only an administrator decides', () => {
    const view = directory({ boss: {}, sec: {} }, { Admins: ['boss'], 'Security Leads': ['sec'] });
    const flows = new FlowTable(
      effectiveAccess([flow('F', { visibleTo: ['Admins'], approval: { levels: [level([manager]), level([{ group: 'Security Leads' }])] } })], view),
    );
    const result = run({ user: 'boss', canRequest: 'F', approval: [{ admins: false }, { group: 'Security Leads' }] }, flows, view);
    expect(result.status).toBe('fail');
    expect(result.actual).toContain('the request is Missing Data');
    expect(run({ user: 'boss', canRequest: 'F', approval: [{ admins: false }, { admins: false }] }, flows, view).status).toBe('pass');
  });
});

describe('cannotRequest', () => {
  it('passes for a user outside every visibleTo group and fails, naming the group, for a member', () => {
    expect(run({ user: 'bob@example.com', cannotRequest: 'GitHub Admin' }).status).toBe('pass');
    expect(run({ user: 'frank.em', cannotRequest: 'GitHub Admin' })).toMatchObject({
      status: 'fail',
      actual: 'frank@example.com can request GitHub Admin via Engineering Admin',
    });
  });

  it('passes for a disabled flow', () => {
    const flows = new FlowTable(effectiveAccess([flow('GitHub Admin', { enabled: false })], exampleView));
    expect(run({ user: 'frank.em', cannotRequest: 'GitHub Admin' }, flows)).toMatchObject({
      status: 'pass',
      actual: 'frank@example.com cannot request GitHub Admin: GitHub Admin is disabled',
    });
  });
});

describe('nobodyGets', () => {
  it('passes when every enabled flow granting the group stays within the limit, and fails naming the ones that do not', () => {
    expect(run({ nobodyGets: 'GitHub Admins', longerThan: 'P7D' })).toMatchObject({ status: 'pass', actual: 'the longest is P7D, through GitHub Admin' });
    expect(run({ nobodyGets: 'GitHub Admins', longerThan: 'P1D' })).toMatchObject({
      status: 'fail',
      actual: 'GitHub Admin grants it for up to P7D (erin@example.com, frank@example.com can request it)',
    });
  });

  it('counts permanent access as longer than any limit, and ignores disabled flows', () => {
    const flows = new FlowTable(effectiveAccess([flow('Forever', { access: null }), flow('Off', { enabled: false, access: null })], exampleView));
    expect(run({ nobodyGets: 'GitHub Admins', longerThan: 'P30D' }, flows)).toMatchObject({
      status: 'fail',
      actual: expect.stringMatching(/^Forever grants it permanently/),
    });
    const off = new FlowTable(effectiveAccess([flow('Off', { enabled: false, access: null })], exampleView));
    expect(run({ nobodyGets: 'GitHub Admins', longerThan: 'P30D' }, off)).toMatchObject({ status: 'pass', actual: 'no enabled flow grants GitHub Admins' });
  });
});

describe('a case that names something that does not exist', () => {
  it('errs instead of passing', () => {
    expect(run({ user: 'nobody@example.com', cannotRequest: 'GitHub Admin' })).toMatchObject({
      status: 'error',
      actual: 'the directory has no user "nobody@example.com"',
    });
    expect(run({ user: 'bob', cannotRequest: 'GitHub Admn' })).toMatchObject({ status: 'error', actual: 'the repo has no approval flow named "GitHub Admn"' });
    expect(run({ nobodyGets: 'GitHub Admns', longerThan: 'P1D' }).status).toBe('error');
    expect(run({ user: 'erin.em', canRequest: 'GitHub Admin', approval: [{ users: ['dana.cto'] }, { group: 'Security Lead' }] }).status).toBe('error');
    expect(run({ user: 'erin.em', canRequest: 'GitHub Admin', approval: [{ users: ['dan'] }, { group: 'Security Leads' }] }).status).toBe('error');
  });
});

describe('the example repo', () => {
  let config: LoadResult;
  beforeAll(async () => {
    config = await loadConfig(examples);
  });

  it('ships a test file that covers both example flows and passes against the seed', () => {
    const { flows, unknown } = desiredFlowModels(config.desired, exampleDirectory());
    expect(unknown).toEqual([]);
    const table = new FlowTable(effectiveAccess(flows, exampleView));
    const report = runAccessTests(config.desired.tests, table, exampleView);
    expect(report.results.map((r) => r.status)).toEqual(report.results.map(() => 'pass'));
    expect(report.passed).toBe(6);
    const named = new Set(
      config.desired.tests.flatMap((t) =>
        t.object.spec.cases.flatMap((c) => ('canRequest' in c ? [c.canRequest] : 'cannotRequest' in c ? [c.cannotRequest] : [])),
      ),
    );
    expect([...named].sort()).toEqual(['GitHub Admin', 'GitHub User']);
    expect(report.results[0]?.source).toEqual({ file: expect.stringMatching(/tests\/github\.yaml$/), line: 10, column: 7 });
  });

  it('runs only the cases --run matches, on "test/case"', () => {
    const { flows } = desiredFlowModels(config.desired, exampleDirectory());
    const report = runAccessTests(config.desired.tests, new FlowTable(effectiveAccess(flows, exampleView)), exampleView, /GitHub access\/nobody/);
    expect(report.results.map((r) => r.case)).toEqual(['nobody gets GitHub Admins for more than P7D', 'nobody gets GitHub Users for more than P30D']);
    expect(report.skipped).toBe(4);
  });

  it('names a case without a name by what it says', () => {
    expect(caseTitle({ user: 'bob', cannotRequest: 'GitHub Admin' })).toBe('bob cannot request GitHub Admin');
  });
});
