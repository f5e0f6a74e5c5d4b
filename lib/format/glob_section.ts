/**
 * The glob section of a `.mxy` file: compiled glob programs, the pattern table and three
 * candidate indexes over the patterns' literal pieces (a trie of the pieces a match must start
 * with, a trie of the reversed pieces it must end with, and an Aho-Corasick automaton over the
 * pieces found anywhere), as offset-addressed little-endian tables viewed in place at open
 * (nothing is rebuilt).
 *
 * Layout (every table 8-byte aligned from the section start; all fields `u32`):
 *
 * | offset  | field                                                                   |
 * | ------- | ----------------------------------------------------------------------- |
 * | 0       | magic `"MXYGLB\0"` and version byte `0x02` (8 bytes)                    |
 * | 8       | flags: bit 0 = case-insensitive (programs and pieces are case-folded)   |
 * | 12      | pattern count `P`                                                       |
 * | 16      | always-check count `A`                                                  |
 * | 20      | program words `W`                                                       |
 * | 24      | pattern text bytes `T`                                                  |
 * | 28      | offset of the pattern table: `P` rows of 6 words `textOffset, textLength, programOffset (in words), programLength, dataOffset, specificity` |
 * | 32      | offset of the programs: `W` × `i32` (layout in lib/db/glob.ts)           |
 * | 36      | offset of the pattern texts: `T` bytes of UTF-8, as written in the input |
 * | 40      | offset of the always-check list: `A` words (patterns without a piece)   |
 * | 44      | reserved, 0                                                             |
 * | 48–95   | infix automaton descriptor                                              |
 * | 96–143  | prefix trie descriptor                                                  |
 * | 144–191 | suffix trie descriptor (pieces stored reversed)                         |
 *
 * A descriptor is 12 words: state count `S`, edge pair count `E`, output count `O`, dense state
 * count `K`, byte class count `C`, flags (bit 0: dense rows resolved through failure links,
 * set for the automaton and clear for the two tries; bit 1: 16-bit dense entries), then the offsets of the state records
 * (`S` × 4 × `i32`), the edge pairs (`E` × 2 × `i32`), `outStart` (`S + 1` words), `outList`
 * (`O` pattern numbers), the byte classes (256 bytes) and the dense rows (`K` × `C` entries,
 * `u16` when flag bit 1 is set, else `i32`);
 * the tables are described in lib/db/aho_corasick.ts.
 *
 * Patterns are numbered in order of decreasing specificity (ties keep input order), so "most
 * specific first" is ascending pattern number. `dataOffset` is an offset from the start of the
 * MMDB data section.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import { decodeUtf8, Utf8Buffer, utf8Put } from "./_case_fold.ts";
import {
  i32View,
  type SectionParts,
  SectionWriter,
  u16View,
  u32View,
  u8View,
} from "./_section_view.ts";
import { GlobProgramSet } from "../db/glob.ts";
import { PieceRarity } from "./_piece_rarity.ts";
import {
  AhoCorasick,
  buildAhoCorasick,
  narrowDenseRows,
  type PieceList,
} from "../db/aho_corasick.ts";

/** The glob section's magic (7 bytes) followed by its version byte. */
export const GLOB_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x58, 0x59, 0x47, 0x4c, 0x42, 0, 2);

const HEADER = 192;
const DESC = 48;
// Dense-row budgets (entries): the automaton is scanned over every query byte, so it gets a
// full DFA up to 4 MiB; the tries are walked a few bytes deep and need only their top levels.
const AUTOMATON_BUDGET = 1 << 18;
const TRIE_BUDGET = 1 << 16;
const ROW = 6;
// ln(8^-6): a piece rarer than this is as good an index key as any rarer one.
const RARE_ENOUGH = -6 * Math.log(8);

/** One glob to store. */
export interface GlobEntry {
  /** The pattern text, as written in the input. */
  text: string;
  /** Its data: an offset into the MMDB data section. */
  dataOffset: number;
  /**
   * Its index in {@linkcode GlobSectionOptions.programs}, when the caller compiled it already
   * (with the section's case mode).
   */
  program?: number;
}

/** Options for {@linkcode encodeGlobSection}. */
export interface GlobSectionOptions {
  /** Compile patterns case-insensitively. Default false. */
  caseInsensitive?: boolean;
  /**
   * Programs the caller compiled already (with the same case mode), referred to by the entries'
   * `program` index; entries without one are compiled here.
   */
  programs?: GlobProgramSet;
}

