// The test browser itself: it starts from the npm package alone and keeps the same-origin policy.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './chromium.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe('the test browser', () => {
  it('renders a page served on 127.0.0.1 and keeps the same-origin policy', async () => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(req.url === '/secret' ? 'secret' : '<h1>served</h1>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      expect(await page.textContent('h1')).toBe('served');
      // localhost and 127.0.0.1 are different origins: a cross-origin read must be refused.
      const read = await page.evaluate(async (url) => {
        try {
          return await (await fetch(url)).text();
        } catch {
          return 'refused';
        }
      }, `http://localhost:${port}/secret`);
      expect(read).toBe('refused');
      await page.close();
    } finally {
      server.close();
    }
  });
});
