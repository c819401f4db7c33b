// The last answer to each GET a long-lived caller repeats (the reconciler's list pages), kept with
// its parse, deep-frozen: an answer whose bytes are as before comes back as the very same value.
// A warm cycle then parses no unchanged page, and an unchanged live state is known by identity.
import { deepFreeze } from '../model/frozen.js';
import { parsedBody } from './exchange.js';

export interface AnswerMemoLimits {
  /** At most this many answers are kept (the least recently used goes first). */
  maxAnswers: number;
  /** At most this many characters of answer text are kept in all. */
  maxChars: number;
}

/** Enough for the list pages of 100,000 flows (about 85 MB of text at 10,000 flows per 8.5 MB). */
export const defaultAnswerMemoLimits: AnswerMemoLimits = { maxAnswers: 4_096, maxChars: 128 * 1024 * 1024 };

interface Kept {
  text: string;
  value: unknown;
}

export class AnswerMemo {
  private readonly kept = new Map<string, Kept>();
  private chars = 0;
  private reusedCount = 0;
  private parsedCount = 0;

  constructor(private readonly limits: AnswerMemoLimits = defaultAnswerMemoLimits) {}

  /** Answers handed back as kept, without parsing. */
  get reused(): number {
    return this.reusedCount;
  }

  /** Answers parsed (new, or changed since). */
  get parsed(): number {
    return this.parsedCount;
  }

  /** How many answers are kept now. */
  get size(): number {
    return this.kept.size;
  }

  /**
   * The parse of a successful GET's answer `text` to `url` (which names the call, query and all):
   * the kept value when the text is what it was, else a new parse, frozen and kept in its place.
   */
  parse(url: string, text: string): unknown {
    const kept = this.kept.get(url);
    if (kept !== undefined) {
      // Least recently used first: a kept answer moves to the end of the map's order.
      this.kept.delete(url);
      if (kept.text === text) {
        this.kept.set(url, kept);
        this.reusedCount++;
        return kept.value;
      }
      this.chars -= kept.text.length;
    }
    this.parsedCount++;
    const value = parsedBody(text);
    if (text.length > this.limits.maxChars) return value;
    deepFreeze(value);
    this.kept.set(url, { text, value });
    this.chars += text.length;
    for (const [oldest, entry] of this.kept) {
      if (this.kept.size <= this.limits.maxAnswers && this.chars <= this.limits.maxChars) break;
      this.kept.delete(oldest);
      this.chars -= entry.text.length;
    }
    return value;
  }
}