/**
 * How many patterns share each candidate piece, per kind (0 infix, 1 prefix, 2 suffix), counted
 * in a typed hash table keyed by a 32-bit hash of the kind and the piece's characters: no string
 * map. Two different pieces with the same hash would share a count, which only blurs the cost
 * estimate below; the result stays deterministic.
 */
class PieceCounts {
  // Pairs (key, count): one cache line per probe.
  #table: Int32Array;
  #mask: number;
  /** Per pattern and kind, the piece's slot (or -1 for an empty piece). */
  readonly slots: Int32Array;

  constructor(patterns: number) {
    let m = 16;
    while (m < 4 * patterns) m *= 2;
    this.#table = new Int32Array(2 * m);
    this.#mask = m - 1;
    this.slots = new Int32Array(3 * patterns);
  }

  /** Counts the piece of `kind` of pattern `id`: code points `words[from..to)`. */
  add(id: number, kind: number, words: Int32Array, from: number, to: number): void {
    if (to <= from) {
      this.slots[3 * id + kind] = -1;
      return;
    }
    let h = Math.imul(0x811c9dc5 ^ kind, 0x01000193);
    for (let i = from; i < to; i++) h = Math.imul(h ^ words[i], 0x01000193);
    h |= 1; // never 0, the empty key
    const t = this.#table;
    let s = (h ^ (h >>> 15)) & this.#mask;
    while (t[2 * s] !== 0 && t[2 * s] !== h) s = (s + 1) & this.#mask;
    t[2 * s] = h;
    t[2 * s + 1]++;
    this.slots[3 * id + kind] = s;
  }

  /**
   * The cost of indexing pattern `id` by its piece of `kind`, whose log-probability at one
   * position of a query is `logP` (see {@linkcode PieceRarity}): the patterns sharing it, times
   * the chance a query holds it (anywhere is likelier than at one end). Below 8⁻⁶ (about one
   * in 260,000) the chance no longer matters.
   */
  cost(id: number, kind: number, logP: number): number {
    const s = this.slots[3 * id + kind];
    if (s < 0) return Infinity;
    return this.#table[2 * s + 1] * (kind === 0 ? 16 : 1) * Math.exp(Math.max(logP, RARE_ENOUGH));
  }
}

// The anchored piece of index kind 1 (prefix trie) and 2 (suffix trie).
const ANCHORED = [null, "prefix", "suffix"] as const;

/**
 * Picks the piece that indexes a pattern: 0 infix, 1 prefix, 2 suffix, 3 none; `logP` holds
 * the log-probabilities of the pattern's three pieces in that order.
 */
function choosePiece(id: number, counts: PieceCounts, logP: Float64Array): number {
  const i = counts.cost(id, 0, logP[3 * id]);
  const p = counts.cost(id, 1, logP[3 * id + 1]);
  const x = counts.cost(id, 2, logP[3 * id + 2]);
  if (p === Infinity && x === Infinity && i === Infinity) return 3;
  if (p <= x && p <= i) return 1;
  return x <= i ? 2 : 0;
}

/**
 * Compiles the patterns and builds a glob section.
 *
 * @param entries The patterns and their data offsets.
 * @param options Case sensitivity.
 * @returns The section bytes (a multiple of 8 long).
 * @throws {GlobError} When a pattern is malformed (the builder checks patterns first).
 * @example
 * ```ts
 * import { encodeGlobSection, GlobIndex } from "./glob_section.ts";
 * import assert from "node:assert/strict";
 * const idx = new GlobIndex(encodeGlobSection([{ text: "*.evil.com", dataOffset: 9 }]));
 * assert.equal(idx.count, 1);
 * assert.equal(idx.text(0), "*.evil.com");
 * assert.equal(idx.dataOffset(0), 9);
 * ```
 */
export function encodeGlobSection(
  entries: GlobEntry[],
  options: GlobSectionOptions = {},
): Uint8Array {
  const parts = encodeGlobSectionParts(entries, options);
  const out = new Uint8Array(parts.length);
  parts.writeTo(out, 0);
  return out;
}

