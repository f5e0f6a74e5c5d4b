/**
 * `mxy ether ping`: checks that an Ether server answers, and shows what it announces.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, UsageError } from "../_command.ts";
import { connectFromFlags, CONNECTION_FLAGS, CONNECTION_HELP } from "./_ether_common.ts";
import { writeSync } from "../_io.ts";

const HELP = `Usage: mxy ether ping [options]

Sends PING and prints the round-trip time of each PONG and the server's capabilities.

Options:
  -c, --count N    Number of pings (default 1)
${CONNECTION_HELP}
  -h, --help       Show this help

Exit status: 0 when every PING was answered, 1 otherwise.`;

/** The `ether ping` command. */
export const command: Command = {
  name: "ping",
  summary: "PING a server and print round-trip times and capabilities",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: { ...CONNECTION_FLAGS, count: { type: "string", short: "c" } },
      help: HELP,
    });
    if (flags.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${flags.positionals[0]}"`);
    }
    const count = intFlag(flags, "count", 1);
    if (count < 1) throw new UsageError(`--count must be at least 1, got ${count}`);
    const conn = await connectFromFlags(flags);
    try {
      const caps = conn.capabilities;
      writeSync(
        "stdout",
        caps
          ? `server ${conn.address}: ${caps.software}, capabilities 0x${
            caps.bits.toString(16)
          }, max payload ${caps.maxPayload}\n`
          : `server ${conn.address}: no capabilities announced (reference framing)\n`,
      );
      for (let i = 0; i < count; i++) {
        const ms = await conn.ping();
        writeSync("stdout", `PONG from ${conn.address}: seq=${i + 1} time=${ms.toFixed(3)} ms\n`);
      }
    } finally {
      conn.close();
    }
    return 0;
  },
};
