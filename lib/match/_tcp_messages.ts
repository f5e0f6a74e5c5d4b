/**
 * What the capture matcher remembers of TCP streams, in fixed tables (no object per stream):
 *
 * - messages split over segments (a ClientHello longer than one segment, request headers over
 *   several, DNS over TCP): the bytes so far of the one message a direction has begun, until the
 *   segments that follow in order complete it — it is then read on the packet that completes
 *   it, as tshark reports it;
 * - the sequence range of the last message read on each direction, so that a retransmission of
 *   it is not read (and reported) again.
 *
 * A direction is the source and destination addresses and ports (IPv4 or IPv6). Both tables are
 * direct-mapped: a direction that takes the slot of another pushes it out (a message left
 * unfinished counts as incomplete).
 *
 * @module
 */
import type { PacketView } from "../pcap/packet_view.ts";

/**
 * Words of a direction's key: the family, the ports, then the addresses (IPv4: source and
 * destination; IPv6: their words interleaved); an IPv4 key uses the first four.
 */
const KEY_WORDS = 10, KEY_WORDS_V4 = 4;
const K_FAMILY = 0, K_PORTS = 1, K_SRC = 2, K_DST = 3;

/**
 * A record of the table of messages read: the message's sequence range, then the direction's
 * key (its family word is 0 in a record never used). IPv4 directions have a table of small
 * records (32 bytes, so that a look touches one cache line of a table that stays in the
 * processor's caches), IPv6 directions one of their own.
 */
const R_START = 0, R_END = 1, R_KEY = 2;
const R4_WORDS = 8, R6_WORDS = 16;

/** 8 bits of a direction's hash other than its slot's, never 0. */
function recentTag(hash: number): number {
  return ((hash >>> 24) & 0xff) | 1;
}

/** What kind of message a direction has begun. */
export const PENDING_TLS = 1, PENDING_HTTP = 2, PENDING_DNS = 3;

/** Options of {@linkcode TcpMessages}. */
export interface TcpMessagesOptions {
  /** Directions that may hold a split message at once (a power of two; default 1024). */
  slots?: number;
  /** Most bytes held in all (default 16 MiB). */
  maxBytes?: number;
  /** Capture seconds after which an unfinished message is given up (default 60). */
  idleSeconds?: number;
}

/** The fixed tables. */
export class TcpMessages {
  /** Messages held now. */
  count = 0;
  /** Messages given up unfinished (pushed out, out of order, too long, idle). */
  incomplete = 0;
  /** Bytes held now (the buffers' capacity). */
  heldBytes = 0;
  /** Retransmitted messages not read again. */
  repeats = 0;
  readonly #mask: number;
  readonly #maxBytes: number;
  readonly #idle: number;
  // The packet's direction, worked out by `key()`.
  readonly #key = new Int32Array(KEY_WORDS);
  #width = KEY_WORDS;
  #hash = 0;
  // held messages, by slot
  readonly #keys: Int32Array;
  readonly #live: Uint8Array;
  readonly #kind: Uint8Array;
  readonly #next: Int32Array;
  readonly #need: Int32Array;
  readonly #have: Int32Array;
  readonly #since: Float64Array;
  readonly #bufs: (Uint8Array | null)[];
  // the last message read, by slot of the recent tables (records of R4_WORDS and R6_WORDS)
  readonly #recent4: Int32Array;
  readonly #recent6: Int32Array;
  // by slot, 8 bits of the hash of the direction recorded there (never 0; 0: none): a look
  // at a slot recorded for another direction mostly ends here, in a table of 4 KB
  readonly #recentTags: Uint8Array;
  readonly #recentMask: number;

  constructor(options: TcpMessagesOptions = {}) {
    let slots = 1;
    while (slots < (options.slots ?? 1024)) slots <<= 1;
    this.#mask = slots - 1;
    this.#maxBytes = options.maxBytes ?? 16 << 20;
    this.#idle = options.idleSeconds ?? 60;
    this.#keys = new Int32Array(slots * KEY_WORDS);
    this.#live = new Uint8Array(slots);
    this.#kind = new Uint8Array(slots);
    this.#next = new Int32Array(slots);
    this.#need = new Int32Array(slots);
    this.#have = new Int32Array(slots);
    this.#since = new Float64Array(slots);
    this.#bufs = new Array(slots).fill(null);
    const recent = slots * 4;
    this.#recentMask = recent - 1;
    this.#recent4 = new Int32Array(recent * R4_WORDS);
    this.#recent6 = new Int32Array(recent * R6_WORDS);
    this.#recentTags = new Uint8Array(recent);
  }

