// A saved plan is bound to the org it was made for: applied with another org id, with none when it
// had one, or with one when it had none, it is refused as a usage error naming JUMPCLOUD_ORG_ID.
import { describe, expect, it } from 'vitest';
import { checkSavedPlanOrg } from '../../src/apply/saved-plan.js';
import { diff } from '../../src/plan/diff.js';
import { forOrg } from '../../src/plan/plan.js';
import { emptyInput } from '../plan/builders.js';

const acme = '65b000000000000000000001';
const globex = '65b000000000000000000002';

describe('checkSavedPlanOrg', () => {
  const plain = diff(emptyInput());

  it('accepts the org the plan was made for, and no org for a plan made with none', () => {
    expect(() => checkSavedPlanOrg(forOrg(plain, globex), globex)).not.toThrow();
    expect(() => checkSavedPlanOrg(plain, undefined)).not.toThrow();
  });

  it.each([
    [globex, acme, `the plan was made for org ${globex}, but JUMPCLOUD_ORG_ID is ${acme}; plan again for the org you mean`],
    [globex, undefined, `the plan was made for org ${globex}, but JUMPCLOUD_ORG_ID is not set; set JUMPCLOUD_ORG_ID=${globex} to apply it to that org`],
    [undefined, acme, `the plan was made with no org id, but JUMPCLOUD_ORG_ID is ${acme}; plan again with it set to apply to that org`],
  ])('refuses a plan for org %s applied with org %s', (planned, applying, message) => {
    expect(() => checkSavedPlanOrg(forOrg(plain, planned), applying)).toThrow(expect.objectContaining({ code: 'usage', subject: 'JUMPCLOUD_ORG_ID', message }));
  });
});
