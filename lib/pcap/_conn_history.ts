/**
 * Zeek's connection history letters (`ShADadFf`), kept per session slot in two 32-bit words of
 * 4-bit codes, each letter once per direction in order of first appearance.
 *
 * @module
 */

/** Words of codes per slot (eight 4-bit codes each: every letter of both directions fits). */
export const HISTORY_WORDS = 2;
/** History letter: a SYN without ACK. */
export const H_SYN = 1;
/** History letter: a SYN+ACK. */
export const H_SYN_ACK = 2;
/** History letter: a pure ACK. */
export const H_ACK = 3;
/** History letter: a packet with payload. */
export const H_DATA = 4;
/** History letter: a FIN. */
export const H_FIN = 5;
/** History letter: a RST. */
export const H_RST = 6;
/** Added to a code for the responder's (lower-case) letter. */
const RESPONDER = 6;

// The letters in the order of their codes (1-based; 0 ends the sequence).
const LETTERS = "SHADFRshadfr";

/**
 * Appends a letter to slot `slot`'s history unless that direction already has it.
 * `seen` holds one bit per letter and direction.
 */
export function addHistoryLetter(
  history: Uint32Array,
  seen: Uint16Array,
  slot: number,
  code: number,
  fromOrig: boolean,
): void {
  if (!fromOrig) code += RESPONDER;
  const bit = 1 << code;
  const bits = seen[slot];
  if ((bits & bit) !== 0) return;
  seen[slot] = bits | bit;
  // Append the 4-bit code after the codes already there.
  for (let w = slot * HISTORY_WORDS; w < (slot + 1) * HISTORY_WORDS; w++) {
    const word = history[w];
    if (word >>> 28 !== 0) continue;
    let shift = 0;
    while (shift < 32 && (word >>> shift) !== 0) shift += 4;
    history[w] = (word | (code << shift)) >>> 0;
    return;
  }
}

/** The history letters of slot `slot`. */
export function historyText(history: Uint32Array, slot: number): string {
  let text = "";
  for (let w = slot * HISTORY_WORDS; w < (slot + 1) * HISTORY_WORDS; w++) {
    let word = history[w];
    while (word !== 0) {
      text += LETTERS[(word & 15) - 1];
      word >>>= 4;
    }
  }
  return text;
}