  /** Works out the direction of a TCP packet; the other methods then refer to it. */
  key(v: PacketView): void {
    const k = this.#key;
    k[K_FAMILY] = v.ipVersion;
    k[K_PORTS] = (v.srcPort << 16) | v.dstPort;
    let h: number;
    if (v.ipVersion === 4) {
      k[K_SRC] = v.ip4Src | 0;
      k[K_DST] = v.ip4Dst | 0;
      this.#width = KEY_WORDS_V4;
      h = Math.imul(k[K_PORTS] ^ Math.imul(k[K_SRC], 0x85ebca6b), 0x9e3779b1) ^ k[K_DST];
    } else {
      const s = v.ip6Src, d = v.ip6Dst;
      h = k[K_PORTS];
      for (let i = 0; i < 4; i++) {
        k[K_SRC + 2 * i] = s[i];
        k[K_SRC + 2 * i + 1] = d[i];
        h = Math.imul(h ^ s[i], 0x85ebca6b) ^ d[i];
      }
      this.#width = KEY_WORDS;
    }
    h = Math.imul(h, 0x9e3779b1);
    this.#hash = h ^ (h >>> 16);
  }

  #same(keys: Int32Array, at: number): boolean {
    const k = this.#key;
    const n = this.#width;
    for (let i = 0; i < n; i++) if (keys[at + i] !== k[i]) return false;
    return true;
  }

  #copyKey(keys: Int32Array, at: number): void {
    const k = this.#key;
    for (let i = 0; i < KEY_WORDS; i++) keys[at + i] = k[i];
  }

  /** The slot holding a message of the keyed direction, or -1. */
  find(): number {
    const slot = this.#hash & this.#mask;
    return this.#live[slot] === 1 && this.#same(this.#keys, slot * KEY_WORDS) ? slot : -1;
  }

  /** The kind of message held in a slot. */
  kind(slot: number): number {
    return this.#kind[slot];
  }

  /** The bytes held in a slot (valid until the next call that changes the tables). */
  bytes(slot: number): Uint8Array {
    return this.#bufs[slot]!;
  }

  /** How many bytes a slot holds. */
  have(slot: number): number {
    return this.#have[slot];
  }

  /** The sequence number of the first byte a slot holds. */
  startSeq(slot: number): number {
    return (this.#next[slot] - this.#have[slot]) | 0;
  }

  /**
   * Holds the start of a message for the keyed direction: `buf[from, end)`, the payload from
   * sequence number `seq`. `need` is the message's whole length, or 0 when only its content
   * tells where it ends (HTTP heads); `max` the most bytes it may take.
   *
   * @returns Whether it is held (false when the bytes would pass the bound).
   */
  hold(
    kind: number,
    buf: Uint8Array,
    from: number,
    end: number,
    seq: number,
    need: number,
    max: number,
    sec: number,
  ): boolean {
    const slot = this.#hash & this.#mask;
    if (this.#live[slot] === 1) this.#drop(slot);
    const n = end - from;
    const want = need > 0 ? need : Math.min(max, Math.max(4096, n * 2));
    let b = this.#bufs[slot];
    if (b === null || b.length < Math.min(max, want)) {
      const size = Math.min(max, Math.max(want, 4096));
      if (this.heldBytes - (b?.length ?? 0) + size > this.#maxBytes) {
        this.incomplete++;
        return false;
      }
      this.heldBytes += size - (b?.length ?? 0);
      const grown = new Uint8Array(size);
      b = grown;
      this.#bufs[slot] = grown;
    }
    // (a held message read again and still short is held from its own buffer: no copy)
    if (buf !== b || from !== 0) { for (let i = 0; i < n; i++) b[i] = buf[from + i]; }
    this.#copyKey(this.#keys, slot * KEY_WORDS);
    this.#live[slot] = 1;
    this.#kind[slot] = kind;
    this.#next[slot] = (seq + n) | 0;
    this.#need[slot] = need;
    this.#have[slot] = n;
    this.#since[slot] = sec;
    this.count++;
    return true;
  }

  /**
   * Adds a segment to the message held in `slot`: `buf[from, end)`, from sequence number
   * `seq`.
   *
   * @returns 1 when it was added (the message may now be complete: see
   *   {@linkcode TcpMessages.complete}), 0 when it repeats bytes already held (a retransmission:
   *   nothing to read), -1 when it does not follow them (the message is given up) or would make
   *   it longer than `max`.
   */
  append(
    slot: number,
    buf: Uint8Array,
    from: number,
    end: number,
    seq: number,
    max: number,
    sec: number,
  ): number {
    const next = this.#next[slot];
    const ahead = (seq - next) | 0;
    if (ahead > 0) {
      // a segment is missing (lost, or still to come out of order): the message is given up
      this.#drop(slot);
      return -1;
    }
    if (ahead < 0) {
      // bytes held already, then maybe new ones (a retransmission that goes further)
      if (((seq + (end - from) - next) | 0) <= 0) return 0;
      from -= ahead;
    }
    const n = end - from;
    const have = this.#have[slot];
    let b = this.#bufs[slot]!;
    if (have + n > b.length) {
      if (have + n > max) {
        this.#drop(slot);
        return -1;
      }
      const size = Math.min(max, Math.max(have + n, b.length * 2));
      if (this.heldBytes - b.length + size > this.#maxBytes) {
        this.#drop(slot);
        return -1;
      }
      this.heldBytes += size - b.length;
      const grown = new Uint8Array(size);
      grown.set(b.subarray(0, have));
      b = grown;
      this.#bufs[slot] = grown;
    }
    for (let i = 0; i < n; i++) b[have + i] = buf[from + i];
    this.#have[slot] = have + n;
    this.#next[slot] = (next + n) | 0;
    this.#since[slot] = sec;
    return 1;
  }

  /** Lets go of the message held in `slot` (it was read). */
  release(slot: number): void {
    this.#live[slot] = 0;
    this.count--;
  }

  /** Gives up the message held in `slot`. */
  #drop(slot: number): void {
    this.#live[slot] = 0;
    this.count--;
    this.incomplete++;
  }

  /** Gives up the messages idle since before `sec` (capture seconds less the idle time). */
  expire(sec: number): void {
    if (this.count === 0) return;
    const before = sec - this.#idle;
    for (let s = 0; s <= this.#mask; s++) {
      if (this.#live[s] === 1 && this.#since[s] < before) this.#drop(s);
    }
  }

  /** Gives up every message held (the input ended). */
  finish(): void {
    for (let s = 0; s <= this.#mask; s++) if (this.#live[s] === 1) this.#drop(s);
  }

  /**
   * Whether the payload `[seq, seq + n)` of the keyed direction lies inside the last message
   * read on it: a retransmission, not to be read again.
   */
  repeated(seq: number, n: number): boolean {
    const slot = this.#hash & this.#recentMask;
    if (this.#recentTags[slot] !== recentTag(this.#hash)) return false;
    const v4 = this.#width === KEY_WORDS_V4;
    const r = v4 ? this.#recent4 : this.#recent6;
    const at = slot * (v4 ? R4_WORDS : R6_WORDS);
    // (a record never used has family 0: never the same)
    if (!this.#same(r, at + R_KEY)) return false;
    if (((seq - r[at + R_START]) | 0) >= 0 && ((r[at + R_END] - (seq + n)) | 0) >= 0) {
      this.repeats++;
      return true;
    }
    return false;
  }

  /** Remembers that the message `[seq, seq + n)` of the keyed direction was read. */
  read(seq: number, n: number): void {
    const slot = this.#hash & this.#recentMask;
    const v4 = this.#width === KEY_WORDS_V4;
    const r = v4 ? this.#recent4 : this.#recent6;
    const at = slot * (v4 ? R4_WORDS : R6_WORDS);
    const k = this.#key, w = this.#width;
    for (let i = 0; i < w; i++) r[at + R_KEY + i] = k[i];
    this.#recentTags[slot] = recentTag(this.#hash);
    r[at + R_START] = seq;
    r[at + R_END] = (seq + n) | 0;
  }
}
