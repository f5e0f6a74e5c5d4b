/**
 * For the fast-path tests: the default plugins with chosen stream plugins stripped of their fast
 * path (`whole`/`resume`: every claimed direction then gets its framing state), and every
 * packet's values under a registry, as text to compare.
 */
import {
  CORE_PLUGINS,
  createDnsPlugin,
  createHttpPlugin,
  createTlsPlugin,
  DpiEngine,
  type ProtocolPlugin,
  ProtocolRegistry,
} from "../../lib/dpi/mod.ts";
import { forEachPacketInBytes } from "../../lib/pcap/mod.ts";

/** The plugin with its stream framing but without the fast path. */
function withoutFastPath(p: ProtocolPlugin): ProtocolPlugin {
  const { whole: _whole, resume: _resume, ...framing } = p.stream!;
  return { ...p, stream: framing };
}

/** The default plugins; those named in `full` (dns, http, tls) without their fast path. */
export function fullPathRegistry(full: readonly ("dns" | "http" | "tls")[]): ProtocolRegistry {
  const r = new ProtocolRegistry();
  for (const p of CORE_PLUGINS) r.register(p);
  const plugins = { dns: createDnsPlugin(), http: createHttpPlugin(), tls: createTlsPlugin() };
  for (const name of ["dns", "http", "tls"] as const) {
    r.register(full.includes(name) ? withoutFastPath(plugins[name]) : plugins[name]);
  }
  return r;
}

/** Every packet's values of `attributes` as text, the messages read and the protocol errors. */
export function packetValues(
  bytes: Uint8Array,
  attributes: string[],
  registry?: ProtocolRegistry,
): string[] {
  const engine = new DpiEngine(registry ? { registry } : {});
  const rows: string[] = [];
  engine.subscribe(attributes, (values, v) => {
    rows.push(`${v.number}|${values.map((x) => (x === undefined ? "" : String(x))).join("|")}`);
  });
  forEachPacketInBytes(bytes, (v) => engine.process(v));
  engine.finish();
  rows.push(`messages ${engine.messages} unreported ${engine.unreported}`);
  rows.push(`errors ${engine.protocolErrors}`);
  return rows;
}
