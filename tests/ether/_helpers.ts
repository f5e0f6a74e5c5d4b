/**
 * Helpers for the Ether tests: a raw TCP socket that sends bytes and reads replies frame by frame.
 *
 * @module
 */
import { connectTcp, type TcpStream } from "../../lib/runtime/net.ts";
import { decodeEtherHeader, ETHER_HEADER_SIZE, type EtherHeader } from "../../lib/ether/mod.ts";

/** A raw socket to a server, for byte-exact conversations. */
export class RawSocket {
  #s: TcpStream;
  #buf = new Uint8Array(0);
  constructor(s: TcpStream) {
    this.#s = s;
  }
  static async open(port: number): Promise<RawSocket> {
    return new RawSocket(await connectTcp("127.0.0.1", { port }));
  }
  async send(...parts: Uint8Array[]): Promise<void> {
    for (const p of parts) await this.#s.writeAll(p);
  }
  /** Reads exactly n bytes, or null when the stream ends first. */
  async readBytes(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) {
      const chunk = new Uint8Array(65536);
      const got = await this.#s.read(chunk);
      if (got === null || got === 0) return null;
      const next = new Uint8Array(this.#buf.length + got);
      next.set(this.#buf);
      next.set(chunk.subarray(0, got), this.#buf.length);
      this.#buf = next;
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }
  /** Reads one reply: header and payload (raw bytes too). */
  async reply(): Promise<{ header: EtherHeader; payload: Uint8Array; raw: Uint8Array } | null> {
    const h = await this.readBytes(ETHER_HEADER_SIZE);
    if (!h) return null;
    const header = decodeEtherHeader(h);
    const payload = header.size > 0 ? await this.readBytes(header.size) : new Uint8Array(0);
    if (!payload) return null;
    const raw = new Uint8Array(h.length + payload.length);
    raw.set(h);
    raw.set(payload, h.length);
    return { header, payload, raw };
  }
  /** Resolves true once the server has closed the connection (reads until end of stream). */
  async closedByPeer(): Promise<boolean> {
    for (;;) {
      const chunk = new Uint8Array(4096);
      const got = await this.#s.read(chunk);
      if (got === null || got === 0) return true;
    }
  }
  close(): void {
    this.#s.close();
  }
}

/** Builds bytes from a hex string with spaces. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Hex of bytes, for readable assertion failures. */
export function toHex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}
