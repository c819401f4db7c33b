// A GitHub client for tests, pointed at the fake: the same plugins as in real use, but without the
// throttling plugin's one-second write pacing and with retry-after counted in milliseconds.
import { createRequire } from 'node:module';
import type BottleneckType from 'bottleneck';
import { createGithubClient, type GithubApi } from '../../src/github/octokit.js';

// The Bottleneck the throttling plugin itself loads, resolved from the plugin's own location.
const fromPlugin = createRequire(createRequire(import.meta.url).resolve('@octokit/plugin-throttling'));
const Bottleneck = fromPlugin('bottleneck/light.js') as typeof BottleneckType;

export function instantClient(options: { token: string; baseUrl: string; log?: (line: string) => void; retries?: number }): GithubApi {
  const group = (id: string): BottleneckType.Group => new Bottleneck.Group({ id, maxConcurrent: 1, minTime: 0 });
  return createGithubClient({
    ...options,
    log: options.log ?? (() => undefined),
    retryUnitMs: 1,
    pacing: { write: group('test-write'), notifications: group('test-notifications'), search: group('test-search') },
  });
}
