/**
 * Escaping of text that came from the other side (a client's query in a server's message, a
 * server's message or name in a client's error), so that it cannot drive a terminal or a log.
 *
 * @module
 */

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text with control characters (C0, DEL, C1, line separators, bidirectional overrides) written
 * as `\xNN` / `\uNNNN`.
 *
 * @param s The text.
 * @returns The escaped text (the same string when there was nothing to escape).
 */
export function printable(s: string): string {
  return s.replace(CONTROL, (ch) => {
    const c = ch.charCodeAt(0);
    return c < 0x100 ? `\\x${c.toString(16).padStart(2, "0")}` : `\\u${c.toString(16)}`;
  });
}
