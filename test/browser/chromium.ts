// The real browser for console tests: the headless Chromium that the @sparticuz/chromium npm package
// ships (so `npm ci` brings it), driven by playwright-core. Launched with the browser's ordinary
// security on: the package's serverless flags turn off the same-origin policy, which the consoles'
// CSRF and escaping tests depend on.
import chromium from '@sparticuz/chromium';
import { type Browser, chromium as playwright } from 'playwright-core';

let unpacked: Promise<string> | undefined;

/** Unpacks the browser once per test process (the package inflates it into the temp folder). */
function executablePath(): Promise<string> {
  unpacked ??= chromium.executablePath();
  return unpacked;
}

/** A headless Chromium; the caller closes it. */
export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({
    executablePath: await executablePath(),
    headless: true,
    // The sandbox needs user namespaces that a root CI container does not give; GPU is emulated.
    args: ['--no-sandbox', '--disable-gpu', '--use-angle=swiftshader'],
  });
}
