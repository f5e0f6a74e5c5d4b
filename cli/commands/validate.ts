/**
 * `mxy validate DB…`: a full walk of each database's tree, data and metadata.
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import {
  type MmdbValue,
  validateDatabase,
  type ValidationReport,
  valueToJson,
} from "../../lib/db/mod.ts";
import { mapFile } from "../../lib/runtime/mod.ts";
import { type CliIo, PROCESS_IO } from "./_db_io.ts";

const HELP = `Usage: mxy validate DB... [options]

Checks each database completely: the metadata (required keys and their types), the separator,
every search-tree node (each reached once, every record in range), and every data record the
tree reaches (decoded in full: pointers, sizes, types, UTF-8, nesting). Lists every problem
with its byte offset.

Exit status: 0 when every database is valid, 1 when one is not, 2 on a usage error.

Options:
  --json              print one JSON report per database (one per line)
  --max-problems N    problems listed per database before the rest are only counted (100)
  -h, --help          this help

Example:
  mxy validate iocs.mxy`;

const SPEC = { json: { type: "boolean" }, "max-problems": { type: "string" } } as const;

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
export async function runValidate(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, { spec: SPEC, help: HELP });
  const paths = flags.positionals;
  if (paths.length === 0) throw new UsageError("mxy validate needs a database file");
  const max = flags.values["max-problems"];
  let maxProblems = 100;
  if (max !== undefined) {
    if (typeof max !== "string" || !/^\d+$/.test(max)) {
      throw new UsageError(`--max-problems takes a whole number, got "${String(max)}"`);
    }
    maxProblems = Number(max);
  }
  let allValid = true;
  for (const path of paths) {
    const file = await mapFile(path).catch((err) => {
      if (err instanceof Error) err.message = `Cannot read "${path}": ${err.message}`;
      throw err;
    });
    const report = validateDatabase(file.bytes, { maxProblems });
    if (!report.valid) allValid = false;
    io.stdout(
      flags.values.json
        ? valueToJson({ file: path, ...report } as unknown as MmdbValue) + "\n"
        : describe(path, report),
    );
  }
  return allValid ? 0 : 1;
}

/** The `mxy validate` command. */
export const command: Command = {
  name: "validate",
  summary: "check a database completely (tree, data, metadata)",
  help: HELP,
  run: (argv) => runValidate(argv, PROCESS_IO),
};
