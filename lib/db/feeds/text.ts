/**
 * Plain-text feeds: one entry per line. Blank lines and lines starting with `#` are skipped, and
 * a `#` preceded by whitespace starts a trailing comment. Every entry gets an empty map as value.
 *
 * @module
 */
import type { FeedParseOptions, FeedRecord } from "./_record.ts";

/**
 * Parses a plain-text feed.
 *
 * @param text The text.
 * @param options {@linkcode FeedParseOptions}.
 * @returns The records, in file order.
 */
export function* parseTextFeed(
  text: string,
  options: FeedParseOptions = {},
): Generator<FeedRecord> {
  const file = options.file ?? "-";
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = (options.firstLine ?? 1) - 1;
  while (pos < text.length) {
    line++;
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    let s = text.slice(pos, end);
    pos = end + 1;
    const hash = s.search(/\s#/);
    if (hash >= 0) s = s.slice(0, hash);
    s = s.trim();
    if (s === "" || s.startsWith("#")) continue;
    yield { entry: s, data: {}, file, line };
  }
}
