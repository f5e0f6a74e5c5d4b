/** Helpers of the capture matcher tests: DNS messages with answers, a database, a run. */
import { Database, DatabaseBuilder } from "../../lib/db/mod.ts";
import {
  CaptureMatcher,
  type CaptureMatcherOptions,
  type CaptureMatchStats,
  matchCapture,
} from "../../lib/match/mod.ts";
import { parseIp } from "../../lib/db/mod.ts";
import { dnsName } from "../dpi/_packets.ts";

export { clientHello, dnsName } from "../dpi/_packets.ts";

/** One answer record: `[owner, type, rdata]`; an owner of `null` points back at the question. */
export type Answer = [string | null, "A" | "AAAA" | "CNAME", string];

const TYPES = { A: 1, AAAA: 28, CNAME: 5 };

/** A DNS message with one question and the given answers (A, AAAA, CNAME). */
export function dnsWithAnswers(id: number, name: string, answers: Answer[] = []): Uint8Array {
  const response = answers.length > 0;
  const h = [
    id >> 8,
    id & 255,
    response ? 0x81 : 0x01,
    response ? 0x80 : 0,
    0,
    1,
    0,
    answers.length,
  ];
  h.push(0, 0, 0, 0);
  const out = [...h, ...dnsName(name), 0, 1, 0, 1];
  for (const [owner, type, data] of answers) {
    out.push(...(owner === null ? [0xc0, 12] : dnsName(owner)));
    const rdata = type === "CNAME" ? dnsName(data) : [...parseIp(data).bytes];
    out.push(0, TYPES[type], 0, 1, 0, 0, 0x0e, 0x10, rdata.length >> 8, rdata.length & 255);
    out.push(...rdata);
  }
  return new Uint8Array(out);
}

/** A database of entries (networks, `literal:`/`glob:` strings), each with `{ tag: entry }`. */
export function databaseOf(entries: string[], parentDomains = false): Database {
  const b = new DatabaseBuilder({ buildEpoch: 1, parentDomains });
  for (const e of entries) b.add(e, { tag: e });
  return Database.fromBytes(b.build());
}

/** Runs a matcher over a capture: each hit as `frame attribute value match entry`. */
export async function hitsOf(
  capture: Uint8Array,
  db: Database,
  options: CaptureMatcherOptions = {},
): Promise<{ hits: string[]; stats: CaptureMatchStats }> {
  const hits: string[] = [];
  const m = new CaptureMatcher(db, {
    ...options,
    onHit: (h) => hits.push(`${h.frame} ${h.attribute} ${h.value} ${h.viaName} ${h.entryText}`),
  });
  await matchCapture(capture, m);
  return { hits, stats: m.finish() };
}
