// Benchmark: how long the CLI takes to start, run as users run it (node bin/accessctl.js, which runs
// dist/: `npm run build` first), against the floor of starting node itself (`node -e 0`), the two
// timed in turn, best of five. Goal for `--version`: at most 1.5 times the floor.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fastestInterleaved, figure, ms, type Report } from './measure.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const bin = fileURLToPath(new URL('../bin/accessctl.js', import.meta.url));

export default async function bench(report: Report): Promise<void> {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) throw new Error('bench startup runs dist/: run `npm run build` first');
  const floor = async (): Promise<void> => {
    await run(process.execPath, ['-e', '0']);
  };
  const floorLabel = 'node -e 0';
  const version = await fastestInterleaved(5, floor, async () => {
    await run(process.execPath, [bin, '--version'], { cwd: root });
  });
  report(figure('accessctl --version', { value: ms(version.task), floor: ms(version.floor), unit: 'ms', floorLabel }, { at: 'most', ratio: 1.5 }));
  // For information: validate loads the config reader and the schemas, which --version does not.
  const validate = await fastestInterleaved(5, floor, async () => {
    await run(process.execPath, [bin, 'validate', 'examples/access'], { cwd: root });
  });
  report(figure('accessctl validate examples/access', { value: ms(validate.task), floor: ms(validate.floor), unit: 'ms', floorLabel }));
}
