/**
 * What the `mxy ether …` subcommands share: connection flags, handle and data parsing.
 *
 * @module
 */
import { type FlagSpec, intFlag, type ParsedFlags, stringFlag, UsageError } from "../_command.ts";
import { ETHER_DEFAULT_PORT, type EtherClient } from "../../lib/ether/mod.ts";
import { env } from "../_io.ts";
import { connectEther } from "../../lib/runtime/mod.ts";
import { readFile } from "../_io.ts";

/** Flags every `mxy ether` subcommand takes. */
export const CONNECTION_FLAGS: FlagSpec = {
  host: { type: "string" },
  port: { type: "string", short: "p" },
  token: { type: "string" },
  timeout: { type: "string" },
  legacy: { type: "boolean" },
};

/** Help lines for {@linkcode CONNECTION_FLAGS}. */
export const CONNECTION_HELP = `Connection options:
  --host HOST      Server address (default 127.0.0.1)
  -p, --port N     Server port (default ${ETHER_DEFAULT_PORT})
  --token T        Token for AUTH (default: $MXY_TOKEN)
  --timeout MS     Per-request timeout in milliseconds (default 10000)
  --legacy         Use the reference framing, skip capability negotiation`;

/**
 * Connects with the common flags.
 *
 * @param flags Parsed flags.
 * @returns The connection.
 */
export async function connectFromFlags(flags: ParsedFlags): Promise<EtherClient> {
  const port = intFlag(flags, "port", ETHER_DEFAULT_PORT);
  if (port < 1 || port > 65535) throw new UsageError(`--port must be 1 … 65535, got ${port}`);
  const timeout = intFlag(flags, "timeout", 10_000);
  if (timeout < 1) throw new UsageError(`--timeout must be at least 1 ms, got ${timeout}`);
  const token = stringFlag(flags, "token", "") || env("MXY_TOKEN") || undefined;
  return await connectEther(stringFlag(flags, "host", "127.0.0.1"), {
    port,
    token,
    timeout,
    legacy: flags.values.legacy === true,
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

/** Flags giving the data of a write. */
export const DATA_FLAGS: FlagSpec = {
  data: { type: "string" },
  hex: { type: "string" },
  file: { type: "string" },
};

/** Help lines for {@linkcode DATA_FLAGS}. */
export const DATA_HELP = `  --data TEXT      Write TEXT (UTF-8)
  --hex HEX        Write bytes given in hex
  --file PATH      Write the bytes of a file (- for standard input)`;

/**
 * Reads the data given by `--data`, `--hex` or `--file`, or `null` when none is given.
 *
 * @param flags Parsed flags.
 * @returns The bytes or `null`.
 */
export async function dataFromFlags(flags: ParsedFlags): Promise<Uint8Array | null> {
  const given = ["data", "hex", "file"].filter((k) => typeof flags.values[k] === "string");
  if (given.length > 1) throw new UsageError("Give only one of --data, --hex, --file");
  if (given.length === 0) return null;
  const v = flags.values[given[0]] as string;
  if (given[0] === "data") return new TextEncoder().encode(v);
  if (given[0] === "file") return await readFile(v);
  const clean = v.replace(/[\s:]/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) {
    const bad = clean.search(/[^0-9a-fA-F]/);
    throw new UsageError(
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
