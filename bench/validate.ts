// Benchmark: `validate` over 10,000 approval-flow files against its floor, a bare loop of
// readFile + yaml.parseDocument + the compiled ajv validator over the same files, in this process,
// the two timed in turn, best of five. Goal: at least 0.8 of the floor's files per second.
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { validators } from '../src/config/schema.js';
import { fastestInterleaved, figure, type Report } from './measure.js';

const FLOWS = 10_000;
const GROUPS = 20;

function flowYaml(i: number): string {
  const manual = i % 3 !== 0;
  return `# yaml-language-server: $schema=../../schemas/approval-flow.schema.json
apiVersion: accessctl/v1
kind: ApprovalFlow
metadata:
  name: Flow ${i}
spec:
  description: Access flow number ${i} for the benchmark
  grantGroup: Group ${i % GROUPS}
  visibleTo: [Group ${(i + 1) % GROUPS}, Group ${(i + 2) % GROUPS}]
  approval:
    type: ${manual ? 'manual' : 'automatic'}
${
  manual
    ? `    nonAdminApprovers: true
    levels:
      - require: any
        approvers:
          - manager: true
          - user: user${i}@example.com
      - require: all
        approvers:
          - group: Group ${(i + 3) % GROUPS}
`
    : ''
}  access:
    durations: [PT8H, P1D, P7D]
`;
}

export default async function bench(report: Report): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'accessctl-bench-validate-'));
  try {
    await mkdir(join(dir, 'flows'));
    const files: string[] = [];
    for (let i = 0; i < FLOWS; i++) {
      const file = join(dir, 'flows', `flow-${String(i).padStart(5, '0')}.yaml`);
      files.push(file);
      await writeFile(file, flowYaml(i));
    }
    const groups = Array.from({ length: GROUPS }, (_, g) => `---\napiVersion: accessctl/v1\nkind: GroupAssignment\nmetadata:\n  name: Group ${g}\nspec: {}\n`);
    await writeFile(join(dir, 'groups.yaml'), groups.join(''));

    const validate = validators().get('ApprovalFlow')!;
    const { floor, task: measured } = await fastestInterleaved(
      5,
      async () => {
        let valid = 0;
        for (const file of files) {
          const doc = parseDocument(readFileSync(file, 'utf8'));
          if (validate(doc.toJS())) valid++;
        }
        if (valid !== FLOWS) throw new Error(`floor: only ${valid} of ${FLOWS} flows valid`);
      },
      async () => {
        const result = await loadConfig(dir);
        const errors = result.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length > 0 || result.desired.flows.length !== FLOWS) {
          throw new Error(`validate: ${errors.length} errors, ${result.desired.flows.length} flows`);
        }
      },
    );
    report(
      figure(
        `validate ${FLOWS.toLocaleString('en-US')} flow files`,
        { value: FLOWS / measured, floor: FLOWS / floor, unit: 'files/s', floorLabel: 'readFileSync + parseDocument + ajv' },
        { at: 'least', ratio: 0.8 },
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
