/**
 * Running a program of a typed context: the runtime context (the UAPI bytes, then the 64-bit
 * `data`/`data_end` pointers the rewritten loads read) built around a packet copied into a
 * buffer with headroom (for `bpf_xdp_adjust_head`), and tail calls: `bpf_tail_call` asks for
 * another program and ends this one; the next program then runs on the same context and packet,
 * up to Linux's 33 tail calls per run.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfRunner } from "./runner.ts";
import type { BpfMemory } from "./memory.ts";
import type { CtxLayout } from "./_prog_contexts.ts";

/** Linux's `MAX_TAIL_CALL_CNT`. */
const MAX_TAIL_CALLS = 33;
/** Bytes before the packet that `bpf_xdp_adjust_head` may grow into (`XDP_PACKET_HEADROOM`). */
export const HEADROOM = 256;

/** A VM's pending tail call. */
export class TailCalls {
  /** The program asked for, if any. */
  pending: object | null = null;
  /** Tail calls in this run. */
  count = 0;

  /**
   * Asks for a tail call.
   *
   * @param target The program.
   * @returns Whether it will happen (false past 33 in one run).
   */
  request(target: object): boolean {
    if (this.count >= MAX_TAIL_CALLS) return false;
    this.count++;
    this.pending = target;
    return true;
  }
}

/** The runner behind each loaded program (for tail calls to it). */
export const PROGRAM_RUNNERS: WeakMap<object, ProgramRunner> = new WeakMap();

/** A program's engine with its context and tail calls. */
export class ProgramRunner implements BpfRunner {
  #engine: BpfRunner;
  #layout: CtxLayout | null;
  #tail: TailCalls;
  #kctx: Uint8Array | null;
  #kv: DataView | null;
  #buf: Uint8Array | null;
  #base = 0n;
  #lo = 0;
  #hi = 0;
  #executed = 0;
  #last: Uint8Array | null = null;

  /**
   * @param engine The engine.
   * @param layout The context's layout (`null`: the input is R1's memory as it is).
   * @param maxPacket The largest packet (packet contexts).
   * @param tail The VM's tail call state.
   */
  constructor(engine: BpfRunner, layout: CtxLayout | null, maxPacket: number, tail: TailCalls) {
    this.#engine = engine;
    this.#layout = layout;
    this.#tail = tail;
    this.#kctx = layout === null ? null : new Uint8Array(layout.kernelSize);
    this.#kv = this.#kctx === null ? null : new DataView(this.#kctx.buffer);
    this.#buf = layout?.packet ? new Uint8Array(HEADROOM + maxPacket) : null;
  }

  /** The engine's address space. */
  get memory(): BpfMemory {
    return this.#engine.memory;
  }

  /** r0's low half after the last run. */
  get resultLow(): number {
    return this.#lo;
  }

  /** r0's high half after the last run. */
  get resultHigh(): number {
    return this.#hi;
  }

  /** Instructions executed by the last run (tail-called programs included). */
  get executed(): number {
    return this.#executed;
  }

  /** The context's layout. */
  get layout(): CtxLayout | null {
    return this.#layout;
  }

  /** Packet contexts: the packet (`data` to `data_end`) after the last run, or `null`. */
  get lastPacket(): Uint8Array | null {
    return this.#last;
  }

