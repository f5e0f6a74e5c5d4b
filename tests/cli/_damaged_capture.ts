/**
 * A classic pcap file damaged after its first records: the record after `keep` packets claims a
 * captured length no reader takes. Tests of the capture commands compare what they print for it
 * with what they print for the same first packets in an undamaged file.
 *
 * @module
 */

/** The damaged file and the undamaged file of the same first packets. */
export interface DamagedCapture {
  /** The first `keep` records, then a record whose captured length is 0x7fffffff. */
  damaged: Uint8Array;
  /** The first `keep` records only. */
  prefix: Uint8Array;
  /** The byte offset of the damaged record. */
  offset: number;
}

/**
 * Damages a little-endian classic pcap file after `keep` records.
 *
 * @param pcap The capture (classic pcap, little-endian headers).
 * @param keep How many records stay whole (fewer than the file has).
 * @returns The two files.
 */
export function damageAfter(pcap: Uint8Array, keep: number): DamagedCapture {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  if (view.getUint32(0, true) !== 0xa1b2c3d4 && view.getUint32(0, true) !== 0xa1b23c4d) {
    throw new Error("damageAfter takes a little-endian classic pcap file");
  }
  let offset = 24;
  for (let i = 0; i < keep; i++) {
    if (offset + 16 > pcap.length) throw new Error(`the capture has only ${i} records`);
    offset += 16 + view.getUint32(offset + 8, true);
  }
  if (offset + 16 > pcap.length) throw new Error(`the capture has only ${keep} records`);
  const damaged = pcap.slice();
  new DataView(damaged.buffer).setUint32(offset + 8, 0x7fffffff, true);
  return { damaged, prefix: pcap.slice(0, offset), offset };
}

/** The files {@linkcode withDamagedCapture} writes. */
export interface DamagedCaptureFiles {
  /** The temporary directory holding them (removed afterwards). */
  dir: string;
  /** The damaged capture's path. */
  damaged: string;
  /** The path of the capture of the first packets only. */
  prefix: string;
  /** The byte offset of the damaged record. */
  offset: number;
}

/**
 * Writes a capture file damaged after `keep` records and the file of those records alone into a
 * temporary directory, runs `fn`, and removes the directory.
 *
 * @param source A little-endian classic pcap file.
 * @param keep How many records stay whole.
 * @param fn The test.
 */
export async function withDamagedCapture(
  source: string,
  keep: number,
  fn: (files: DamagedCaptureFiles) => Promise<void>,
): Promise<void> {
  const { damaged, prefix, offset } = damageAfter(await Deno.readFile(source), keep);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/damaged.pcap`, damaged);
    await Deno.writeFile(`${dir}/prefix.pcap`, prefix);
    await fn({ dir, damaged: `${dir}/damaged.pcap`, prefix: `${dir}/prefix.pcap`, offset });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
