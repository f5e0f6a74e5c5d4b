/**
 * The scanning core of `mxy match`, shared by the main thread and the workers: runs a
 * {@linkcode StreamMatcher} over a byte range of a file or over a stream, and turns each hit into
 * the text of its output record without the file and line number (which the main thread puts in
 * front, once it knows how many lines came before).
 *
 * @module
 */
import { type Database, type MmdbValue, valueToJson } from "../../lib/db/mod.ts";
import { type Matcher, type MatchHit, MatchVia, matchViaName } from "../../lib/match/matcher.ts";
import { type SpanKind, spanKindName } from "../../lib/match/span_kind.ts";
import { StreamMatcher } from "../../lib/match/stream_matcher.ts";
import { FieldFilter, type FieldSelection } from "./_match_fields.ts";
import {
  PLAIN_CSV,
  PLAIN_JSON,
  PLAIN_TEXT,
  RangeRecords,
  type RecordWriter,
  utf8,
} from "./_match_output.ts";

/** Output formats. */
export type MatchFormat = "jsonl" | "csv" | "text";

/** What a scan needs to know besides its input. */
export interface ScanConfig {
  /** Output format. */
  format: MatchFormat;
  /** Print only the matched text. */
  onlyMatching: boolean;
  /** Only count (no record text). */
  countOnly: boolean;
  /** Keep hits in these fields only. */
  fields?: FieldSelection;
  /** Buffer size of the stream matcher. */
  bufferSize?: number;
}

/** What the scan of one range or stream gives. */
export interface ScanResult {
  /** Hits. */
  hits: number;
  /** Line of each hit, from 1 within the range (of each matching line when only counting). */
  hitLines: number[];
  /**
   * When the hits were collected (no sink): the record bytes of each hit after the line number,
   * end to end (empty when only counting); {@linkcode ScanResult.ends} says where each ends.
   */
  records: Uint8Array;
  /** Where the record of each hit ends in {@linkcode ScanResult.records}. */
  ends: number[];
  /** Lines in the range. */
  lines: number;
  /** Bytes in the range. */
  bytes: number;
  /** Spans found, by kind. */
  candidates: number[];
  /** Lookups answered from the matcher's caches. */
  cached: number;
}

/** Receives each hit as it is found: its line within the range and its record text. */
export type HitSink = (line: number, part: string) => void;

/**
 * Receives each hit as it is found, to write its record as bytes (see
 * {@linkcode HitFormatter.formatInto}).
 */
export interface RecordSink {
  /**
   * One hit.
   *
   * @param line Its line within the range.
   * @param hit The hit (reused for the next one).
   * @param at The stream matcher (bytes and offsets).
   * @param formatter The formatter of the scan.
   */
  record(line: number, hit: MatchHit, at: StreamMatcher, formatter: HitFormatter): void;
}

const V_NETWORK = MatchVia.NETWORK;
const B_QUOTE = 0x22;
const B_COMMA = 0x2c;
const OFFSET_KEY = utf8(`,"offset":`);
const TEXT_KEY = utf8(`,"text":`);
const COLON_SPACE = utf8(": ");

const DECODER = new TextDecoder();

/**
 * Slots of the formatter's cache of data texts (a power of two). Entries share data (a feed's
 * source and category), so a few thousand distinct values cover most logs; each slot holds the
 * last data offset that fell in it.
 */
const DATA_SLOTS = 4096;
/** Data texts longer than this are made again for every hit: the cache holds at most
 * `DATA_SLOTS * DATA_MAX_CHARS` characters (8 Mi). */
const DATA_MAX_CHARS = 2048;

/** Spans up to this long are made from their bytes without the decoder when they are ASCII. */
const SHORT_SPAN = 64;

/**
 * Text of `bytes[start, end)` as UTF-8 (invalid sequences as U+FFFD): short ASCII spans (most
 * indicators) without a trip through the decoder.
 */
function spanText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_SPAN) {
    let i = start;
    while (i < end && bytes[i] < 0x80) i++;
    if (i === end) {
      return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
    }
  }
  return DECODER.decode(bytes.subarray(start, end));
}

