/**
 * The built-in plugins for the layers the decoders fill in, in classification order: `meta`,
 * `eth`, `vlan`, `ip`, `ipv6`, `tcp`, `udp`, `icmp` and `icmpv6`.
 *
 * @module
 */
import type { ProtocolPlugin } from "./plugin.ts";
import { ethPlugin, metaPlugin, vlanPlugin } from "./link_plugins.ts";
import { ipPlugin, ipv6Plugin } from "./network_plugins.ts";
import { icmpPlugin, icmpv6Plugin, tcpPlugin, udpPlugin } from "./transport_plugins.ts";

/**
 * The core plugins (`meta`, `eth`, `vlan`, `ip`, `ipv6`, `tcp`, `udp`, `icmp`, `icmpv6`), in
 * classification order: register them on a registry of your own to build one without the
 * application plugins. They are stateless and may be shared between registries.
 *
 * @example
 * ```ts
 * import { CORE_PLUGINS, DpiEngine, ProtocolRegistry } from "@mxy/mxy/dpi";
 * import { decodePacket, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * assert.deepEqual(CORE_PLUGINS.map((p) => p.name).slice(0, 4), ["meta", "eth", "vlan", "ip"]);
 * const registry = new ProtocolRegistry();
 * for (const plugin of CORE_PLUGINS) registry.register(plugin);
 * const engine = new DpiEngine({ registry });
 * const rows: unknown[][] = [];
 * engine.subscribe(["eth.type", "vlan.inner_id", "ip.dst", "udp.dst_port"], (values) => {
 *   rows.push([...values]);
 * });
 * const bytes = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", vlans: [7, 8], dstPort: 53 });
 * const v = new PacketView();
 * v.setRecord(bytes, 0, bytes.length, bytes.length);
 * decodePacket(v);
 * engine.process(v);
 * assert.deepEqual(rows, [[0x0800, 8, "10.0.0.2", 53]]);
 * ```
 */
export const CORE_PLUGINS: readonly ProtocolPlugin[] = [
  metaPlugin,
  ethPlugin,
  vlanPlugin,
  ipPlugin,
  ipv6Plugin,
  tcpPlugin,
  udpPlugin,
  icmpPlugin,
  icmpv6Plugin,
];
