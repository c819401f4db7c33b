// The reconciler's client is made for the target resolveTarget picks (--target, JUMPCLOUD_API_URL,
// then the repo's Project), once; later runs compare the repo's Project with it. No request is sent:
// making a client opens no connection.
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDesiredState, type DesiredState } from '../../src/config/desired.js';
import { AccessctlError } from '../../src/errors.js';
import { compareProjectTarget, DEFAULT_API_URL } from '../../src/jumpcloud/target.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';

function withTarget(url: string | undefined): DesiredState {
  const state = emptyDesiredState();
  state.project = {
    name: 'p',
    object: { apiVersion: 'accessctl/v1', kind: 'Project', metadata: { name: 'p' }, spec: url === undefined ? {} : { target: { url } } },
    source: {},
  } as unknown as DesiredState['project'];
  return state;
}

const KEY = { JUMPCLOUD_API_KEY: 'k' };
const bindings: TargetBinding[] = [];
afterEach(async () => {
  for (const binding of bindings.splice(0)) await binding.close();
});

function resolving(options: Parameters<typeof TargetBinding.resolving>[0]): TargetBinding {
  const binding = TargetBinding.resolving(options);
  bindings.push(binding);
  return binding;
}

describe('compareProjectTarget', () => {
  it('agrees when the Project names the client’s target, or names none and nothing else was chosen', () => {
    expect(compareProjectTarget({ url: 'http://127.0.0.1:8080', from: 'project file' }, 'http://127.0.0.1:8080/')).toEqual({ agrees: true });
    expect(compareProjectTarget({ url: DEFAULT_API_URL, from: 'default' }, undefined)).toEqual({ agrees: true });
    expect(compareProjectTarget({ url: 'http://127.0.0.1:8080', from: 'JUMPCLOUD_API_URL' }, undefined)).toEqual({ agrees: true });
  });

  it('calls a Project target set aside by --target overridden, and any other difference a move', () => {
    expect(compareProjectTarget({ url: 'http://127.0.0.1:8080', from: 'JUMPCLOUD_API_URL' }, 'http://127.0.0.1:9090')).toMatchObject({
      agrees: false,
      overridden: false,
    });
    expect(compareProjectTarget({ url: 'http://127.0.0.1:8080', from: '--target' }, 'https://console.jumpcloud.com')).toMatchObject({
      agrees: false,
      overridden: true,
    });
    expect(compareProjectTarget({ url: 'http://127.0.0.1:8080', from: 'project file' }, 'http://127.0.0.1:9090')).toMatchObject({
      agrees: false,
      overridden: false,
      project: 'http://127.0.0.1:9090',
    });
    expect(compareProjectTarget({ url: 'http://127.0.0.1:8080', from: 'project file' }, undefined)).toMatchObject({
      agrees: false,
      overridden: false,
      project: DEFAULT_API_URL,
    });
  });
});

describe('TargetBinding', () => {
  it('makes the client for the Project’s target when neither --target nor JUMPCLOUD_API_URL is set', () => {
    const binding = resolving({ env: KEY });
    expect(binding.target).toBeUndefined();
    const { client, mismatch } = binding.bind(withTarget('http://127.0.0.1:8080'));
    expect(client.target).toBe('http://127.0.0.1:8080');
    expect(mismatch).toBeUndefined();
    expect(binding.target).toBe('http://127.0.0.1:8080');
  });

  it('lets --target take precedence over the Project, and says so; refuses JUMPCLOUD_API_URL that contradicts the Project', () => {
    expect(() => resolving({ env: { ...KEY, JUMPCLOUD_API_URL: 'http://127.0.0.1:7000' } }).bind(withTarget('http://127.0.0.1:8080'))).toThrow(
      "JUMPCLOUD_API_URL is http://127.0.0.1:7000, but the Project's spec.target.url",
    );
    const overFile = resolving({ target: 'http://127.0.0.1:7000', env: KEY }).bind(withTarget('http://127.0.0.1:8080'));
    expect(overFile.client.target).toBe('http://127.0.0.1:7000');
    expect(overFile.mismatch).toMatchObject({ project: 'http://127.0.0.1:8080', client: 'http://127.0.0.1:7000', from: '--target', overridden: true });
    expect(overFile.mismatch?.message).toContain('takes precedence');
    const fromFlag = resolving({ target: 'http://127.0.0.1:6000', env: { ...KEY, JUMPCLOUD_API_URL: 'http://127.0.0.1:7000' } }).bind(withTarget(undefined));
    expect(fromFlag.client.target).toBe('http://127.0.0.1:6000');
    expect(fromFlag.mismatch).toBeUndefined();
  });

  it('keeps its first client, and says the repo moved when the Project names another target later', () => {
    const binding = resolving({ env: KEY });
    const first = binding.bind(withTarget('http://127.0.0.1:8080')).client;
    const moved = binding.bind(withTarget('http://127.0.0.1:9090'));
    expect(moved.client).toBe(first);
    expect(moved.mismatch).toMatchObject({ project: 'http://127.0.0.1:9090', client: 'http://127.0.0.1:8080', from: 'project file', overridden: false });
    expect(moved.mismatch?.message).toContain('restart the reconciler');
    // A Project that drops its target means the default, which is not where the client goes either.
    expect(binding.bind(withTarget(undefined)).mismatch).toMatchObject({ project: DEFAULT_API_URL, overridden: false });
  });

  it('refuses a missing key or a bad --target before any run, as every command does', () => {
    expect(() => TargetBinding.resolving({ env: {} })).toThrow(AccessctlError);
    expect(() => TargetBinding.resolving({ env: {} })).toThrow(/JUMPCLOUD_API_KEY/);
    expect(() => TargetBinding.resolving({ target: 'ftp://example.com', env: KEY })).toThrow(/--target/);
  });
});
