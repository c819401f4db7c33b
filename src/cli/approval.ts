// Asks before apply changes anything, as Terraform does: the plan is shown, then only the answer
// "yes" goes on. The terminal is passed in, so tests can answer without a real TTY.
import { createInterface } from 'node:readline';

export interface Terminal {
  /** Whether a person can answer: the input is a TTY. */
  readonly interactive: boolean;
  readonly input: NodeJS.ReadableStream;
  /** Where the question goes: stderr, so that stdout keeps only the plan and the report. */
  readonly output: NodeJS.WritableStream;
}

export function processTerminal(): Terminal {
  return { interactive: process.stdin.isTTY === true, input: process.stdin, output: process.stderr };
}

export const approvalQuestion = "Apply these changes? Only 'yes' is accepted: ";

/** Asks once and reads one line: true only for "yes". The end of the input is a no, and so is `signal` aborting. */
export function askApproval(terminal: Terminal, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: terminal.input, terminal: false, ...(signal === undefined ? {} : { signal }) });
    terminal.output.write(`\n${approvalQuestion}`);
    // The first of these settles the answer; closing the interface after a line fires 'close' too.
    lines.once('line', (line) => {
      resolve(line.trim() === 'yes');
      lines.close();
    });
    lines.once('close', () => resolve(false));
  });
}
