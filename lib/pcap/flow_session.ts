/**
 * One conversation as the session table hands it over when it closes: endpoints, per-direction
 * packet and byte counts, times, TCP state, Zeek-style history and `conn_state`, and the
 * attributes session hooks reported.
 *
 * @module
 */
import { TcpFlag } from "./packet_view.ts";
import { elapsedNs } from "./_time.ts";
import { sessionUid } from "./_session_uid.ts";

/** TCP state as the session table tracks it (`""` for other protocols). */
export type TcpState = "" | "SYN" | "established" | "FIN" | "RST";

/** A value a session hook reports at close. */
export type SessionAttribute = string | number | boolean | undefined;

const IPPROTO_TCP = 6;
/**
 * One conversation (bidirectional flow), as `SessionTable` hands it to `onClose`. Numbers are
 * exact; times are whole seconds plus nanoseconds. The originator is the side that sent the
 * first packet (or the SYN).
 *
 * @example
 * ```ts
 * import { FlowSession, TcpFlag } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const s = new FlowSession();
 * s.proto = 6;
 * s.origSyn = true;
 * s.respFlags = TcpFlag.RST | TcpFlag.ACK;
 * assert.equal(s.connState(), "REJ");
 * ```
 */
export class FlowSession {
  /** @internal Creation number within the table, for the uid. */
  seq = 0;
  /** @internal Key hash, for the uid. */
  keyHash = 0;
  #uid: string | null = null;

  /** Stable identifier, `C` followed by base-62 digits (unique within a run). */
  get uid(): string {
    if (this.#uid === null) {
      this.#uid = sessionUid(this.keyHash, this.seq);
    }
    return this.#uid;
  }

  /** Sets the identifier explicitly. */
  set uid(value: string) {
    this.#uid = value;
  }
  /** 4 or 6. */
  family: 4 | 6 = 4;
  /** IP protocol number. */
  proto = 0;
  /** Originator address words (IPv4 in word 0). */
  readonly origAddr: number[] = [0, 0, 0, 0];
  /** Responder address words. */
  readonly respAddr: number[] = [0, 0, 0, 0];
  /** Originator port. */
  origPort = 0;
  /** Responder port. */
  respPort = 0;
  /** First packet: whole seconds. */
  firstSec = 0;
  /** First packet: nanoseconds within the second. */
  firstNsec = 0;
  /** Last packet: whole seconds. */
  lastSec = 0;
  /** Last packet: nanoseconds. */
  lastNsec = 0;
  /** Packets from the originator. */
  origPkts = 0;
  /** Packets from the responder. */
  respPkts = 0;
  /** Transport payload bytes from the originator. */
  origBytes = 0;
  /** Transport payload bytes from the responder. */
  respBytes = 0;
  /**
   * TCP payload bytes from the originator counted once (retransmissions left out, gaps not
   * counted), when the table followed sequence numbers (`reassemble`); -1 otherwise.
   */
  origDataBytes: number = -1;
  /** TCP payload bytes from the responder counted once; -1 when not followed. */
  respDataBytes: number = -1;
  /** TCP payload bytes both sides sent that the capture never saw (gaps); -1 when not followed. */
  missedBytes: number = -1;
  /** IP bytes (headers included) from the originator. */
  origIpBytes = 0;
  /** IP bytes from the responder. */
  respIpBytes = 0;
  /** Protocol path of the conversation, e.g. `eth:ip:udp:dns`. */
  path = "";
  /** Application protocol (`dns`, `http`, `tls` …) or `""`. */
  service = "";
  /** TCP state: SYN, established, FIN, RST (`""` for other protocols). */
  state: TcpState = "";
  /** Zeek-style history letters (upper case originator, lower case responder). */
  history = "";
  /** TCP handshake RTT, first SYN to the ACK that completes the handshake, in ns; -1 if none. */
  rttNs: number = -1;
  /** Flags seen from the originator (OR of TCP flag bytes). */
  origFlags = 0;
  /** Flags seen from the responder. */
  respFlags = 0;
  /** SYN (without ACK) seen from the originator. */
  origSyn = false;
  /** SYN+ACK seen from the responder. */
  respSynAck = false;
  /** Packet number of the first packet. */
  firstFrame = 0;
  /** Packet number of the latest packet. */
  lastFrame = 0;
  /** Attributes the session hooks reported at close (`http.requests` …), or `null`. */
  attributes: Record<string, SessionAttribute> | null = null;

  /**
   * Duration from first to last packet in integer nanoseconds, exact (taken from the seconds and
   * nanoseconds of both times, not from float nanoseconds).
   *
   * @returns The duration.
   */
  durationNs(): number {
    return elapsedNs(this.firstSec, this.firstNsec, this.lastSec, this.lastNsec);
  }

  /**
   * The Zeek conn_state of the conversation (S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0,
   * RSTRH, SH, SHR, OTH); non-TCP: S0 when one-way, SF when both sides spoke.
   *
   * @returns The state code.
   */
  connState(): string {
    if (this.proto !== IPPROTO_TCP) return this.respPkts > 0 ? "SF" : "S0";
    const o = this.origFlags, r = this.respFlags;
    const oFin = (o & TcpFlag.FIN) !== 0, rFin = (r & TcpFlag.FIN) !== 0;
    const oRst = (o & TcpFlag.RST) !== 0, rRst = (r & TcpFlag.RST) !== 0;
    if (this.origSyn && !this.respSynAck) {
      if (rRst) return "REJ";
      if (oRst) return "RSTOS0";
      if (oFin) return "SH";
      return "S0";
    }
    if (!this.origSyn && this.respSynAck) {
      if (rRst) return "RSTRH";
      if (rFin) return "SHR";
      return "OTH";
    }
    if (!this.origSyn) return "OTH";
    if (oRst) return "RSTO";
    if (rRst) return "RSTR";
    if (oFin && rFin) return "SF";
    if (oFin) return "S2";
    if (rFin) return "S3";
    return "S1";
  }
}
