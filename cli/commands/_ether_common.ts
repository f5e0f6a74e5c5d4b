/**
 * What the `mxy ether …` subcommands share: connection options, handle and data parsing.
 *
 * @module
 */
import { type Invocation, type OptionSpec, UsageError } from "../_command.ts";
import { ETHER_DEFAULT_PORT, type EtherClient } from "../../lib/ether/mod.ts";
import { env } from "../_io.ts";
import { connectEther } from "../../lib/runtime/mod.ts";
import { readFile } from "../_io.ts";

/** Options every `mxy ether` subcommand takes. */
export const CONNECTION_OPTIONS: OptionSpec[] = [
  {
    name: "host",
    type: "string",
    default: "127.0.0.1",
    complete: "none",
    description: "Server address",
  },
  {
    name: "port",
    short: "p",
    type: "int",
    min: 1,
    max: 65535,
    default: ETHER_DEFAULT_PORT,
    complete: "none",
    description: "Server port",
  },
  {
    name: "token",
    type: "string",
    complete: "none",
    defaultText: "$MXY_TOKEN",
    description: "Token for AUTH",
  },
  {
    name: "timeout",
    type: "int",
    value: "MS",
    min: 1,
    default: 10000,
    complete: "none",
    description: "Per-request timeout in milliseconds",
  },
  {
    name: "legacy",
    type: "boolean",
    description: "Use the reference framing, skip capability negotiation",
  },
];

/**
 * Connects with the common options.
 *
 * @param inv The parsed call.
 * @returns The connection.
 */
export async function connectFromFlags(inv: Invocation): Promise<EtherClient> {
  return await connectEther(inv.string("host")!, {
    port: inv.int("port")!,
    token: inv.string("token") || env("MXY_TOKEN") || undefined,
    timeout: inv.int("timeout")!,
    legacy: inv.flag("legacy"),
  });
}

/**
 * Parses a handle: `0x…` hex or decimal, non-zero, 64-bit.
 *
 * @param text The argument.
 * @returns The handle.
 */
export function parseHandle(text: string | undefined): bigint {
  if (text === undefined) throw new UsageError("Missing HANDLE argument (0x… or decimal)");
  if (!/^(0x[0-9a-fA-F]{1,16}|\d{1,20})$/.test(text)) {
    throw new UsageError(`HANDLE must be 0x-prefixed hex or decimal, got "${text}"`);
  }
  const h = BigInt(text);
  if (h >= 2n ** 64n) throw new UsageError(`HANDLE ${text} does not fit in 64 bits`);
  return h;
}

/**
 * Formats a handle as 0x-prefixed, 16-digit hex.
 *
 * @param h The handle.
 * @returns The text.
 */
export function formatHandle(h: bigint): string {
  return `0x${h.toString(16).padStart(16, "0")}`;
}

/** Options giving the data of a write. */
export const DATA_OPTIONS: OptionSpec[] = [
  {
    name: "data",
    type: "string",
    value: "TEXT",
    complete: "none",
    description: "Write TEXT (UTF-8)",
  },
  {
    name: "hex",
    type: "string",
    value: "HEX",
    complete: "none",
    description: "Write bytes given in hex",
  },
  {
    name: "file",
    type: "string",
    value: "PATH",
    description: 'Write the bytes of a file ("-" is standard input)',
  },
];

/**
 * Reads the data given by `--data`, `--hex` or `--file`, or `null` when none is given.
 *
 * @param inv The parsed call.
 * @returns The bytes or `null`.
 */
export async function dataFromFlags(inv: Invocation): Promise<Uint8Array | null> {
  const given = ["data", "hex", "file"].filter((k) => inv.has(k));
  if (given.length > 1) throw inv.usage("Give only one of --data, --hex, --file");
  if (given.length === 0) return null;
  const v = inv.string(given[0])!;
  if (given[0] === "data") return new TextEncoder().encode(v);
  if (given[0] === "file") return await readFile(v);
  const clean = v.replace(/[\s:]/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) {
    const bad = clean.search(/[^0-9a-fA-F]/);
    throw inv.usage(
      bad >= 0
        ? `--hex has a non-hex character at offset ${bad}`
        : "--hex needs an even number of hex digits",
    );
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Hex of bytes.
 *
 * @param b The bytes.
 * @returns Lower-case hex.
 */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text from a server made safe for a terminal: control characters (which valid JSON has only
 * inside strings, where a `\uXXXX` escape stands for the same character) are escaped, so that the
 * text stays the same JSON and cannot drive the terminal.
 *
 * @param json The server's text.
 * @returns The text with control characters as `\uXXXX`.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
