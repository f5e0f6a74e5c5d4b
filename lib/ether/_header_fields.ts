/**
 * Byte offsets of the fields of the 24-byte Ether header (all big-endian), for the codec and the
 * server's and client's hot paths.
 *
 * @module
 */

/** `magic`, u32: `0xE7E7E7E7`. */
export const FIELD_MAGIC = 0;
/** `version`, u8. */
export const FIELD_VERSION = 4;
/** `command`, u8. */
export const FIELD_COMMAND = 5;
/** `flags`, u16. */
export const FIELD_FLAGS = 6;
/** `handle`, u64. */
export const FIELD_HANDLE = 8;
/** `size`, u32: a payload length, or a length for ALLOC, REALLOC and READ. */
export const FIELD_SIZE = 16;
/** `reserved`, i32: the error code of an ERROR reply. */
export const FIELD_RESERVED = 20;

/**
 * A handle as 0x-prefixed, 16-digit hex, for messages.
 *
 * @param handle The handle.
 * @returns The text.
 */
export function formatEtherHandle(handle: bigint): string {
  return `0x${handle.toString(16).padStart(16, "0")}`;
}
