// The --profile flag that `sandbox` and `up` share: which way the sandbox answers.
import { InvalidArgumentError } from 'commander';
import { profiles, type Profile } from '../sandbox/profile.js';

export function profileOption(value: string): Profile {
  if (!(profiles as readonly string[]).includes(value)) throw new InvalidArgumentError(`a profile is one of ${profiles.join(', ')}`);
  return value as Profile;
}
