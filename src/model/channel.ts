// A notification channel that the repo keeps itself (a sandbox extension: JumpCloud publishes no
// channel API). Secret values are never in the model; they are compared by fingerprint only.

/** A header's value: literal text, or a secret (never shown). */
export type HeaderModel = string | { secret: true };

export interface ChannelSpecModel {
  url: string;
  enabled: boolean;
  verifySsl: boolean;
  /** By lower-cased header name. */
  headers: Record<string, HeaderModel>;
  /** Names of the URL placeholders filled from secrets. */
  placeholders: string[];
  signed: boolean;
}

export interface ChannelModel {
  name: string;
  spec: ChannelSpecModel;
  /**
   * Whether the secret values are the ones live: `unknown` when a value is not in this
   * environment, `new` when there is no live channel to compare with.
   */
  secrets: 'live' | 'changed' | 'unknown' | 'new';
}
