/** Test helper: the spans an extractor finds in a string, as "kind text" lines. */
import { Extractor, type SpanKind, spanKindName } from "../../lib/match/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const all = new Extractor();

/** Every span found in `text`, as `"kind text"`, in reporting order. */
export function spans(text: string | Uint8Array, kinds?: readonly SpanKind[]): string[] {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const ex = kinds ? new Extractor({ kinds }) : all;
  const out: string[] = [];
  ex.scan(bytes, (kind, start, end) => {
    out.push(`${spanKindName(kind)} ${dec.decode(bytes.subarray(start, end))}`);
  });
  return out;
}

/** Every span found in `text`, as `[kind, start, end]`. */
export function rawSpans(bytes: Uint8Array, start?: number, end?: number): number[][] {
  const out: number[][] = [];
  all.scan(bytes, (kind, s, e) => out.push([kind, s, e]), start, end);
  return out;
}
