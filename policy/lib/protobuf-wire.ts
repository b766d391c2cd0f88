/** Protobuf wire-format sizes shared by the runner's request encoder (offline/wire.ts) and the pack's response encoder. */

/** How many bytes the base-128 varint of a non-negative integer takes. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
