// `npm run bench`: runs every benchmark in turn; each reports its figures against floors measured in
// the same run. `npm run bench -- --json` prints one JSON object per figure instead of a line of
// text; `npm run bench -- plan reconcile` runs only the benchmarks named.
import { printer, type Report } from './measure.js';

const benches = ['startup', 'validate', 'sandbox-list', 'plan', 'reconcile', 'impact', 'fleet'];

const args = process.argv.slice(2);
const json = args.includes('--json');
const named = args.filter((arg) => arg !== '--json');
const unknown = named.filter((name) => !benches.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; the benchmarks are ${benches.join(', ')}`);
  process.exit(2);
}

const report = printer(json);
for (const name of benches) {
  if (named.length > 0 && !named.includes(name)) continue;
  const module = (await import(`./${name}.js`)) as { default: (report: Report) => Promise<void> };
  await module.default(report);
}
