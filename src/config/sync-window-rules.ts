// The checks a schema cannot make on the project's sync windows: each time zone is one this
// runtime knows (IANA, through Intl), and no window is empty. They run offline, with validate.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { DesiredState } from './desired.js';
import type { Project } from './kinds.generated.js';
import type { Loose } from './salvage.js';
import { diagnosticFor } from './source.js';

/** Whether Intl knows the time zone (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function checkSyncWindows(state: DesiredState, diagnostics: Diagnostic[]): void {
  const project = state.project;
  // The project may be the valid parts of one that breaks its schema (salvage.ts): a window's missing fields are not checked.
  const spec: Loose<Project['spec']> | undefined = project?.object.spec;
  const windows = spec?.syncWindows;
  if (!project || !windows) return;
  windows.forEach((window, i) => {
    if (window.timeZone !== undefined && !isTimeZone(window.timeZone)) {
      diagnostics.push(
        diagnosticFor(
          project.source,
          ['spec', 'syncWindows', i, 'timeZone'],
          'error',
          'unknown-time-zone',
          `unknown time zone "${window.timeZone}": use an IANA name such as Europe/Berlin, America/New_York or UTC`,
        ),
      );
    }
    if (window.start !== undefined && window.start === window.end) {
      diagnostics.push(
        diagnosticFor(
          project.source,
          ['spec', 'syncWindows', i, 'end'],
          'error',
          'empty-sync-window',
          `the window opens and closes at ${window.start}; for a whole day write start: "00:00" and end: "24:00"`,
        ),
      );
    }
  });
}
