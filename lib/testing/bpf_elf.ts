/**
 * Minimal eBPF ELF objects for tests and examples, without clang: code sections, global data
 * and a licence, laid out as `clang -target bpf -c` lays them out (ELF64, little-endian, machine BPF).
 *
 * @module
 */

/**
 * Options of {@linkcode buildBpfElf}.
 *
 * @example
 * ```ts
 * import { parseElf } from "@mxy/mxy/bpf";
 * import { buildBpfElf, type BuildBpfElfOptions } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const options: BuildBpfElfOptions = { license: "GPL", data: new Uint8Array(8) };
 * const obj = parseElf(buildBpfElf({}, options));
 * assert.equal(obj.license, "GPL");
 * assert.equal(obj.maps[0].valueSize, 8);
 * ```
 */
export interface BuildBpfElfOptions {
  /** The text of a `license` section (none by default). */
  license?: string;
  /** The bytes of a `.data` section (global data, which loads as a one-element array map). */
  data?: Uint8Array;
}

const HEADER_BYTES = 64, SECTION_HEADER_BYTES = 64;
const EM_BPF = 247, SHT_PROGBITS = 1, SHT_STRTAB = 3;
const SHF_WRITE = 0x1, SHF_ALLOC = 0x2, SHF_EXECINSTR = 0x4;

/**
 * Builds an ELF object holding bytecode in code sections named like clang's (`socket`,
 * `xdp`, `classifier/ingress` …), and optionally global data and a licence; no symbols, map
 * definitions or relocations.
 *
 * @param programs Bytecode by section name, in section order.
 * @param options The licence and global data.
 * @returns The object's bytes.
 * @example
 * ```ts
 * import { assemble, BpfVm, loadElf } from "@mxy/mxy/bpf";
 * import { buildBpfElf } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const obj = buildBpfElf({ socket: assemble("mov %r0, 7\nexit") }, { license: "GPL" });
 * const { programs, license } = loadElf(new BpfVm(), obj);
 * assert.equal(license, "GPL");
 * assert.equal(programs.get("socket")!.run(), 7n);
 * ```
 */
export function buildBpfElf(
  programs: Record<string, Uint8Array>,
  options: BuildBpfElfOptions = {},
): Uint8Array {
  const encoder = new TextEncoder();
  const sections: { name: string; type: number; flags: number; bytes: Uint8Array }[] = [];
  for (const [name, bytes] of Object.entries(programs)) {
    sections.push({ name, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, bytes });
  }
  if (options.data !== undefined) {
    sections.push({
      name: ".data",
      type: SHT_PROGBITS,
      flags: SHF_ALLOC | SHF_WRITE,
      bytes: options.data,
    });
  }
  if (options.license !== undefined) {
    const bytes = encoder.encode(options.license + "\0");
    sections.push({ name: "license", type: SHT_PROGBITS, flags: SHF_ALLOC, bytes });
  }
  // The section name table: index 1, after the null section.
  let names = "\0.shstrtab\0";
  const nameOf: number[] = [];
  for (const s of sections) {
    nameOf.push(names.length);
    names += s.name + "\0";
  }
  const all = [
    { name: ".shstrtab", type: SHT_STRTAB, flags: 0, bytes: encoder.encode(names) },
    ...sections,
  ];
  const nameOffsets = [1, ...nameOf];
  let at = HEADER_BYTES;
  const offsets = all.map((s) => {
    const o = at;
    at += (s.bytes.length + 7) & ~7;
    return o;
  });
  const shoff = at;
  const out = new Uint8Array(shoff + (all.length + 1) * SECTION_HEADER_BYTES);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // \x7fELF, 64-bit, little-endian, version 1
  v.setUint16(16, 1, true); // relocatable
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(0x28, BigInt(shoff), true);
  v.setUint16(0x34, HEADER_BYTES, true);
  v.setUint16(0x3a, SECTION_HEADER_BYTES, true);
  v.setUint16(0x3c, all.length + 1, true);
  v.setUint16(0x3e, 1, true);
  all.forEach((s, i) => {
    out.set(s.bytes, offsets[i]);
    const h = shoff + (i + 1) * SECTION_HEADER_BYTES;
    v.setUint32(h, nameOffsets[i], true);
    v.setUint32(h + 4, s.type, true);
    v.setBigUint64(h + 8, BigInt(s.flags), true);
    v.setBigUint64(h + 24, BigInt(offsets[i]), true);
    v.setBigUint64(h + 32, BigInt(s.bytes.length), true);
    v.setBigUint64(h + 48, BigInt(s.flags & SHF_EXECINSTR ? 8 : 1), true);
  });
  return out;
}
