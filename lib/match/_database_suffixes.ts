/**
 * The last labels of a database's string entries that the Public Suffix List does not know:
 * a feed of `evil.example`, `*.corp.internal` or `c2.lan` asks its matcher to take names ending
 * in `.example`, `.internal` and `.lan` as domains (see `ExtractorOptions.suffixes`).
 *
 * @module
 */
import { type Database, stringMatcherOf } from "../db/database.ts";
import { isDomain, isHostName } from "./_domain.ts";
import { publicSuffixStart } from "./_psl.ts";

/** Characters that make a glob's label a pattern rather than fixed text. */
const GLOB_META = /[*?[\]\\{}]/;
const B_DOT = 0x2e;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * Lists the last labels of the literal and glob entries of `db` that are host names the Public
 * Suffix List does not know as a top-level label (globs only where their last label is fixed
 * text). Reads the literal keys in place.
 *
 * @param db The database.
 * @returns The labels, lower case, each once.
 */
export function databaseSuffixes(db: Database): string[] {
  const m = stringMatcherOf(db);
  if (m === null) return [];
  const out = new Set<string>();
  const dec = new TextDecoder();
  // Keys are grouped by a hash of their last label: the list is consulted once per label, and
  // a label is decoded once, when the first key ending in it is a host name (labels whose hashes
  // collide share a verdict: a label may be missed, one in 2^32).
  const done = new Map<number, boolean>();
  m.literalTable?.forEachKey((bytes, start, end) => {
    let dot = end - 1, h = FNV_OFFSET;
    while (dot > start && bytes[dot] !== B_DOT) h = Math.imul(h ^ (bytes[dot--] | 0x20), FNV_PRIME);
    if (dot <= start || dot === end - 1) return;
    let skip = done.get(h);
    if (skip === undefined) {
      skip = publicSuffixStart(bytes, dot + 1, end) >= 0;
      done.set(h, skip);
    }
    if (skip || !isHostName(bytes, start, end)) return;
    out.add(dec.decode(bytes.subarray(dot + 1, end)).toLowerCase());
    done.set(h, true);
  });
  const globs = m.globIndex;
  if (globs !== null) {
    const enc = new TextEncoder();
    // globs share a few last labels: each is judged once
    const judged = new Set<string>();
    for (let id = 0; id < globs.count; id++) {
      const text = globs.text(id);
      const dot = text.lastIndexOf(".");
      if (dot <= 0 || dot === text.length - 1) continue;
      const label = text.slice(dot + 1).toLowerCase();
      if (judged.has(label)) continue;
      judged.add(label);
      if (out.has(label) || GLOB_META.test(label)) continue;
      // a name of the glob's fixed last label stands for every name it matches
      const sample = enc.encode(`x.${label}`);
      if (!isHostName(sample, 0, sample.length) || isDomain(sample, 0, sample.length)) continue;
      out.add(label);
    }
  }
  return [...out];
}