/**
 * {@linkcode encodeGlobSection} without the final copy: the section as parts that the builder
 * writes straight into the file.
 *
 * @param entries The patterns and their data offsets.
 * @param options Case sensitivity.
 * @returns The section's length and writer.
 * @throws {GlobError} When a pattern is malformed (the builder checks patterns first).
 * @example
 * ```ts
 * import { encodeGlobSectionParts, GlobIndex } from "./glob_section.ts";
 * import assert from "node:assert/strict";
 * const parts = encodeGlobSectionParts([{ text: "*.evil.com", dataOffset: 9 }]);
 * const bytes = new Uint8Array(parts.length);
 * parts.writeTo(bytes, 0);
 * assert.equal(new GlobIndex(bytes).text(0), "*.evil.com");
 * ```
 */
export function encodeGlobSectionParts(
  entries: GlobEntry[],
  options: GlobSectionOptions = {},
): SectionParts {
  const fold = options.caseInsensitive === true;
  const P = entries.length;
  const set = options.programs ?? new GlobProgramSet();
  const index = new Int32Array(P); // input index → program index in `set`
  let maxSpec = 0;
  for (let i = 0; i < P; i++) {
    const e = entries[i];
    const g = e.program !== undefined && options.programs !== undefined
      ? e.program
      : set.add(e.text, fold);
    index[i] = g;
    if (set.specificity(g) > maxSpec) maxSpec = set.specificity(g);
  }
  // Pattern numbers: decreasing specificity, ties in input order (a counting sort: scores are
  // small integers).
  const bucket = new Int32Array(maxSpec + 2);
  for (let i = 0; i < P; i++) bucket[maxSpec - set.specificity(index[i]) + 1]++;
  for (let k = 1; k < bucket.length; k++) bucket[k] += bucket[k - 1];
  const rank = new Int32Array(P); // input index → pattern number
  for (let i = 0; i < P; i++) rank[i] = bucket[maxSpec - set.specificity(index[i])]++;
  // The tables below are filled in input order (sequential reads; pattern rows point to their
  // text, program and piece wherever they landed).
  const textBuf = new Utf8Buffer();
  let pieceBytes = new Uint8Array(1024);
  const kinds = new Uint8Array(P); // 0 infix, 1 prefix, 2 suffix, 3 none
  let words = 0;
  for (let i = 0; i < P; i++) words += set.programLength(index[i]);
  const programs = new Int32Array(words);
  const rows = new Uint32Array(P * ROW);
  // How many patterns share each candidate piece: a piece many patterns share (".com") makes a
  // poor index key, whatever its length.
  const counts = new PieceCounts(P);
  const all = set.words;
  // The infix piece of each pattern is its rarest literal run (by the patterns' own text),
  // which need not be its longest: `[from, to)` per input index.
  const rarity = new PieceRarity();
  for (let i = 0; i < P; i++) rarity.addProgram(all, set.programStart(index[i]));
  const infix = new Int32Array(2 * P);
  const logP = new Float64Array(3 * P);
  for (let i = 0; i < P; i++) {
    const g = index[i], id = rank[i];
    // Each pattern's pieces are judged by the other patterns' text.
    rarity.removeProgram(all, set.programStart(g));
    logP[3 * id] = rarity.rarestRun(all, set.programStart(g));
    infix[2 * i] = rarity.runFrom;
    infix[2 * i + 1] = rarity.runTo;
    counts.add(id, 0, all, rarity.runFrom, rarity.runTo);
    for (let k = 1; k < 3; k++) {
      const from = set.pieceStart(g, ANCHORED[k]!), to = set.pieceEnd(g, ANCHORED[k]!);
      counts.add(id, k, all, from, to);
      logP[3 * id + k] = to > from ? rarity.logProbability(all, from, to) : 0;
    }
    rarity.addProgram(all, set.programStart(g));
  }
  const lists: PieceList[] = [0, 1, 2].map(() => ({
    bytes: pieceBytes,
    start: new Int32Array(P),
    end: new Int32Array(P),
  }));
  let alwaysCount = 0;
  let w = 0;
  let pieceLen = 0;
  for (let i = 0; i < P; i++) {
    const g = index[i], id = rank[i];
    const at = textBuf.append(entries[i].text, false);
    rows[id * ROW] = at;
    rows[id * ROW + 1] = textBuf.length - at;
    rows[id * ROW + 2] = w;
    const len = set.programLength(g);
    rows[id * ROW + 3] = len;
    const off = entries[i].dataOffset;
    if (!Number.isInteger(off) || off < 0 || off > 0xffffffff) {
      throw new RangeError(`Glob "${entries[i].text}" has an invalid data offset ${off}`);
    }
    rows[id * ROW + 4] = off;
    rows[id * ROW + 5] = set.specificity(g);
    for (let k = 0, from = set.programStart(g); k < len; k++) programs[w + k] = all[from + k];
    w += len;
    const k = choosePiece(id, counts, logP);
    kinds[id] = k;
    if (k === 3) {
      alwaysCount++;
      continue;
    }
    // The piece's UTF-8 bytes (reversed for the suffix trie).
    const from = k === 0 ? infix[2 * i] : set.pieceStart(g, ANCHORED[k]!);
    const to = k === 0 ? infix[2 * i + 1] : set.pieceEnd(g, ANCHORED[k]!);
    if (pieceLen + 4 * (to - from) > pieceBytes.length) {
      const next = new Uint8Array(2 * pieceBytes.length + 4 * (to - from));
      next.set(pieceBytes.subarray(0, pieceLen));
      pieceBytes = next;
    }
    const a = pieceLen;
    for (let c = from; c < to; c++) pieceLen = utf8Put(all[c], pieceBytes, pieceLen);
    if (k === 2) {
      for (let x = a, y = pieceLen - 1; x < y; x++, y--) {
        const t = pieceBytes[x];
        pieceBytes[x] = pieceBytes[y];
        pieceBytes[y] = t;
      }
    }
    lists[k].start[id] = a;
    lists[k].end[id] = pieceLen;
  }
  for (const list of lists) list.bytes = pieceBytes;
  const always = new Uint32Array(alwaysCount);
  for (let id = 0, x = 0; id < P; id++) if (kinds[id] === 3) always[x++] = id;
  const allText = textBuf.bytes();
  const textLen = allText.length;
  let automata = lists.map((list, k) =>
    buildAhoCorasick(list, {
      resolve: k === 0,
      denseBudget: k === 0 ? AUTOMATON_BUDGET : TRIE_BUDGET,
      denseWidth: 32,
    })
  );
  // One entry width for the whole section (the query walks all three with the same code):
  // 16-bit when every index has at most 32,767 states.
  if (automata.every((a) => a.nodes.length / 4 <= 0x7fff)) automata = automata.map(narrowDenseRows);
  const wr = new SectionWriter();
  const header = new Uint8Array(HEADER);
  wr.bytes(header);
  const dv = new DataView(header.buffer);
  header.set(GLOB_MAGIC, 0);
  dv.setUint32(8, fold ? 1 : 0, true);
  dv.setUint32(12, P, true);
  dv.setUint32(16, always.length, true);
  dv.setUint32(20, words, true);
  dv.setUint32(24, textLen, true);
  dv.setUint32(28, wr.u32(rows), true);
  dv.setUint32(32, wr.u32(programs), true);
  dv.setUint32(36, wr.bytes(allText), true);
  dv.setUint32(40, wr.u32(always), true);
  automata.forEach((ac, k) => {
    const at = 48 + DESC * k;
    dv.setUint32(at, ac.nodes.length / 4, true);
    dv.setUint32(at + 4, ac.edges.length / 2, true);
    dv.setUint32(at + 8, ac.outList.length, true);
    dv.setUint32(at + 12, ac.denseStates, true);
    dv.setUint32(at + 16, ac.classCount, true);
    const wide = !(ac.dense instanceof Uint16Array);
    dv.setUint32(at + 20, (ac.resolved ? 1 : 0) | (wide ? 0 : 2), true);
    dv.setUint32(at + 24, wr.u32(ac.nodes), true);
    dv.setUint32(at + 28, wr.u32(ac.edges), true);
    dv.setUint32(at + 32, wr.u32(ac.outStart), true);
    dv.setUint32(at + 36, wr.u32(ac.outList), true);
    dv.setUint32(at + 40, wr.bytes(ac.classes), true);
    dv.setUint32(
      at + 44,
      wide ? wr.u32(ac.dense as Int32Array) : wr.u16(ac.dense as Uint16Array),
      true,
    );
  });
  const out = wr.parts();
  if (out.length > 0xffffffff) {
    throw new FormatError("bad-input", `Glob section exceeds 4 GiB (${out.length} bytes)`);
  }
  return out;
}

