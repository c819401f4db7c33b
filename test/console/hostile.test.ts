// Hostile live names on the reconciler's console: JSX escapes markup, and the pages and the runs'
// live events also show every bidi override, isolate, mark and zero-width character as its escape,
// so a name cannot read differently in the browser from what the platform holds.
import { describe, expect, it } from 'vitest';
import { consoleApp } from '../../src/console/app.js';
import { ConsoleModel } from '../../src/console/model.js';
import { emptyDesiredState } from '../../src/config/desired.js';
import { HOSTILE_NAME, hostilePlan, RAW_UNPRINTABLE } from '../plan/hostile.js';

const loopback = { headers: { host: '127.0.0.1' } };

/** A console whose one run planned the hostile plan and then failed with a message naming the hostile name. */
function hostileConsole(): { app: ReturnType<typeof consoleApp>; model: ConsoleModel } {
  const model = new ConsoleModel({});
  model.startNextRun();
  model.planned(hostilePlan(), emptyDesiredState());
  model.runCrashed(`could not read ${HOSTILE_NAME}`);
  return { app: consoleApp(model, { token: undefined, loopbackOnly: true }), model };
}

describe('hostile names on the console', () => {
  it('shows them escaped on every page that prints them', async () => {
    const { app } = hostileConsole();
    const pages = [
      '/objects',
      `/objects/ApprovalFlow/${encodeURIComponent(HOSTILE_NAME)}`,
      `/objects/WebhookChannel/${encodeURIComponent(HOSTILE_NAME)}`,
      '/runs',
      '/runs/1',
    ];
    for (const path of pages) {
      const response = await app.request(path, loopback);
      expect(response.status, path).toBe(200);
      const page = await response.text();
      expect(page, path).toContain('EVIL\\u202eRESU\\u202c @octocat #123 \\u2066x\\u2069\\u200b\\ufeff\\u061c\\u200e');
      expect(page, path).not.toMatch(RAW_UNPRINTABLE);
    }
  });

  it('escapes them in a not-found page that repeats the name asked for', async () => {
    const { app } = hostileConsole();
    const response = await app.request(`/objects/ApprovalFlow/${encodeURIComponent(`no such ${HOSTILE_NAME}`)}`, loopback);
    expect(response.status).toBe(404);
    const page = await response.text();
    expect(page).toContain('no such GitHub User\\u001b[2J EVIL\\u202eRESU');
    expect(page).not.toMatch(RAW_UNPRINTABLE);
  });

  it('escapes them in the runs sent live to the runs page', async () => {
    const model = new ConsoleModel({});
    const app = consoleApp(model, { token: undefined, loopbackOnly: true });
    const response = await app.request('/runs/events', loopback);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    // The stream says it follows the runs before any run is sent; a run started after that is sent.
    while (!received.includes('following the runs')) received += decoder.decode((await reader.read()).value);
    model.startNextRun();
    model.runCrashed(`could not read ${HOSTILE_NAME}`);
    while (!received.includes('"status":"error"')) received += decoder.decode((await reader.read()).value);
    await reader.cancel();
    const data = received.split('\n').filter((line) => line.startsWith('data: '));
    const crashed = JSON.parse(data.at(-1)?.slice('data: '.length) ?? '{}') as { message: string };
    expect(crashed.message).toContain('EVIL\\u202eRESU');
    expect(crashed.message).not.toMatch(RAW_UNPRINTABLE);
  });
});
