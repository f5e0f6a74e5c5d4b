/**
 * `mxy validate DB…`: a full walk of each database's tree, data and metadata.
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation, parseCommand } from "../_command.ts";
import {
  type MmdbValue,
  validateDatabase,
  type ValidationReport,
  valueToJson,
} from "../../lib/db/mod.ts";
import { mapFile } from "../../lib/runtime/mmap.ts";
import { type CliIo, PROCESS_IO } from "./_db_io.ts";

const SPEC: CommandSpec = {
  name: "validate",
  summary: "Check a database completely (tree, data, metadata)",
  arguments: [{ name: "DB", variadic: true, description: "A .mxy file or any MaxMind DB" }],
  description: [
    "Checks each database completely: the metadata (required keys and their types), the " +
    "separator, every search-tree node (each reached once, every record in range), and every " +
    "data record the tree reaches (decoded in full: pointers, sizes, types, UTF-8, nesting). " +
    "Lists every problem with its byte offset.",
  ],
  options: [
    {
      name: "format",
      type: "enum",
      choices: ["text", "jsonl"],
      default: "text",
      description: "Output format (jsonl: one JSON report per database and line)",
    },
    {
      name: "json",
      type: "boolean",
      aliasOf: { option: "format", value: "jsonl" },
      description: "Same as --format jsonl",
    },
    {
      name: "max-problems",
      type: "int",
      min: 0,
      default: 100,
      description: "Problems listed per database before the rest are only counted",
    },
  ],
  sections: [{
    title: "Exit status",
    rows: [["0", "Every database is valid"], ["1", "One is not, or cannot be read"], [
      "2",
      "Usage error",
    ]],
  }],
  examples: ["mxy validate iocs.mxy"],
  run: (inv) => validate(inv, PROCESS_IO),
};

function describe(path: string, r: ValidationReport): string {
  const lines: string[] = [];
  const s = r.stats;
  const what = s
    ? ` (${s.nodeCount} nodes, ${s.networks} networks, ${s.dataRecords} data records)`
    : "";
  lines.push(`${r.valid ? "valid" : "invalid"}: ${path}${what}`);
  for (const p of r.problems) {
    lines.push(`  [${p.code}] ${p.message}${p.offset >= 0 ? ` (at byte ${p.offset})` : ""}`);
  }
  if (r.omitted > 0) lines.push(`  … and ${r.omitted} more problems`);
  return lines.join("\n") + "\n";
}

/**
 * Runs `mxy validate` with the given streams.
 *
 * @param argv The arguments after `validate`.
 * @param io The streams.
 * @returns The exit code.
 */
export function runValidate(argv: string[], io: CliIo): Promise<number> {
  return validate(parseCommand(SPEC, argv), io);
}

async function validate(inv: Invocation, io: CliIo): Promise<number> {
  const maxProblems = inv.int("max-problems")!;
  const json = inv.string("format") === "jsonl";
  let allValid = true;
  for (const path of inv.positionals) {
    let file;
    try {
      file = await mapFile(path);
    } catch (err) {
      // One unreadable file does not hide the reports of the others.
      io.stderr(`mxy: Cannot read "${path}": ${(err as Error).message}\n`);
      allValid = false;
      continue;
    }
    const report = validateDatabase(file.bytes, { maxProblems });
    if (!report.valid) allValid = false;
    io.stdout(
      json
        ? valueToJson({ file: path, ...report } as unknown as MmdbValue) + "\n"
        : describe(path, report),
    );
  }
  return allValid ? 0 : 1;
}

/** The `mxy validate` command. */
export const command = defineCommand(SPEC);