/** Options for {@linkcode GlobIndex}. */
export interface GlobIndexOptions {
  /** The section's absolute offset in the file, for error messages. Default 0. */
  fileOffset?: number;
}

/**
 * A glob section viewed in place: pattern rows, programs and the automaton, all typed-array
 * views of the section bytes (copied only on big-endian hosts or unaligned buffers).
 *
 * @example
 * ```ts
 * import { encodeGlobSection, GlobIndex } from "./glob_section.ts";
 * import assert from "node:assert/strict";
 * const idx = new GlobIndex(encodeGlobSection([
 *   { text: "*", dataOffset: 1 },
 *   { text: "*.example.com", dataOffset: 2 },
 * ]));
 * assert.equal(idx.text(0), "*.example.com"); // more specific first
 * assert.deepEqual([...idx.always], [1]);
 * ```
 */
export class GlobIndex {
  #rows: Uint32Array;
  #texts: Uint8Array;
  #base: number;
  /** The program words of every pattern. */
  readonly programs: Int32Array;
  /** The automaton over the unanchored ("infix") fixed pieces. */
  readonly automaton: AhoCorasick;
  /** The trie of pieces every match starts with, walked from the query's first byte. */
  readonly prefixTrie: AhoCorasick;
  /** The trie of reversed pieces every match ends with, walked from the query's last byte. */
  readonly suffixTrie: AhoCorasick;
  /** Patterns without a fixed piece, checked against every query. */
  readonly always: Uint32Array;
  /** The number of patterns. */
  readonly count: number;
  /** Whether programs and pieces are case-folded (queries must be folded too). */
  readonly caseInsensitive: boolean;

