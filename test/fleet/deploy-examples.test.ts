// examples/deploy holds what the README promises: docker compose with Postgres and three workers,
// Kubernetes workers with a Secret and probes on /healthz and /readyz, and a serverless GitHub
// Actions matrix with one concurrency group per org; every accessctl command in them exists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildProgram } from '../../src/cli/main.js';
import { root } from '../e2e/binary.js';

const dir = join(root, 'examples', 'deploy');

// biome-ignore lint/suspicious/noExplicitAny: the example files are YAML of many shapes, read field by field
function documents(file: string): Record<string, any>[] {
  const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
  for (const doc of docs)
    expect(
      doc.errors.map((e) => e.message),
      file,
    ).toEqual([]);
  // biome-ignore lint/suspicious/noExplicitAny: as above
  return docs.map((d) => d.toJS() as Record<string, any>);
}

const program = await buildProgram();

/** Whether `accessctl WORDS...` names a command and only options it has. */
function knownCommand(argv: readonly string[]): boolean {
  let command: Command = program;
  const words = [...argv];
  while (words.length > 0) {
    const next = command.commands.find((c) => c.name() === words[0]);
    if (!next) break;
    command = next;
    words.shift();
  }
  if (command.commands.length > 0) return false;
  const flags = words.filter((w) => w.startsWith('--')).map((w) => w.split('=')[0]);
  return flags.every((flag) => command.options.some((o) => o.long === flag));
}

describe('examples/deploy', () => {
  it('docker compose: Postgres and three workers that read the database URL and the key from the environment', () => {
    const [compose] = documents('docker-compose.yml');
    expect(Object.keys(compose!['services'])).toEqual(['postgres', 'worker']);
    const worker = compose!['services']['worker'];
    expect(worker.deploy.replicas).toBe(3);
    expect(Object.keys(worker.environment).sort()).toEqual(['ACCESSCTL_DATABASE_URL', 'JUMPCLOUD_MSP_KEY']);
    expect(worker.healthcheck.test.join(' ')).toContain('/readyz');
    expect(knownCommand(worker.command)).toBe(true);
  });

  it('Kubernetes: a Deployment of workers with the key from a Secret and probes on /healthz and /readyz', () => {
    const [deployment] = documents('kubernetes/deployment.yaml');
    const [secret] = documents('kubernetes/secret.yaml');
    expect(secret!['kind']).toBe('Secret');
    expect(Object.keys(secret!['stringData']).sort()).toEqual(['ACCESSCTL_DATABASE_URL', 'JUMPCLOUD_MSP_KEY']);
    expect(deployment!['kind']).toBe('Deployment');
    const worker = deployment!['spec']['template']['spec']['containers'].find((c: { name: string }) => c.name === 'worker');
    expect(worker.envFrom).toEqual([{ secretRef: { name: secret!['metadata']['name'] } }]);
    expect(worker.livenessProbe.httpGet.path).toBe('/healthz');
    expect(worker.readinessProbe.httpGet.path).toBe('/readyz');
    expect(knownCommand(worker.args)).toBe(true);
  });

  it('GitHub Actions: a matrix over the orgs, one concurrency group per org, real commands only', () => {
    const [workflow] = documents('github-fleet.yml');
    const job = workflow!['jobs']['reconcile'];
    expect(job.strategy.matrix.org).toContain('fromJSON(needs.orgs.outputs.orgs)');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
    expect(job.concurrency.group).toBe('accessctl-fleet-${{ matrix.org }}');
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const lines = Object.values(workflow!['jobs']).flatMap((j: any) =>
      j.steps.flatMap((s: { with?: { command?: string }; run?: string }) => [
        ...(s.with?.command ? [s.with.command] : []),
        ...(s.run ? [...s.run.matchAll(/accessctl ([^|)]+)/g)].map((m) => m[1]!.trim()) : []),
      ]),
    );
    expect(lines.length).toBe(3);
    for (const line of lines) expect(knownCommand(line.replace(/\$\{\{[^}]+\}\}/g, 'x').split(/\s+/)), line).toBe(true);
  });
});
