/**
 * An in-memory duplex byte pipe: two {@linkcode EtherByteStream}s joined back to back, with no
 * runtime API in sight (no Deno, no sockets), so the Ether cores can be run anywhere. Writes are
 * copied (the writer may reuse its buffer) and delivered in order, in pieces of at most `chunk`
 * bytes so that readers see frames split as a network would split them.
 *
 * @module
 */
import type { EtherByteStream, EtherListener } from "../../lib/ether/mod.ts";

class PipeEnd implements EtherByteStream {
  #queue: Uint8Array[] = [];
  #waiting: (() => void) | null = null;
  #ended = false;
  peer!: PipeEnd;
  readonly remote: string;
  readonly #chunk: number;
  /** Bytes written by this end, in total. */
  written = 0;

  constructor(remote: string, chunk: number) {
    this.remote = remote;
    this.#chunk = chunk;
  }

  /** Called by the peer: bytes for this end to read. */
  deliver(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += this.#chunk) {
      this.#queue.push(bytes.slice(i, i + this.#chunk));
    }
    this.#wake();
  }

  /** Called by either side on close: no more bytes will come. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiting;
    this.#waiting = null;
    w?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
    const head = this.#queue[0];
    const n = Math.min(head.length, buffer.length);
    buffer.set(head.subarray(0, n));
    if (n === head.length) this.#queue.shift();
    else this.#queue[0] = head.subarray(n);
    return n;
  }

  writeAll(data: Uint8Array): Promise<void> {
    if (this.#ended) return Promise.reject(new Error("The pipe is closed"));
    this.written += data.length;
    this.peer.deliver(data);
    return Promise.resolve();
  }

  close(): void {
    if (this.#ended && this.peer.#ended) return;
    this.#queue.length = 0;
    this.end();
    this.peer.end();
  }
}

/**
 * Two connected in-memory streams: what one writes, the other reads.
 *
 * @param chunk The largest piece a read returns (to split frames). Default 7 bytes.
 * @returns The two ends.
 */
export function memoryPipe(chunk = 7): [EtherByteStream, EtherByteStream] {
  const a = new PipeEnd("memory:a", chunk);
  const b = new PipeEnd("memory:b", chunk);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** An in-memory listener: {@linkcode MemoryListener.connect} makes a pipe and queues one end. */
export class MemoryListener implements EtherListener {
  readonly host = "memory";
  readonly port = 0;
  #backlog: EtherByteStream[] = [];
  #waiting: ((s: EtherByteStream | null) => void) | null = null;
  #closed = false;

  /** A new connection: returns the client's end, the server's end is accepted. */
  connect(chunk?: number): EtherByteStream {
    if (this.#closed) throw new Error("The listener is closed");
    const [client, server] = memoryPipe(chunk);
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = null;
      w(server);
    } else {
      this.#backlog.push(server);
    }
    return client;
  }

  accept(): Promise<EtherByteStream | null> {
    if (this.#backlog.length > 0) return Promise.resolve(this.#backlog.shift()!);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#backlog) s.close();
    this.#backlog.length = 0;
    this.#waiting?.(null);
    this.#waiting = null;
  }
}
