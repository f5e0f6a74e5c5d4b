/**
 * Test helpers: random globs in the supported syntax, a reference translation to RegExp, and
 * random queries that often match.
 *
 * @module
 */
import fc from "fast-check";

/** One glob atom. */
export type Atom =
  | { t: "lit"; cp: number }
  | { t: "any" }
  | { t: "star" }
  | { t: "set"; neg: boolean; ranges: [number, number][] };

/** Characters the generators draw from: ASCII, case pairs, Unicode folding oddities, astral. */
export const ALPHABET: number[] = [
  0x61,
  0x62,
  0x63,
  0x41,
  0x42,
  0x2e,
  0x2f,
  0x2d,
  0x5d,
  0x2a,
  0x3f,
  0x5b,
  0x5c,
  0x21,
  0x5e,
  0xe9,
  0xc9,
  0xdf,
  0x1e9e,
  0x3c3,
  0x3c2,
  0x3a3,
  0x212a,
  0x6b,
  0x4b,
  0x17f,
  0x73,
  0x1f600,
  0x10400,
  0x10428,
  0x131,
  0x130,
  0x69,
];

const META = new Set([0x2a, 0x3f, 0x5b, 0x5c]);
const SET_META = new Set([0x5d, 0x5c, 0x2d, 0x21, 0x5e]);

const cpArb = fc.constantFrom(...ALPHABET);

/** Random atoms. */
export const atomArb: fc.Arbitrary<Atom> = fc.oneof(
  { weight: 6, arbitrary: cpArb.map((cp): Atom => ({ t: "lit", cp })) },
  { weight: 1, arbitrary: fc.constant<Atom>({ t: "any" }) },
  { weight: 2, arbitrary: fc.constant<Atom>({ t: "star" }) },
  {
    weight: 1,
    arbitrary: fc.record({
      neg: fc.boolean(),
      ranges: fc.array(
        fc.tuple(cpArb, cpArb).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a])),
        { minLength: 1, maxLength: 3 },
      ),
    }).map((r): Atom => ({ t: "set", ...r })),
  },
);

/** Random globs as atom lists. */
export const globArb: fc.Arbitrary<Atom[]> = fc.array(atomArb, { maxLength: 8 });

function esc(cp: number, meta: Set<number>): string {
  const s = String.fromCodePoint(cp);
  return meta.has(cp) ? "\\" + s : s;
}

/**
 * Renders atoms as glob text (metacharacters escaped).
 *
 * @param atoms The atoms.
 * @returns The glob.
 */
export function renderGlob(atoms: Atom[]): string {
  let out = "";
  for (const a of atoms) {
    if (a.t === "lit") out += esc(a.cp, META);
    else if (a.t === "any") out += "?";
    else if (a.t === "star") out += "*";
    else {
      out += a.neg ? "[!" : "[";
      for (const [lo, hi] of a.ranges) {
        out += esc(lo, SET_META);
        if (hi !== lo) out += "-" + esc(hi, SET_META);
      }
      out += "]";
    }
  }
  return out;
}

function u(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/**
 * The reference: the glob as a RegExp (flags `su`, plus `i` when case-insensitive).
 *
 * @param atoms The atoms.
 * @param ci Case-insensitive.
 * @returns The RegExp.
 */
export function referenceRegExp(atoms: Atom[], ci: boolean): RegExp {
  let src = "^";
  for (const a of atoms) {
    if (a.t === "lit") src += u(a.cp);
    else if (a.t === "any") src += ".";
    else if (a.t === "star") src += ".*";
    else {
      src += a.neg ? "[^" : "[";
      for (const [lo, hi] of a.ranges) src += lo === hi ? u(lo) : `${u(lo)}-${u(hi)}`;
      src += "]";
    }
  }
  return new RegExp(src + "$", ci ? "sui" : "su");
}

/**
 * A query built from the atoms (so it often matches), using the random choices given.
 *
 * @param atoms The atoms.
 * @param picks Random numbers in [0, 1) used for the choices.
 * @returns The query.
 */
export function instantiate(atoms: Atom[], picks: number[]): string {
  let k = 0;
  const pick = () => picks[k++ % picks.length] ?? 0;
  const any = () => ALPHABET[Math.floor(pick() * ALPHABET.length)];
  let out = "";
  for (const a of atoms) {
    if (a.t === "lit") out += String.fromCodePoint(pick() < 0.9 ? a.cp : any());
    else if (a.t === "any") out += String.fromCodePoint(any());
    else if (a.t === "star") {
      const n = Math.floor(pick() * 3);
      for (let i = 0; i < n; i++) out += String.fromCodePoint(any());
    } else {
      const [lo, hi] = a.ranges[Math.floor(pick() * a.ranges.length)];
      const cp = lo + Math.floor(pick() * Math.min(hi - lo + 1, 3));
      out += String.fromCodePoint(cp >= 0xd800 && cp <= 0xdfff ? lo : cp);
    }
  }
  return out;
}

/** A random query: from the glob, or from the alphabet. */
export function queryArb(atoms: Atom[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 12 })
      .map((p) => instantiate(atoms, p)),
    fc.array(cpArb, { maxLength: 10 }).map((a) => String.fromCodePoint(...a)),
  );
}