  /**
   * Runs once.
   *
   * @param mem The packet (packet contexts), the context bytes (other typed contexts) or R1's
   *   memory.
   * @returns r0.
   */
  run(mem?: Uint8Array): bigint {
    this.exec(mem);
    return (BigInt(this.#hi >>> 0) << 32n) | BigInt(this.#lo >>> 0);
  }

  /**
   * Runs once without a bigint.
   *
   * @param mem As for {@linkcode ProgramRunner.run}.
   */
  exec(mem?: Uint8Array): void {
    this.#tail.count = 0;
    this.#tail.pending = null;
    this.#executed = 0;
    this.#start(mem ?? new Uint8Array(0), null);
    this.#executed = this.#engine.executed;
    const cur = ProgramRunner.#follow(this);
    this.#lo = cur.#engine.resultLow;
    this.#hi = cur.#engine.resultHigh;
    this.#last = cur.#packet();
  }

  /** Runs the tail calls asked for from `first` on; returns the last program run. */
  static #follow(first: ProgramRunner): ProgramRunner {
    let cur = first;
    const tail = first.#tail;
    while (tail.pending !== null) {
      const next = PROGRAM_RUNNERS.get(tail.pending);
      tail.pending = null;
      if (next === undefined) {
        throw new BpfError("helper", "A tail call's program was not loaded by this VM");
      }
      if (next.#layout !== cur.#layout) {
        throw new BpfError("helper", "A tail call to a program of another type");
      }
      next.#start(cur.#packet() ?? new Uint8Array(0), cur);
      first.#executed += next.#engine.executed;
      cur = next;
    }
    return cur;
  }

  /** Builds the context (copying a caller's context bytes for a tail call) and runs. */
  #start(input: Uint8Array, caller: ProgramRunner | null): void {
    const layout = this.#layout, k = this.#kctx;
    if (layout === null || k === null) {
      this.#engine.exec(caller === null ? input : caller.#lastInput);
      this.#lastInput = caller === null ? input : caller.#lastInput;
      return;
    }
    if (caller !== null) k.set(caller.#kctx!.subarray(0, layout.size));
    else k.fill(0, 0, layout.size);
    if (!layout.packet) {
      if (caller === null) {
        if (input.length > layout.size) {
          throw new BpfError(
            "memory",
            `A ${layout.name} context has ${layout.size} bytes, got ${input.length}`,
          );
        }
        k.set(input);
      }
      this.#engine.exec(k);
      return;
    }
    const buf = this.#buf!;
    if (input.length > buf.length - HEADROOM) {
      throw new BpfError(
        "memory",
        `Packets of at most ${buf.length - HEADROOM} bytes, got ${input.length}`,
      );
    }
    buf.set(input, HEADROOM);
    if (this.#base === 0n) this.#base = this.#engine.memory.addressOf(buf);
    const data = this.#base + BigInt(HEADROOM), end = data + BigInt(input.length);
    const v = this.#kv!;
    const dataAt = layout.dataAt;
    v.setBigUint64(dataAt, data, true);
    v.setBigUint64(dataAt + 8, end, true);
    if (layout.name === "__sk_buff") {
      // Legacy packet loads read the packet, not R1's memory (the context).
      const lp = this.#engine.memory.legacyPacket ??= new Int32Array(3);
      lp[0] = Number(this.#base >> 32n);
      lp[1] = HEADROOM;
      lp[2] = input.length;
    }
    if (caller === null) this.#fill(v, input);
    this.#engine.exec(k);
  }

  #lastInput: Uint8Array = new Uint8Array(0);

  /** The scalar fields a fresh packet context has. */
  #fill(v: DataView, packet: Uint8Array): void {
    const layout = this.#layout!;
    if (layout.name === "xdp_md") {
      v.setUint32(12, 1, true); // ingress_ifindex
      return;
    }
    v.setUint32(0, packet.length, true); // len
    if (packet.length >= 14) {
      v.setUint8(16, packet[12]); // protocol: the EtherType, network order
      v.setUint8(17, packet[13]);
    }
    v.setUint32(36, 1, true); // ingress_ifindex
    v.setUint32(40, 1, true); // ifindex
    v.setUint32(160, packet.length, true); // wire_len
    v.setUint32(164, 1, true); // gso_segs
  }

  /** The packet now (`data` to `data_end`), after a run. */
  #packet(): Uint8Array | null {
    const layout = this.#layout;
    if (layout === null || !layout.packet) return null;
    const v = this.#kv!;
    const dataAt = layout.dataAt;
    const data = v.getBigUint64(dataAt, true), end = v.getBigUint64(dataAt + 8, true);
    const from = Number(data & 0xffffffffn), to = Number(end & 0xffffffffn);
    return this.#buf!.subarray(from, Math.max(from, to));
  }
}