/** The first four bytes of an address as a 32-bit number. */
function address4(a: Uint8Array): number {
  return (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
}

/** Quotes a CSV field when it needs it. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Makes the per-hit record text; one per scan. */
export class HitFormatter {
  #db: Database;
  #matcher: Matcher;
  #config: ScanConfig;
  /** Data offset held by each slot (-1: none). */
  #dataKeys = new Float64Array(DATA_SLOTS).fill(-1);
  /** The data's record text (JSON, CSV-quoted for CSV) of each slot. */
  #dataTexts: string[] = new Array<string>(DATA_SLOTS).fill("");
  /** The data's record text as UTF-8, when asked for (null: not yet). */
  #dataBytes: (Uint8Array | null)[] = new Array<Uint8Array | null>(DATA_SLOTS).fill(null);
  /** Whether texts are cached (off to compare against the uncached path in tests). */
  #cache: boolean;
  /** The bytes between the text and the entry, by kind × 8 + how it matched. */
  #middles: (Uint8Array | undefined)[] = [];

  /**
   * @param db The database.
   * @param matcher The matcher (for entry texts).
   * @param config The output format.
   * @param cache Whether data texts are cached by data offset (default: yes; no to check).
   */
  constructor(db: Database, matcher: Matcher, config: ScanConfig, cache = true) {
    this.#db = db;
    this.#matcher = matcher;
    this.#config = config;
    this.#cache = cache;
  }

  /**
   * The data of an entry as its record spells it: JSON, quoted as a CSV field for CSV. The data
   * at an offset of a database never changes, so the text is kept by offset.
   */
  #dataText(off: number): string {
    const slot = (Math.imul(off, 0x9e3779b1) >>> 20) & (DATA_SLOTS - 1);
    if (this.#dataKeys[slot] === off) return this.#dataTexts[slot];
    const json = valueToJson(this.#db.decode(off) as MmdbValue);
    const text = this.#config.format === "csv" ? csvField(json) : json;
    if (this.#cache && text.length <= DATA_MAX_CHARS) {
      this.#dataKeys[slot] = off;
      this.#dataTexts[slot] = text;
      this.#dataBytes[slot] = null;
    }
    return text;
  }

  /**
   * The end of a record as UTF-8 — `,"data":DATA}` for JSON Lines, `,DATA` for CSV — kept with
   * {@linkcode #dataText}.
   */
  #dataTail(off: number): Uint8Array {
    const slot = (Math.imul(off, 0x9e3779b1) >>> 20) & (DATA_SLOTS - 1);
    if (this.#dataKeys[slot] === off) {
      const bytes = this.#dataBytes[slot];
      if (bytes !== null) return bytes;
    }
    const text = this.#dataText(off);
    const bytes = utf8(this.#config.format === "jsonl" ? `,"data":${text}}` : `,${text}`);
    // kept when the text was
    if (this.#dataKeys[slot] === off) this.#dataBytes[slot] = bytes;
    return bytes;
  }

  /** The bytes between a record's text and its entry. */
  #middle(kind: SpanKind, via: MatchVia): Uint8Array {
    const key = kind * 8 + via;
    const known = this.#middles[key];
    if (known !== undefined) return known;
    const k = spanKindName(kind);
    const v = matchViaName(via);
    const format = this.#config.format;
    const text = format === "jsonl"
      ? `,"kind":"${k}","match":"${v}","entry":`
      : format === "csv"
      ? `,${k},${v},`
      : ` ${k} ${v} `;
    return this.#middles[key] = utf8(text);
  }

  /**
   * Writes the bytes of {@linkcode format}'s text to `out`, without making the text: ASCII spans
   * are copied, entry and data texts come from the caches.
   *
   * @param hit The hit.
   * @param at The stream matcher (bytes and offsets).
   * @param out Where the bytes go.
   * @param offset The hit's offset in its file (default: its offset in the stream).
   */
  formatInto(
    hit: MatchHit,
    at: StreamMatcher,
    out: RecordWriter,
    offset: number = at.offsetOf(hit.start),
  ): void {
    const bytes = at.bytes;
    const start = hit.start;
    const end = hit.end;
    const format = this.#config.format;
    if (this.#config.onlyMatching) {
      if (!out.plainBytes(bytes, start, end, PLAIN_TEXT, 0)) out.text(spanText(bytes, start, end));
      return;
    }
    const middle = this.#middle(hit.kind as SpanKind, hit.via);
    // IPv4 networks (most network hits) are written from the address, without their text
    const v4 = hit.via === V_NETWORK && hit.ipVersion === 4 && hit.prefixLength <= 32;
    const entry = v4 ? "" : this.#matcher.entryText(hit, bytes);
    if (format === "jsonl") {
      out.bytes(OFFSET_KEY);
      out.number(offset);
      out.bytes(TEXT_KEY);
      if (!out.plainBytes(bytes, start, end, PLAIN_JSON, B_QUOTE)) {
        out.text(JSON.stringify(spanText(bytes, start, end)));
      }
      out.bytes(middle);
      if (v4) out.ipv4Network(address4(hit.address), hit.prefixLength, B_QUOTE);
      else if (!out.plainText(entry, PLAIN_JSON, B_QUOTE)) out.text(JSON.stringify(entry));
      out.bytes(this.#dataTail(hit.dataOffset));
    } else if (format === "csv") {
      out.byte(B_COMMA);
      out.number(offset);
      out.byte(B_COMMA);
      if (!out.plainBytes(bytes, start, end, PLAIN_CSV, 0)) {
        out.text(csvField(spanText(bytes, start, end)));
      }
      out.bytes(middle);
      if (v4) out.ipv4Network(address4(hit.address), hit.prefixLength, 0);
      else if (!out.plainText(entry, PLAIN_CSV, 0)) out.text(csvField(entry));
      out.bytes(this.#dataTail(hit.dataOffset));
    } else {
      out.number(offset);
      out.bytes(COLON_SPACE);
      if (!out.plainBytes(bytes, start, end, PLAIN_TEXT, 0)) out.text(spanText(bytes, start, end));
      out.bytes(middle);
      if (v4) out.ipv4Network(address4(hit.address), hit.prefixLength, 0);
      else out.text(entry);
    }
  }

  /**
   * The record text after the line number.
   *
   * @param hit The hit.
   * @param at The stream matcher (bytes and offsets).
   * @param offset The hit's offset in its file (default: its offset in the stream).
   * @returns The text.
   */
  format(hit: MatchHit, at: StreamMatcher, offset: number = at.offsetOf(hit.start)): string {
    const bytes = at.bytes;
    const text = spanText(bytes, hit.start, hit.end);
    if (this.#config.onlyMatching) return text;
    const kind = spanKindName(hit.kind as SpanKind);
    const via = matchViaName(hit.via);
    const entry = this.#matcher.entryText(hit, bytes);
    switch (this.#config.format) {
      case "jsonl":
        return `,"offset":${offset},"text":${
          JSON.stringify(text)
        },"kind":"${kind}","match":"${via}",` +
          `"entry":${JSON.stringify(entry)},"data":${this.#dataText(hit.dataOffset)}}`;
      case "csv":
        return `,${offset},${csvField(text)},${kind},${via},${csvField(entry)},${
          this.#dataText(hit.dataOffset)
        }`;
      default:
        return `${offset}: ${text} ${kind} ${via} ${entry}`;
    }
  }
}

/** One scanner per thread: the matcher and its caches, reused for every range. */
export class RangeScanner {
  #db: Database;
  #matcher: Matcher;
  #config: ScanConfig;
  #formatter: HitFormatter;

  /**
   * @param db The database.
   * @param matcher The matcher.
   * @param config What to produce.
   */
  constructor(db: Database, matcher: Matcher, config: ScanConfig) {
    this.#db = db;
    this.#matcher = matcher;
    this.#config = config;
    this.#formatter = new HitFormatter(db, matcher, config);
  }

  /** The matcher. */
  get matcher(): Matcher {
    return this.#matcher;
  }

  /**
   * A stream matcher whose hits go to `sink`.
   *
   * @param result Where counts go.
   * @param sink Receives hits as they come, as record texts or to write their records.
   * @param offset File offset of the first byte.
   * @returns The stream matcher.
   */
  open(result: ScanResult, sink: HitSink | RecordSink, offset: number): StreamMatcher {
    const filter = this.#config.fields ? new FieldFilter(this.#config.fields) : null;
    const formatter = this.#formatter;
    const countOnly = this.#config.countOnly;
    const records = typeof sink === "object" ? sink : null;
    return new StreamMatcher(this.#matcher, (hit, at) => {
      if (filter !== null) {
        const [ls, le] = at.lineRange(hit.start);
        if (!filter.keeps(at.bytes, ls, le, hit.start, hit.end, at.offsetOf(ls))) return;
      }
      const line = at.lineOf(hit.start);
      result.hits++;
      if (records !== null) records.record(line, hit, at, formatter);
      else (sink as HitSink)(line, countOnly ? "" : formatter.format(hit, at));
    }, { bufferSize: this.#config.bufferSize, offset });
  }

  /**
   * Scans `[start, end)` of an open file, whole lines.
   *
   * @param file The file.
   * @param start First byte.
   * @param end One past the last byte.
   * @param sink Receives hits as they come (default: collected in the result).
   * @param onChunk Called after each read with the bytes read so far (for progress).
   * @returns The result.
   */
  async scanRange(
    file: Deno.FsFile,
    start: number,
    end: number,
    sink?: HitSink | RecordSink,
    onChunk?: (bytes: number) => void,
  ): Promise<ScanResult> {
    const result = newResult();
    const before = [...this.#matcher.candidates];
    const cachedBefore = this.#matcher.cacheHits;
    const collector = sink === undefined
      ? new RangeCollector(result, this.#config.countOnly)
      : null;
    const sm = this.open(result, sink ?? collector!, start);
    await file.seek(start, Deno.SeekMode.Start);
    let left = end - start;
    while (left > 0) {
      const space = sm.space;
      // synchronous reads: a read from the page cache costs less than a trip through the loop
      const n = file.readSync(space.length > left ? space.subarray(0, left) : space);
      if (n === null) break;
      left -= n;
      sm.commit(n);
      onChunk?.(sm.bytesWritten);
    }
    sm.end();
    return finish(result, sm, this.#matcher, before, cachedBefore, collector);
  }

  /**
   * Scans a stream to its end.
   *
   * @param stream The bytes.
   * @param sink Receives hits as they come.
   * @param onChunk Called after each chunk with the bytes so far (for progress).
   * @returns The result; when the stream fails, the error is thrown after what was read has
   *   been scanned, with `scanned` (bytes) set on it.
   */
  async scanStream(
    stream: ReadableStream<Uint8Array>,
    sink: HitSink | RecordSink,
    onChunk?: (bytes: number) => void,
  ): Promise<ScanResult> {
    const result = newResult();
    const before = [...this.#matcher.candidates];
    const cachedBefore = this.#matcher.cacheHits;
    const sm = this.open(result, sink, 0);
    try {
      for await (const chunk of stream) {
        sm.write(chunk);
        sm.flush();
        onChunk?.(sm.bytesWritten);
      }
    } catch (err) {
      sm.end();
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), {
        scanned: sm.bytesWritten,
        partial: finish(result, sm, this.#matcher, before, cachedBefore),
      });
    }
    sm.end();
    return finish(result, sm, this.#matcher, before, cachedBefore);
  }

  /** The database. */
  get database(): Database {
    return this.#db;
  }
}

/** An empty result. */
export function newResult(): ScanResult {
  return {
    hits: 0,
    hitLines: [],
    records: NO_RECORDS,
    ends: [],
    lines: 0,
    bytes: 0,
    candidates: [],
    cached: 0,
  };
}

const NO_RECORDS = new Uint8Array(0);

/**
 * Collects a range's hits into its result (a range scanned for the pool, without a sink): the
 * line of each hit and its record bytes, or, when only counting, each matching line once.
 */
class RangeCollector implements RecordSink {
  #result: ScanResult;
  #records: RangeRecords | null;

  constructor(result: ScanResult, countOnly: boolean) {
    this.#result = result;
    this.#records = countOnly ? null : new RangeRecords();
  }

  record(line: number, hit: MatchHit, at: StreamMatcher, formatter: HitFormatter): void {
    const lines = this.#result.hitLines;
    const records = this.#records;
    if (records === null) {
      // counting matching lines: one entry per line, however many hits it has
      if (lines.at(-1) !== line) lines.push(line);
      return;
    }
    lines.push(line);
    formatter.formatInto(hit, at, records.writer);
    records.end();
  }

  /** Puts the records' bytes and ends into the result. */
  finish(): void {
    if (this.#records === null) return;
    this.#result.records = this.#records.bytes();
    this.#result.ends = this.#records.ends;
  }
}

function finish(
  result: ScanResult,
  sm: StreamMatcher,
  matcher: Matcher,
  before: number[],
  cachedBefore: number,
  collector: RangeCollector | null = null,
): ScanResult {
  result.lines = sm.lines;
  result.bytes = sm.bytesWritten;
  result.candidates = [...matcher.candidates].map((v, i) => v - before[i]);
  result.cached = matcher.cacheHits - cachedBefore;
  collector?.finish();
  return result;
}
