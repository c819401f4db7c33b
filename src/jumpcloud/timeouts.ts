// How long an exchange with the platform may take, by stage. Kept apart from exchange.ts, which
// loads undici: the CLI reads these defaults for every command's flags, and `--version` loads no HTTP client.

export interface Timeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}

export const defaultTimeouts: Timeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 };
