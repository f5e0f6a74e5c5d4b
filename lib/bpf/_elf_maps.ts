/**
 * The maps of an eBPF object: BTF-defined maps (the `.maps` section, read from `.BTF`), legacy
 * `struct bpf_map_def` definitions (the `maps` section) and global data sections (`.data`,
 * `.rodata`, `.bss`) as one-element array maps.
 *
 * @module
 */
import type { ElfMapDef } from "./elf_object.ts";
import { BPF_MAP_TYPE } from "./map_types.ts";
import { btfMaps } from "./_btf_maps.ts";
import { type ElfFile, SHT_NOBITS, STT_SECTION } from "./_elf_file.ts";

/** `BPF_F_RDONLY_PROG`. */
const BPF_F_RDONLY_PROG = 128;

/** Size of a legacy map definition with and without `map_flags`. */
const MAP_DEF_BYTES = 20, MAP_DEF_MIN_BYTES = 16;

/** The maps of an object and how relocations find them. */
export interface ElfMaps {
  /** Maps: BTF-defined, then legacy definitions, then global data sections. */
  maps: ElfMapDef[];
  /** `"<section>:<symbol value>"` of each map's symbol → its index in `maps`. */
  mapBySym: Map<string, number>;
  /** Global data section index → its map's index in `maps`. */
  dataMap: Map<number, number>;
}

/**
 * Finds the maps of an object.
 *
 * @param elf The object.
 * @returns The maps and the relocation lookups.
 */
export function elfMaps(elf: ElfFile): ElfMaps {
  const maps: ElfMapDef[] = [];
  const mapBySym = new Map<string, number>();
  const btfMapsSec = elf.section(".maps");
  if (btfMapsSec !== undefined) {
    const btf = elf.section(".BTF");
    if (btf === undefined) {
      throw elf.err(
        'BTF-defined maps (section ".maps") need the .BTF section: compile with clang -g, or define maps with SEC("maps") struct bpf_map_def',
      );
    }
    const relocs = elf.relocations(btfMapsSec);
    for (const d of btfMaps(elf.contents(btf), elf.file, btf.offset)) {
      const def: ElfMapDef = {
        name: d.name,
        type: d.type,
        keySize: d.keySize,
        valueSize: d.valueSize,
        maxEntries: d.maxEntries,
        flags: d.flags,
      };
      if (d.mapExtra !== 0) def.mapExtra = d.mapExtra;
      if (d.spinLock >= 0) def.spinLock = d.spinLock;
      if (d.inner !== undefined) {
        const x = d.inner;
        def.inner = {
          name: x.name,
          type: x.type,
          keySize: x.keySize,
          valueSize: x.valueSize,
          maxEntries: x.maxEntries,
          flags: x.flags,
        };
      }
      maps.push(def);
      // Variable offsets in an object's BTF are not final (libbpf takes them from the symbol
      // table), so the symbol of the same name says where the map is.
      const sym = elf.symbols.find((y) => y.name === d.name && y.shndx === btfMapsSec.index);
      const at = sym?.value ?? d.offset;
      mapBySym.set(`${btfMapsSec.index}:${at}`, maps.length - 1);
      if (d.valuesOffset >= 0) {
        // `.values = { [i] = &prog_or_map }`: relocations at the slots of the values array.
        const from = at + d.valuesOffset, to = at + (sym?.size ?? 0);
        for (const r of relocs) {
          if (r.offset < from || (to > from && r.offset >= to) || (r.offset - from) % 8 !== 0) {
            continue;
          }
          (def.initialValues ??= []).push({ index: (r.offset - from) / 8, symbol: r.sym.name });
        }
      }
    }
  }
  const mapsSec = elf.section("maps");
  if (mapsSec !== undefined) {
    const defs = elf.symbols.filter((s) =>
      s.shndx === mapsSec.index && s.name !== "" && (s.info & 0xf) !== STT_SECTION
    );
    defs.sort((a, b) => a.value - b.value);
    for (const s of defs) {
      const size = s.size || MAP_DEF_BYTES;
      if (size < MAP_DEF_MIN_BYTES) {
        throw elf.err(
          `Map "${s.name}" definition is ${size} bytes, at least 16 needed`,
          mapsSec.offset + s.value,
        );
      }
      const o = mapsSec.offset + s.value;
      elf.need(o, size);
      maps.push({
        name: s.name,
        type: elf.u32(o),
        keySize: elf.u32(o + 4),
        valueSize: elf.u32(o + 8),
        maxEntries: elf.u32(o + 12),
        flags: size >= MAP_DEF_BYTES ? elf.u32(o + 16) : 0,
      });
      mapBySym.set(`${mapsSec.index}:${s.value}`, maps.length - 1);
    }
  }
  // Global data sections become one-element array maps.
  const dataMap = new Map<number, number>();
  for (const s of elf.sections) {
    if (!/^\.(data|rodata|bss)(\..*)?$/.test(s.name) || s.size === 0) continue;
    const initial = s.type === SHT_NOBITS ? new Uint8Array(s.size) : elf.contents(s).slice();
    maps.push({
      name: s.name,
      type: BPF_MAP_TYPE.array,
      keySize: 4,
      valueSize: s.size,
      maxEntries: 1,
      // As libbpf: .rodata is read-only to programs.
      flags: s.name.startsWith(".rodata") ? BPF_F_RDONLY_PROG : 0,
      initial,
    });
    dataMap.set(s.index, maps.length - 1);
  }
  return { maps, mapBySym, dataMap };
}
