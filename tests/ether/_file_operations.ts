/**
 * What people and tools do to a database file while a server has it as database 0 (`--db`):
 * copy over it in place, truncate it, scribble on it, `cp -p` a file of the same size and time,
 * rsync (a temporary file renamed over it), remove it and write it again slowly, remove it for
 * good. Whatever is done, the server must keep answering from the last good version (never crash:
 * a memory-mapped file rewritten in place raises SIGBUS) and load a new version once it is
 * complete and valid.
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

async function appendTo(file: string, bytes: Uint8Array): Promise<void> {
  const f = await Deno.open(file, { write: true, append: true });
  try {
    let done = 0;
    while (done < bytes.length) done += await f.write(bytes.subarray(done));
  } finally {
    f.close();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One thing done to the served file. */
export interface FileOperation {
  /** What is done. */
  name: string;
  /**
   * Does it. `build(tag)` gives a valid database whose records carry `tag` (tags of one length
   * give files of one size); `other` is a valid database file elsewhere in the folder with tag
   * `"other"`. `pause()` lets the server look at the file in an intermediate state (several of
   * its checks); `waitFor(tag)` waits until database 0 answers with `tag`.
   */
  run(
    file: string,
    tools: {
      build: (tag: string) => Uint8Array;
      other: string;
      pause: () => Promise<void>;
      waitFor: (tag: string) => Promise<void>;
    },
  ): Promise<void>;
  /** The tag database 0 answers with afterwards: the new version's, or `null` for the one before. */
  expect: string | null;
  /** The file is left as a stable file that is not a valid database. */
  invalid?: boolean;
}

/** The operations, in order; each starts from what the previous one left. */
export const FILE_OPERATIONS: FileOperation[] = [
  {
    name: "cp of another database over it (in place)",
    run: async (file, { other }) => {
      const cp = await new Deno.Command("cp", { args: [other, file] }).output();
      if (!cp.success) throw new Error(`cp failed: ${new TextDecoder().decode(cp.stderr)}`);
    },
    expect: "other",
  },
  {
    name: "truncated to 0 bytes",
    run: (file) => Deno.truncate(file, 0),
    expect: null,
    invalid: true,
  },
  {
    name: "random bytes written in place",
    run: async (file, { other }) =>
      await writeInPlace(file, garbage((await Deno.stat(other)).size, 0x5eed)),
    expect: null,
    invalid: true,
  },
  {
    name: "a valid file whose search tree is then overwritten with garbage",
    run: async (file, { build }) => {
      await Deno.truncate(file, 0);
      await writeInPlace(file, build("broken"));
      await writeInPlace(file, garbage(256, 0xbad)); // the metadata at the end stays readable
    },
    expect: null,
    invalid: true,
  },
  {
    name: "a valid file, then cp -p of another one of the same size and time",
    run: async (file, { build, waitFor }) => {
      await Deno.truncate(file, 0);
      await writeInPlace(file, build("same-1"));
      await waitFor("same-1"); // a complete, valid version: loaded
      const { mtime, atime } = await Deno.stat(file);
      await writeInPlace(file, build("same-2"));
      await Deno.utime(file, atime!, mtime!);
    },
    expect: "same-2",
  },
  {
    name: "rsync: a temporary file renamed over it",
    run: async (file, { build }) => {
      const tmp = file.replace(/[^/]+$/, ".live.mxy.Xa1b2c");
      await Deno.writeFile(tmp, build("rsync"));
      await Deno.rename(tmp, file);
    },
    expect: "rsync",
  },
  {
    name: "half a new file copied in place, the rest later",
    run: async (file, { build, pause }) => {
      const next = build("halves");
      await Deno.truncate(file, 0);
      await writeInPlace(file, next.subarray(0, next.length >> 1));
      await pause(); // stable for several checks, but not a database
      await appendTo(file, next.subarray(next.length >> 1));
    },
    expect: "halves",
  },
  {
    name: "removed, then written anew slowly",
    run: async (file, { build, pause }) => {
      const next = build("anew");
      await Deno.remove(file);
      await pause();
      await Deno.writeFile(file, next.subarray(0, 100));
      for (let at = 100; at < next.length; at += 200) {
        await sleep(3);
        await appendTo(file, next.subarray(at, at + 200));
      }
    },
    expect: "anew",
  },
  { name: "removed for good", run: (file) => Deno.remove(file), expect: null },
];

/**
 * Runs every operation on `file` and checks after each what database 0 answers: the new tag
 * once it is there (waiting up to 5 s), or the tag before it, unchanged over 150 ms of checks.
 * With `rejected` (how many times the server said the file is not a valid database), an
 * operation that leaves an invalid file waits (up to 5 s) until the server has looked at it and
 * said so, so that a slow machine cannot let the next operation come first.
 *
 * @param file The served file (database 0 answers `tag()` from it).
 * @param tools How to build databases, another valid file, database 0's tag, and optionally the
 * count of rejections.
 * @returns The operations' names with the tag seen after each.
 */
export async function runFileOperations(
  file: string,
  tools: {
    build: (tag: string) => Uint8Array;
    other: string;
    tag: () => Promise<string>;
    rejected?: () => number;
  },
): Promise<string[]> {
  const seen: string[] = [];
  let current = await tools.tag();
  const waitFor = async (tag: string) => {
    for (let i = 0; i < 500 && current !== tag; i++) {
      await sleep(10);
      current = await tools.tag();
    }
    if (current !== tag) throw new Error(`Database 0 answers "${current}", not "${tag}"`);
  };
  for (const op of FILE_OPERATIONS) {
    const rejectedBefore = tools.rejected?.() ?? 0;
    await op.run(file, { ...tools, pause: () => sleep(150), waitFor });
    let now = await tools.tag();
    if (op.expect === null) {
      await sleep(150);
      if (op.invalid && tools.rejected !== undefined) {
        for (let i = 0; i < 500 && tools.rejected() === rejectedBefore; i++) await sleep(10);
        if (tools.rejected() === rejectedBefore) {
          throw new Error(`After "${op.name}": the server never said the file is invalid`);
        }
      }
      now = await tools.tag();
      if (now !== current) {
        throw new Error(`After "${op.name}": answers "${now}", not "${current}"`);
      }
    } else {
      for (let i = 0; i < 500 && now !== op.expect; i++) {
        if (now !== current) {
          throw new Error(`After "${op.name}": answers "${now}" before "${op.expect}"`);
        }
        await sleep(10);
        now = await tools.tag();
      }
      if (now !== op.expect) {
        throw new Error(`After "${op.name}": still answers "${now}", not "${op.expect}"`);
      }
      current = now;
    }
    seen.push(`${op.name}: ${now}`);
  }
  return seen;
}
