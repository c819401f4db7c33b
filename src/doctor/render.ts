// Renders a doctor report: a table for terminals, JSON for scripts. Text from the platform is
// made printable; nothing here reads or writes anything else.
import { printable } from '../plan/printable.js';
import type { DoctorReport } from './probe.js';

const mark = { ok: '✓', warn: '!', fail: '✗', info: '·' } as const;

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

export function renderDoctorText(report: DoctorReport): string {
  const org = report.orgId === undefined ? '' : `, org ${printable(report.orgId)}`;
  const out = [`accessctl doctor: ${printable(report.target)}${org} (read-only: GET requests only)`, ''];
  out.push(...table([['', 'check', 'result'], ...report.checks.map((c) => [mark[c.status], c.id, printable(c.summary)])]), '');
  if (report.kinds.length > 0) {
    out.push('What accessctl can manage here:');
    out.push(
      ...table([
        ['kind', 'manageable', 'in this repo', 'why'],
        ...report.kinds.map((k) => [k.kind, k.manageable ? 'yes' : 'no', k.declared ? 'yes' : '-', k.why]),
      ]),
      '',
    );
  }
  if (report.enums.length > 0) {
    out.push('Enum values in the live flows and settings:');
    out.push(
      ...table([
        ['field', 'value', 'known', 'used by'],
        ...report.enums.map((e) => [e.field, JSON.stringify(printable(e.value)), e.known ? 'yes' : 'NO', printable(e.objects.join(', '))]),
      ]),
      '',
    );
  }
  out.push(
    report.ok
      ? 'Result: ok, everything this repo uses can be managed on this target.'
      : report.kinds.some((k) => k.declared)
        ? 'Result: NOT ready; see the checks marked ✗ and the kinds marked "no" that the repo uses.'
        : 'Result: NOT ready; see the checks marked ✗.',
    '',
  );
  return out.join('\n');
}

export function renderDoctorJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
