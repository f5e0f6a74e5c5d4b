/**
 * Ways of rewriting a served database file IN PLACE (same inode), which would kill a process
 * that had it memory-mapped (SIGBUS) and could feed garbage to one that read it again. The Ether
 * server must live through each and keep answering from the database it loaded.
 *
 * @module
 */

/** A deterministic garbage byte source (xorshift32). */
function garbage(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s;
  }
  return out;
}

/** Writes `bytes` at the start of the file without truncating it or replacing its inode. */
async function writeInPlace(file: string, bytes: Uint8Array): Promise<void> {
  const f = await Deno.open(file, { write: true });
  try {
    let done = 0;
    while (done < bytes.length) done += await f.write(bytes.subarray(done));
  } finally {
    f.close();
  }
}

/** The rewrites, in order: each takes the served file and another valid database file. */
export const IN_PLACE_REWRITES: [string, (file: string, other: string) => Promise<void>][] = [
  ["cp of another database over it", async (file, other) => {
    const cp = await new Deno.Command("cp", { args: [other, file] }).output();
    if (!cp.success) throw new Error(`cp failed: ${new TextDecoder().decode(cp.stderr)}`);
  }],
  ["truncated to 0 bytes", (file) => Deno.truncate(file, 0)],
  ["random bytes written in place", async (file, other) => {
    await writeInPlace(file, garbage((await Deno.stat(other)).size, 0x5eed));
  }],
  ["a valid file whose search tree is overwritten with garbage", async (file, other) => {
    await Deno.truncate(file, 0);
    await writeInPlace(file, await Deno.readFile(other));
    await writeInPlace(file, garbage(256, 0xbad)); // the metadata at the end stays readable
  }],
];

/** Whether the file at `path` still has the inode it had (it was rewritten, not replaced). */
export async function sameInode(path: string, ino: number | null): Promise<boolean> {
  return (await Deno.stat(path)).ino === ino;
}
