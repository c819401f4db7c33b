// The canonical order and spelling both sides of a diff are put in: name keys (NFC + case-folded,
// with a shortcut for ASCII that must agree with the full rule), names sorted by key, and
// durations in their shortest spelling, the same on every call.
import { describe, expect, it } from 'vitest';
import { nameKey } from '../../src/config/names.js';
import { byNameKey, canonicalDuration, sortNames } from '../../src/jumpcloud/model-order.js';

describe('nameKey', () => {
  it('folds ASCII names as the full rule does', () => {
    for (const name of ['GitHub Admins', 'ops-ONCALL_2', ' ~!@#$%^&*()[]{}|\\;:\'",.<>/?`', '']) {
      expect(nameKey(name)).toBe(name.normalize('NFC').toUpperCase().toLowerCase());
    }
  });

  it('folds what only the full rule folds: ß to ss, decomposed to composed, and a Unicode upper case', () => {
    expect(nameKey('Straße')).toBe('strasse');
    expect(nameKey('Cafe\u0301')).toBe(nameKey('Café'));
    expect(nameKey('ÉQUIPE')).toBe('équipe');
  });
});

describe('sortNames', () => {
  it('sorts as byNameKey does, and copies short lists', () => {
    const names = ['beta', 'Alpha', 'Straße', 'strasse', 'ÉQUIPE', 'Équipe', 'alpha', 'Zulu'];
    expect(sortNames(names)).toEqual([...names].sort(byNameKey));
    const one = ['Only'];
    expect(sortNames(one)).toEqual(one);
    expect(sortNames(one)).not.toBe(one);
  });
});

describe('canonicalDuration', () => {
  it('spells a duration the same on every call, and leaves what is not a duration as written', () => {
    for (let i = 0; i < 3; i++) {
      expect(canonicalDuration('PT48H')).toBe('P2D');
      expect(canonicalDuration('P1DT0H')).toBe('P1D');
      expect(canonicalDuration('three days')).toBe('three days');
    }
  });
});