  /**
   * @param section The section bytes (starting with the magic).
   * @param options Where the section is in the file, for errors.
   * @throws {FormatError} With code `bad-section` when the header or a table is invalid.
   */
  constructor(section: Uint8Array, options: GlobIndexOptions = {}) {
    const base = options.fileOffset ?? 0;
    this.#base = base;
    if (section.length < HEADER) {
      throw new FormatError("bad-section", "Glob section is shorter than its header", base);
    }
    for (let i = 0; i < 7; i++) {
      if (section[i] !== GLOB_MAGIC[i]) {
        throw new FormatError("bad-section", 'Glob section magic "MXYGLB" not found', base);
      }
    }
    if (section[7] !== 2) {
      throw new FormatError(
        "bad-section",
        `Glob section version ${section[7]} is not supported (expected 2; rebuild the file ` +
          `with this version of mxy)`,
        base + 7,
      );
    }
    const dv = new DataView(section.buffer, section.byteOffset, HEADER);
    const u = (k: number) => dv.getUint32(k, true);
    const P = u(12), A = u(16), W = u(20), T = u(24);
    this.count = P;
    this.caseInsensitive = (u(8) & 1) !== 0;
    this.#rows = u32View(section, u(28), P * ROW, "glob patterns", base);
    this.programs = i32View(section, u(32), W, "glob programs", base);
    this.#texts = u8View(section, u(36), T, "glob texts", base);
    this.always = u32View(section, u(40), A, "glob always list", base);
    const names = ["infix automaton", "prefix trie", "suffix trie"];
    const automata = names.map((name, k) => {
      const at = 48 + DESC * k;
      const S = u(at), E = u(at + 4), O = u(at + 8), K = u(at + 12), C = u(at + 16);
      const flags = u(at + 20);
      if (S < 1 || S > 0x3fffffff) {
        throw new FormatError("bad-section", `Glob ${name} has ${S} states`, base + at);
      }
      if (K < 1 || K > S || C < 1 || C > 256) {
        throw new FormatError(
          "bad-section",
          `Glob ${name} has ${K} dense states and ${C} byte classes for ${S} states`,
          base + at + 12,
        );
      }
      if ((flags & ~2) !== (k === 0 ? 1 : 0)) {
        throw new FormatError("bad-section", `Glob ${name} has flags ${flags}`, base + at + 20);
      }
      const narrow = (flags & 2) !== 0;
      return new AhoCorasick({
        nodes: i32View(section, u(at + 24), 4 * S, `${name} states`, base),
        edges: i32View(section, u(at + 28), 2 * E, `${name} edges`, base),
        outStart: u32View(section, u(at + 32), S + 1, `${name} outStart`, base),
        outList: u32View(section, u(at + 36), O, `${name} outList`, base),
        classes: u8View(section, u(at + 40), 256, `${name} byte classes`, base),
        classCount: C,
        denseStates: K,
        dense: narrow
          ? u16View(section, u(at + 44), K * C, `${name} dense rows`, base)
          : i32View(section, u(at + 44), K * C, `${name} dense rows`, base),
        resolved: k === 0,
      });
    });
    this.automaton = automata[0];
    this.prefixTrie = automata[1];
    this.suffixTrie = automata[2];
  }

