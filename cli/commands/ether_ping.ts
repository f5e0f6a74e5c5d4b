/**
 * `mxy ether ping`: checks that an Ether server answers, and shows what it announces.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { connectFromFlags, CONNECTION_OPTIONS } from "./_ether_common.ts";
import { writeSync } from "../_io.ts";

/** The `ether ping` command. */
export const command = defineCommand({
  name: "ether ping",
  summary: "PING a server and print round-trip times and capabilities",
  description: [
    "Sends PING and prints the round-trip time of each PONG and the server's " +
    "capabilities.",
  ],
  options: [
    {
      name: "count",
      short: "c",
      type: "int",
      min: 1,
      default: 1,
      complete: "none",
      description: "Number of pings",
    },
    ...CONNECTION_OPTIONS,
  ],
  sections: [{
    title: "Exit status",
    rows: [["0", "Every PING was answered"], ["1", "One was not"], ["2", "Usage error"]],
  }],
  async run(inv) {
    const count = inv.int("count")!;
    const conn = await connectFromFlags(inv);
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
});
