/**
 * The real MaxMind DB readers, as test oracles: python's maxminddb (its libmaxminddb-backed C
 * extension and its pure-python reader, many lookups per process) and `mmdblookup`.
 *
 * @module
 */
import type { MmdbValue } from "../../lib/db/mod.ts";
import { hasProgram, IN_CI } from "../_fixtures.ts";

/** A value as tests/db/_peer_lookup.py writes it: typed, so nothing is lost in JSON. */
export type PeerValue = null | [string, unknown];

/** One lookup answer: the typed value (or null) and the prefix length. */
export type PeerAnswer = [PeerValue, number] | ["error", string];

/** Whether /usr/bin/python3 can import maxminddb (throws under CI when it cannot). */
export function hasPythonMaxminddb(): boolean {
  if (hasProgram("/usr/bin/python3")) {
    const ok = new Deno.Command("/usr/bin/python3", { args: ["-c", "import maxminddb"] })
      .outputSync().success;
    if (ok) return true;
  }
  if (IN_CI) throw new Error("python3-maxminddb is not installed; .ci/run should install it");
  console.warn("skipping: /usr/bin/python3 cannot import maxminddb");
  return false;
}

/** Whether mmdblookup is installed. */
export function hasMmdblookup(): boolean {
  return hasProgram("mmdblookup");
}

/**
 * Looks up addresses in several databases with one python process.
 *
 * @returns Per job, the C extension's and the pure-python reader's answers.
 */
export async function pythonLookup(
  jobs: { path: string; ips: string[] }[],
): Promise<{ ext: PeerAnswer[]; py: PeerAnswer[] }[]> {
  const script = new URL("./_peer_lookup.py", import.meta.url).pathname;
  const child = new Deno.Command("/usr/bin/python3", {
    args: [script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify({ jobs })));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`python failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * Runs `mmdblookup --file path --ip ip [path…]` and returns its output; throws when it cannot
 * open the file or decode the data (exit 6, "not found", is an answer).
 */
export async function mmdblookup(path: string, ip: string, ...keys: string[]): Promise<string> {
  const out = await new Deno.Command("mmdblookup", {
    args: ["--file", path, "--ip", ip, ...keys],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success && out.code !== 6) throw new Error(`mmdblookup failed: ${text}`);
  return text;
}

function hexDouble(n: number): string {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, n);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes a decoded value in the peer's typed form. Integral numbers are taken as integers, so
 * tests give doubles a fraction.
 */
export function toPeerValue(v: MmdbValue | null): PeerValue {
  if (v === null) return null;
  if (typeof v === "boolean") return ["bool", v];
  if (typeof v === "bigint") return ["int", v.toString()];
  if (typeof v === "number") {
    return Number.isInteger(v) ? ["int", String(v)] : ["float", hexDouble(v)];
  }
  if (typeof v === "string") return ["str", v];
  if (v instanceof Uint8Array) {
    return ["bytes", [...v].map((x) => x.toString(16).padStart(2, "0")).join("")];
  }
  if (Array.isArray(v)) return ["list", v.map(toPeerValue)];
  const out: Record<string, PeerValue> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toPeerValue(x);
  return ["map", out];
}
