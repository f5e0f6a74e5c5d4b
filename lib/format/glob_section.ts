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
 * | 32      | offset of the programs: `W` × `i32` (layout in lib/pattern/glob_program.ts) |
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
 * the tables are described in lib/pattern/aho_corasick_tables.ts. The named offsets below
 * ({@linkcode GLOB_HEADER}, {@linkcode ROW_WORDS}, {@linkcode DESCRIPTOR}, …) are what the
 * encoder writes and ./glob_index.ts reads.
 *
 * Patterns are numbered in order of decreasing specificity (ties keep input order), so "most
 * specific first" is ascending pattern number. `dataOffset` is an offset from the start of the
 * MMDB data section.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import { SectionWriter } from "./_section_view.ts";
import type { SectionParts } from "./section_parts.ts";
import {
  buildAhoCorasick,
  DENSE16_MAX_STATES,
  EDGE_WORDS,
  GlobProgramSet,
  narrowDenseRows,
  NODE_WORDS,
  type PieceList,
  PieceRarity,
  Utf8Buffer,
  utf8Put,
} from "../pattern/mod.ts";

/** The glob section's magic (7 bytes) followed by its version byte. */
export const GLOB_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x58, 0x59, 0x47, 0x4c, 0x42, 0, 2);
/** The version byte this code reads and writes. */
export const GLOB_VERSION = 2;

/** Header bytes: the fixed fields and the three index descriptors. */
export const GLOB_HEADER = 192;
/** Header field: flags ({@linkcode GLOB_CASE_INSENSITIVE}). */
export const GLOB_FLAGS = 8;
/** Header field: the pattern count `P`. */
export const GLOB_PATTERNS = 12;
/** Header field: the always-check count `A`. */
export const GLOB_ALWAYS = 16;
/** Header field: the program words `W`. */
export const GLOB_PROGRAM_WORDS = 20;
/** Header field: the pattern text bytes `T`. */
export const GLOB_TEXT_BYTES = 24;
/** Header field: where the pattern table starts. */
export const GLOB_ROWS_AT = 28;
/** Header field: where the programs start. */
export const GLOB_PROGRAMS_AT = 32;
/** Header field: where the pattern texts start. */
export const GLOB_TEXTS_AT = 36;
/** Header field: where the always-check list starts. */
export const GLOB_ALWAYS_AT = 40;
/** Header offset of the first index descriptor (infix, then prefix, then suffix). */
export const GLOB_INDEXES = 48;
/** Flag: programs and pieces are case-folded. */
export const GLOB_CASE_INSENSITIVE = 1;

/** Bytes of one index descriptor. */
export const DESCRIPTOR = 48;
/** Descriptor field: the state count `S`. */
export const DESC_STATES = 0;
/** Descriptor field: the edge pair count `E`. */
export const DESC_EDGES = 4;
/** Descriptor field: the output count `O`. */
export const DESC_OUTPUTS = 8;
/** Descriptor field: the dense state count `K`. */
export const DESC_DENSE_STATES = 12;
/** Descriptor field: the byte class count `C`. */
export const DESC_CLASSES = 16;
/** Descriptor field: flags ({@linkcode DESC_RESOLVED}, {@linkcode DESC_DENSE16}). */
export const DESC_FLAGS = 20;
/** Descriptor field: where the state records start. */
export const DESC_NODES_AT = 24;
/** Descriptor field: where the edge pairs start. */
export const DESC_EDGES_AT = 28;
/** Descriptor field: where `outStart` starts. */
export const DESC_OUT_START_AT = 32;
/** Descriptor field: where `outList` starts. */
export const DESC_OUT_LIST_AT = 36;
/** Descriptor field: where the 256 byte classes start. */
export const DESC_CLASSES_AT = 40;
/** Descriptor field: where the dense rows start. */
export const DESC_DENSE_AT = 44;
/** Descriptor flag: the dense rows follow failure links (the infix automaton). */
export const DESC_RESOLVED = 1;
/** Descriptor flag: the dense entries are 16-bit. */
export const DESC_DENSE16 = 2;