  /**
   * Checks every table reference (rows, automaton links, outputs, and that no pattern is indexed
   * twice) so that matching an untrusted file cannot read out of bounds or loop. The query side
   * calls this once at open: it is linear in the section size and reads only the index tables,
   * not the data.
   *
   * @throws {FormatError} With code `bad-section` naming the first bad reference.
   */
  verify(): void {
    const bad = (what: string) => {
      throw new FormatError("bad-section", `Glob section: ${what}`, this.#base);
    };
    const P = this.count, W = this.programs.length, T = this.#texts.length;
    const rows = this.#rows;
    for (let id = 0; id < P; id++) {
      const r = id * ROW;
      if (rows[r] + rows[r + 1] > T) bad(`pattern ${id} text leaves the text table`);
      const po = rows[r + 2], pl = rows[r + 3];
      if (pl < 3 || po + pl > W) bad(`pattern ${id} program leaves the program table`);
      this.#verifyProgram(id, po, pl, bad);
    }
    for (const a of this.always) if (a >= P) bad(`always-check entry ${a} is not a pattern`);
    this.automaton.verify(P, bad);
    this.prefixTrie.verify(P, bad);
    this.suffixTrie.verify(P, bad);
    // Each pattern is indexed by one piece at most (the query side relies on it).
    const where = new Uint8Array(P);
    this.prefixTrie.markKeys(where, 1, bad);
    this.suffixTrie.markKeys(where, 2, bad);
    this.automaton.markKeys(where, 3, bad);
  }

  #verifyProgram(id: number, po: number, pl: number, bad: (w: string) => never): void {
    const p = this.programs;
    const end = po + pl;
    const nseg = p[po + 1];
    let at = po + 3;
    let total = 0;
    for (let s = 0; s < nseg; s++) {
      if (at + 2 > end) bad(`pattern ${id} program is truncated`);
      const ops = p[at], cps = p[at + 1];
      const stop = at + 2 + ops;
      if (ops < 0 || cps < 0 || stop > end) bad(`pattern ${id} program segment is out of range`);
      let k = at + 2, n = 0;
      while (k < stop) {
        const op = p[k];
        if (op >= -1) k++;
        else if (op === -2) {
          const nr = p[k + 2];
          if (nr < 0 || k + 3 + 2 * nr > stop) bad(`pattern ${id} set is out of range`);
          k += 3 + 2 * nr;
        } else bad(`pattern ${id} has an unknown op ${op}`);
        n++;
      }
      if (n !== cps) bad(`pattern ${id} segment length does not match its ops`);
      total += cps;
      at = stop;
    }
    if (at !== end || total !== p[po + 2]) bad(`pattern ${id} program lengths are inconsistent`);
  }

  /**
   * Where pattern `id`'s program starts in {@linkcode GlobIndex.programs}.
   *
   * @param id The pattern number.
   * @returns The word offset.
   */
  programStart(id: number): number {
    return this.#rows[id * ROW + 2];
  }

  /**
   * The data offset of pattern `id`.
   *
   * @param id The pattern number.
   * @returns The offset in the data section.
   */
  dataOffset(id: number): number {
    return this.#rows[id * ROW + 4];
  }

  /**
   * The specificity of pattern `id` (see lib/db/glob.ts).
   *
   * @param id The pattern number.
   * @returns The score.
   */
  specificity(id: number): number {
    return this.#rows[id * ROW + 5];
  }

  /**
   * The text of pattern `id`, as written in the input. Allocates the string.
   *
   * @param id The pattern number.
   * @returns The pattern.
   */
  text(id: number): string {
    if (id < 0 || id >= this.count) throw new RangeError(`No glob pattern ${id}`);
    const o = this.#rows[id * ROW], len = this.#rows[id * ROW + 1];
    if (o + len > this.#texts.length) {
      throw new FormatError("bad-section", `Glob pattern ${id} text is out of range`, this.#base);
    }
    return decodeUtf8(this.#texts.subarray(o, o + len));
  }
}
