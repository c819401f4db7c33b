// How access impact names people and groups: by email, a bounded number of them and "and N more",
// with every name clipped so a platform-supplied name cannot make a message unbounded.
import type { DirectoryView } from './directory.js';

/** People named in one impact item or answer: how many, and the first few by email. */
export interface PeopleList {
  count: number;
  /** At most PEOPLE_SHOWN (or the `shown` asked for), sorted. */
  emails: string[];
}

export const PEOPLE_SHOWN = 10;
export const NAME_LIMIT = 200;

/** A name from the config or the platform, at most NAME_LIMIT characters. */
export function clipName(name: string): string {
  return name.length <= NAME_LIMIT ? name : `${name.slice(0, NAME_LIMIT - 1)}…`;
}

export function peopleList(view: DirectoryView, users: Iterable<number>, shown: number = PEOPLE_SHOWN): PeopleList {
  const order = view.labelOrder();
  if (shown === Number.POSITIVE_INFINITY) {
    // Everyone (explain --all-people): one sort by label order, not an insertion per person.
    const all = Int32Array.from(users).sort((a, b) => order[a]! - order[b]!);
    return { count: all.length, emails: Array.from(all, (user) => clipName(view.label(user))) };
  }
  // The first `shown` people in label order, kept while counting: no sort of thousands of emails.
  const first: number[] = [];
  let count = 0;
  for (const user of users) {
    count++;
    if (shown === 0) continue;
    const place = order[user]!;
    if (first.length === shown && place >= order[first[shown - 1]!]!) continue;
    let at = first.length;
    while (at > 0 && order[first[at - 1]!]! > place) at--;
    first.splice(at, 0, user);
    if (first.length > shown) first.pop();
  }
  return { count, emails: first.map((user) => clipName(view.label(user))) };
}

/** "a, b and 3 more", or "nobody". */
export function describePeople(list: PeopleList): string {
  if (list.count === 0) return 'nobody';
  const more = list.count - list.emails.length;
  const shown = list.emails.join(', ');
  return more > 0 ? `${shown} and ${more.toLocaleString('en-US')} more` : shown;
}

export function countOf(n: number, one: string, many: string = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** "A", "A and B", "A, B and C", or the first three and how many more. */
export function listNames(names: readonly string[], limit: number = 3): string {
  const clipped = names.slice(0, limit).map(clipName);
  const more = names.length - clipped.length;
  if (more > 0) return `${clipped.join(', ')} and ${more} more`;
  if (clipped.length <= 1) return clipped.join('');
  return `${clipped.slice(0, -1).join(', ')} and ${clipped.at(-1)}`;
}