/** Words per pattern row. */
export const ROW_WORDS = 6;
/** Row word: where the pattern's text starts in the texts. */
export const ROW_TEXT_AT = 0;
/** Row word: the text's length in bytes. */
export const ROW_TEXT_LENGTH = 1;
/** Row word: where the program starts, in words. */
export const ROW_PROGRAM_AT = 2;
/** Row word: the program's length in words. */
export const ROW_PROGRAM_LENGTH = 3;
/** Row word: the data offset. */
export const ROW_DATA_OFFSET = 4;
/** Row word: the specificity. */
export const ROW_SPECIFICITY = 5;
// Dense-row budgets (entries): the automaton is scanned over every query byte, so it gets a
// full DFA up to 4 MiB; the tries are walked a few bytes deep and need only their top levels.
const AUTOMATON_BUDGET = 1 << 18;
const TRIE_BUDGET = 1 << 16;
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
  const rows = new Uint32Array(P * ROW_WORDS);
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
  // Each pattern's three pieces `[from, to)` in input order, counted after this loop in a tight
  // loop of their own (their probes into the count table then overlap).
  const pieceRange = new Int32Array(6 * P);
  for (let i = 0; i < P; i++) {
    const g = index[i], id = rank[i];
    // Each pattern's pieces are judged by the other patterns' text.
    rarity.removeProgram(all, set.programStart(g));
    logP[3 * id] = rarity.rarestRun(all, set.programStart(g));
    infix[2 * i] = rarity.runFrom;
    infix[2 * i + 1] = rarity.runTo;
    pieceRange[6 * i] = rarity.runFrom;
    pieceRange[6 * i + 1] = rarity.runTo;
    for (let k = 1; k < 3; k++) {
      const from = set.pieceStart(g, ANCHORED[k]!), to = set.pieceEnd(g, ANCHORED[k]!);
      pieceRange[6 * i + 2 * k] = from;
      pieceRange[6 * i + 2 * k + 1] = to;
      logP[3 * id + k] = to > from ? rarity.logProbability(all, from, to) : 0;
    }
    rarity.addProgram(all, set.programStart(g));
  }
  for (let i = 0; i < P; i++) {
    const id = rank[i];
    for (let k = 0; k < 3; k++) {
      counts.add(id, k, all, pieceRange[6 * i + 2 * k], pieceRange[6 * i + 2 * k + 1]);
    }
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
    const row = id * ROW_WORDS;
    rows[row + ROW_TEXT_AT] = at;
    rows[row + ROW_TEXT_LENGTH] = textBuf.length - at;
    rows[row + ROW_PROGRAM_AT] = w;
    const len = set.programLength(g);
    rows[row + ROW_PROGRAM_LENGTH] = len;
    const off = entries[i].dataOffset;
    if (!Number.isInteger(off) || off < 0 || off > 0xffffffff) {
      throw new RangeError(`Glob "${entries[i].text}" has an invalid data offset ${off}`);
    }
    rows[row + ROW_DATA_OFFSET] = off;
    rows[row + ROW_SPECIFICITY] = set.specificity(g);
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
  if (automata.every((a) => a.nodes.length / NODE_WORDS <= DENSE16_MAX_STATES)) {
    automata = automata.map(narrowDenseRows);
  }
  const wr = new SectionWriter();
  const header = new Uint8Array(GLOB_HEADER);
  wr.bytes(header);
  const dv = new DataView(header.buffer);
  header.set(GLOB_MAGIC, 0);
  dv.setUint32(GLOB_FLAGS, fold ? GLOB_CASE_INSENSITIVE : 0, true);
  dv.setUint32(GLOB_PATTERNS, P, true);
  dv.setUint32(GLOB_ALWAYS, always.length, true);
  dv.setUint32(GLOB_PROGRAM_WORDS, words, true);
  dv.setUint32(GLOB_TEXT_BYTES, textLen, true);
  dv.setUint32(GLOB_ROWS_AT, wr.u32(rows), true);
  dv.setUint32(GLOB_PROGRAMS_AT, wr.u32(programs), true);
  dv.setUint32(GLOB_TEXTS_AT, wr.bytes(allText), true);
  dv.setUint32(GLOB_ALWAYS_AT, wr.u32(always), true);
  automata.forEach((ac, k) => {
    const at = GLOB_INDEXES + DESCRIPTOR * k;
    dv.setUint32(at + DESC_STATES, ac.nodes.length / NODE_WORDS, true);
    dv.setUint32(at + DESC_EDGES, ac.edges.length / EDGE_WORDS, true);
    dv.setUint32(at + DESC_OUTPUTS, ac.outList.length, true);
    dv.setUint32(at + DESC_DENSE_STATES, ac.denseStates, true);
    dv.setUint32(at + DESC_CLASSES, ac.classCount, true);
    const wide = !(ac.dense instanceof Uint16Array);
    dv.setUint32(
      at + DESC_FLAGS,
      (ac.resolved ? DESC_RESOLVED : 0) | (wide ? 0 : DESC_DENSE16),
      true,
    );
    dv.setUint32(at + DESC_NODES_AT, wr.u32(ac.nodes), true);
    dv.setUint32(at + DESC_EDGES_AT, wr.u32(ac.edges), true);
    dv.setUint32(at + DESC_OUT_START_AT, wr.u32(ac.outStart), true);
    dv.setUint32(at + DESC_OUT_LIST_AT, wr.u32(ac.outList), true);
    dv.setUint32(at + DESC_CLASSES_AT, wr.bytes(ac.classes), true);
    dv.setUint32(
      at + DESC_DENSE_AT,
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
