/**
 * `mxy inspect DB`: metadata, counts, sizes, record size and the file's sections.
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation, parseCommand } from "../_command.ts";
import { countNetworks, type Database, type MmdbValue, valueToJson } from "../../lib/db/mod.ts";
import { openDatabase } from "../../lib/runtime/database.ts";
import { type CliIo, PROCESS_IO } from "./_db_io.ts";

const SPEC: CommandSpec = {
  name: "inspect",
  summary: "Show a database's metadata, counts, sizes and sections",
  arguments: [{ name: "DB", description: "A .mxy file or any MaxMind DB" }],
  description: [
    "Shows what a database holds: its metadata, entry counts, record size, node count, and " +
    "where the search tree, data section, extension sections and metadata lie in the file. " +
    "Networks are counted by walking the whole search tree.",
  ],
  options: [
    {
      name: "format",
      type: "enum",
      choices: ["text", "json"],
      default: "text",
      description: "Output format",
    },
    {
      name: "json",
      type: "boolean",
      aliasOf: { option: "format", value: "json" },
      description: "Same as --format json",
    },
    {
      name: "no-walk",
      type: "boolean",
      description: "Skip the tree walk (network counts are then left out)",
    },
  ],
  examples: ["mxy inspect iocs.mxy", "mxy inspect GeoLite2-City.mmdb --format json"],
  run: (inv) => inspectCommand(inv, PROCESS_IO),
};

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Everything `inspect` reports, as printed with --json. */
interface Inspection {
  file: string;
  size: number;
  mapMode: string;
  databaseType: string;
  description: Record<string, string>;
  languages: string[];
  ipVersion: number;
  recordSize: number;
  nodeCount: number;
  binaryFormat: string;
  buildEpoch: bigint;
  buildTime: string | null;
  mxy: { formatVersion: number | null; counts: unknown; matchMode: string | null } | null;
  networks: { ipv4: number; ipv6: number; dataRecords: number } | null;
  layout: { name: string; offset: number; length: number }[];
}

function inspect(db: Database, path: string, walk: boolean): Inspection {
  const m = db.metadata;
  const l = db.layout;
  const bytes = db.bytes;
  const epoch = m.buildEpoch;
  const ms = Number(epoch) * 1000;
  const buildTime = epoch <= 8_640_000_000_000n ? new Date(ms).toISOString() : null;
  let networks: Inspection["networks"] = null;
  if (walk) {
    networks = countNetworks(db);
  }
  const layout = [
    { name: "search tree", offset: 0, length: l.treeSize },
    { name: "separator", offset: l.treeSize, length: 16 },
    { name: "data section", offset: l.dataStart, length: l.dataEnd - l.dataStart },
  ];
  const sections = Object.entries(m.sections).sort((a, b) => a[1].offset - b[1].offset);
  let end = l.dataEnd;
  for (const [name, s] of sections) {
    if (s.offset > end) layout.push({ name: "padding", offset: end, length: s.offset - end });
    layout.push({ name: `section "${name}"`, offset: s.offset, length: s.length });
    end = s.offset + s.length;
  }
  const markerAt = l.metadataStart - 14;
  if (markerAt > end) layout.push({ name: "padding", offset: end, length: markerAt - end });
  layout.push({ name: "metadata", offset: markerAt, length: bytes.length - markerAt });
  return {
    file: path,
    size: bytes.length,
    mapMode: db.mapMode,
    databaseType: m.databaseType,
    description: m.description,
    languages: m.languages,
    ipVersion: m.ipVersion,
    recordSize: m.recordSize,
    nodeCount: m.nodeCount,
    binaryFormat: `${m.binaryFormatMajorVersion}.${m.binaryFormatMinorVersion}`,
    buildEpoch: epoch,
    buildTime,
    mxy: m.mxyFormatVersion === null && m.mxyCounts === null
      ? null
      : { formatVersion: m.mxyFormatVersion, counts: m.mxyCounts, matchMode: m.mxyMatchMode },
    networks,
    layout,
  };
}

function text(i: Inspection): string {
  const lines = [
    `file:           ${i.file} (${size(i.size)}, ${i.mapMode})`,
    `database type:  ${i.databaseType}`,
  ];
  for (const [lang, d] of Object.entries(i.description)) {
    lines.push(`description:    [${lang}] ${d}`);
  }
  lines.push(
    `languages:      ${i.languages.length ? i.languages.join(", ") : "(none)"}`,
    `format:         MaxMind DB ${i.binaryFormat}${
      i.mxy ? `, mxy format ${i.mxy.formatVersion ?? "?"}` : ""
    }`,
    `build time:     ${i.buildTime ?? "(out of range)"} (build_epoch ${i.buildEpoch})`,
    `search tree:    IPv${i.ipVersion}, ${i.nodeCount.toLocaleString("en-US")} nodes, ` +
      `${i.recordSize}-bit records`,
  );
  if (i.networks) {
    lines.push(
      `networks:       ${i.networks.ipv4.toLocaleString("en-US")} IPv4, ` +
        `${i.networks.ipv6.toLocaleString("en-US")} IPv6 ` +
        `(${i.networks.dataRecords.toLocaleString("en-US")} distinct data records)`,
    );
  }
  if (i.mxy) {
    const c = i.mxy.counts as Record<string, number> | null;
    if (c) {
      lines.push(
        `entries:        ${Object.entries(c).map(([k, v]) => `${v} ${k}`).join(", ")}`,
      );
    }
    if (i.mxy.matchMode) lines.push(`match mode:     ${i.mxy.matchMode}`);
  }
  lines.push("layout:");
  for (const s of i.layout) {
    lines.push(
      `  ${s.name.padEnd(20)} ${String(s.offset).padStart(12)}  ${size(s.length).padStart(10)}`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Runs `mxy inspect` with the given streams.
 *
 * @param argv The arguments after `inspect`.
 * @param io The streams.
 * @returns The exit code.
 */
export function runInspect(argv: string[], io: CliIo): Promise<number> {
  return inspectCommand(parseCommand(SPEC, argv), io);
}

async function inspectCommand(inv: Invocation, io: CliIo): Promise<number> {
  const [path] = inv.positionals;
  const db = await openDatabase(path);
  try {
    const info = inspect(db, path, !inv.flag("no-walk"));
    io.stdout(
      inv.string("format") === "json"
        ? valueToJson(info as unknown as MmdbValue, 2) + "\n"
        : text(info),
    );
    return 0;
  } finally {
    db.close();
  }
}

/** The `mxy inspect` command. */
export const command = defineCommand(SPEC);
