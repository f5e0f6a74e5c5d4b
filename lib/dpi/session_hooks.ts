/**
 * Runs protocol plugins' session hooks for a session table: a plugin's `init` runs on the first
 * packet of the session it classifies, `packet` on every later packet of the session, `cleanup`
 * when the session is closed; cleanup results come back as `plugin.key` attributes.
 *
 * @module
 */
import type { FlowPacket } from "../pcap/flow_packet.ts";
import type { SessionTableHooks } from "../pcap/session_table.ts";
import type { SessionAttribute } from "../pcap/flow_session.ts";
import { DpiError } from "./dpi_error.ts";
import type { ProtocolPlugin } from "./plugin.ts";
import type { ProtocolRegistry } from "./protocol_registry.ts";

/**
 * Makes the session hooks of a registry's plugins, to give a `SessionTable` (its `hooks`
 * option). The hooks read each packet's `FlowPacket.view`, so feed the table packets filled by
 * `FlowPacket.readView` (as `trackFlows` does); packets without a view are skipped.
 *
 * @param registry The registry whose plugins' session hooks run.
 * @returns The hooks.
 * @throws {DpiError} `session-hook-failed` (from the returned hooks) when a plugin's hook throws.
 * @example
 * ```ts
 * import { createDefaultRegistry, createSessionHooks } from "@mxy/mxy/dpi";
 * import { type FlowSession, PcapWriter, SessionTable, trackFlows } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const payload = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * const w = new PcapWriter();
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", dstPort: 80, payload }));
 * const closed: FlowSession[] = [];
 * const table = new SessionTable({
 *   hooks: createSessionHooks(createDefaultRegistry()),
 *   onClose: (s) => closed.push(s),
 * });
 * await trackFlows(w.toBytes(), table);
 * table.finish();
 * assert.deepEqual(closed[0].attributes, { "http.requests": 1, "http.responses": 0 });
 * ```
 */
export function createSessionHooks(registry: ProtocolRegistry): SessionTableHooks {
  const plugins: ProtocolPlugin[] = registry.list().filter((p) => p.session !== undefined);
  return {
    open(): unknown[] {
      return new Array(plugins.length).fill(undefined);
    },
    packet(state: unknown, p: FlowPacket, fromOrig: boolean): void {
      const view = p.view;
      if (view === null) return;
      const states = state as unknown[];
      for (let i = 0; i < plugins.length; i++) {
        const plugin = plugins[i];
        const hooks = plugin.session!;
        try {
          if (states[i] === undefined) {
            if (!plugin.classify(view)) continue;
            states[i] = hooks.init(view) ?? null;
          }
          hooks.packet(states[i], view, fromOrig);
        } catch (err) {
          throw new DpiError(
            "session-hook-failed",
            `Session hook of plugin "${plugin.name}" failed`,
            { cause: err },
          );
        }
      }
    },
    close(state: unknown): Record<string, SessionAttribute> {
      const states = state as unknown[];
      const out: Record<string, SessionAttribute> = {};
      for (let i = 0; i < plugins.length; i++) {
        if (states[i] === undefined) continue;
        const plugin = plugins[i];
        const attributes = plugin.session!.cleanup(states[i]);
        if (attributes) {
          for (const [k, v] of Object.entries(attributes)) out[`${plugin.name}.${k}`] = v;
        }
      }
      return out;
    },
  };
}
