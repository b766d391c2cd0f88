/**
 * bcrypt ($2a$, as golang.org/x/crypto/bcrypt writes it and ntfy reads it) in plain TypeScript: no bcrypt package is
 * installed and none may be added. Blowfish's initial P-array and S-boxes are the hexadecimal digits of π's
 * fractional part (Schneier, "Description of a New Variable-Length Key, 64-Bit Block Cipher", 1993), computed here
 * once with BigInt instead of a 4 KiB table. Checked against the system's crypt(3) (libxcrypt) in the tests.
 */
import { createHmac } from "node:crypto";

const WORDS = 18 + 4 * 256;
let piWords: Uint32Array | undefined;

/** The first `WORDS` 32-bit words of π's fractional part (Machin: π = 16·atan(1/5) − 4·atan(1/239)). */
function blowfishInit(): Uint32Array {
  if (piWords) return piWords;
  const bits = BigInt(WORDS * 32 + 64);
  const one = 1n << bits;
  const atanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    for (let k = 1n, sign = 1n; term !== 0n; k += 2n, sign = -sign) {
      sum += (sign * term) / k;
      term /= x2;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  const fraction = (pi - 3n * one) >> 64n;
  const words = new Uint32Array(WORDS);
  for (let i = 0; i < WORDS; i++) {
    words[i] = Number((fraction >> BigInt((WORDS - 1 - i) * 32)) & 0xffffffffn);
  }
  piWords = words;
  return words;
}

class Blowfish {
  readonly p: Uint32Array;
  readonly s: Uint32Array;
  constructor() {
    const init = blowfishInit();
    this.p = init.slice(0, 18);
    this.s = init.slice(18);
  }
  private f(x: number): number {
    const s = this.s;
    return (((s[x >>> 24]! + s[256 | ((x >>> 16) & 0xff)]!) ^ s[512 | ((x >>> 8) & 0xff)]!) + s[768 | (x & 0xff)]!) >>> 0;
  }
  encrypt(block: Uint32Array, at: number): void {
    let l = block[at]!;
    let r = block[at + 1]!;
    const p = this.p;
    for (let i = 0; i < 16; i += 2) {
      l ^= p[i]!;
      r ^= this.f(l);
      r ^= p[i + 1]!;
      l ^= this.f(r);
    }
    block[at] = (r ^ p[17]!) >>> 0;
    block[at + 1] = (l ^ p[16]!) >>> 0;
  }
  /** ExpandKey(state, salt, key) of the bcrypt paper; an empty salt is the all-zero one. */
  expand(key: Uint8Array, salt?: Uint8Array): void {
    let k = 0;
    const word = (bytes: Uint8Array, at: { i: number }): number => {
      let w = 0;
      for (let j = 0; j < 4; j++) {
        w = ((w << 8) | bytes[at.i]!) >>> 0;
        at.i = (at.i + 1) % bytes.length;
      }
      return w;
    };
    const keyAt = { i: k };
    for (let i = 0; i < 18; i++) this.p[i] = (this.p[i]! ^ word(key, keyAt)) >>> 0;
    k = 0;
    const saltAt = { i: k };
    const block = new Uint32Array(2);
    const fill = (target: Uint32Array) => {
      for (let i = 0; i < target.length; i += 2) {
        if (salt) {
          block[0] = (block[0]! ^ word(salt, saltAt)) >>> 0;
          block[1] = (block[1]! ^ word(salt, saltAt)) >>> 0;
        }
        this.encrypt(block, 0);
        target[i] = block[0]!;
        target[i + 1] = block[1]!;
      }
    };
    fill(this.p);
    fill(this.s);
  }
}

const ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** bcrypt's own base64 (no padding, its alphabet). */
export function bcryptBase64(bytes: Uint8Array, length: number): string {
  let out = "";
  let i = 0;
  while (out.length < length) {
    const b0 = bytes[i++] ?? 0;
    const b1 = bytes[i++] ?? 0;
    const b2 = bytes[i++] ?? 0;
    out += ALPHABET[b0 >> 2]! + ALPHABET[((b0 & 3) << 4) | (b1 >> 4)]! + ALPHABET[((b1 & 15) << 2) | (b2 >> 6)]! + ALPHABET[b2 & 63]!;
  }
  return out.slice(0, length);
}

function decodeBase64(text: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const char of text) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) throw new Error("bcrypt: salt is not in bcrypt's base64 alphabet");
    value = (value << 6) | index;
    bits += 6;
    if (bits >= 8 && o < bytes) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

/** `$2a$<cost>$<22 salt chars><31 hash chars>` of `password` with a 16-byte salt. */
export function bcryptHash(password: string, salt: Uint8Array, cost = 10): string {
  if (salt.length !== 16) throw new Error("bcrypt: the salt must be 16 bytes");
  if (!Number.isInteger(cost) || cost < 4 || cost > 31) throw new Error("bcrypt: cost must be 4 to 31");
  const encoded = Buffer.from(password, "utf8");
  // The key is the password's bytes and a NUL, cut to 72 bytes.
  const key = Uint8Array.from([...encoded.subarray(0, 72), ...(encoded.length < 72 ? [0] : [])]);
  const saltText = bcryptBase64(salt, 22);
  // Round trip through the text so the 22nd character's unused bits are as a verifier decodes them.
  const saltBytes = decodeBase64(saltText, 16);
  const state = new Blowfish();
  state.expand(key, saltBytes);
  for (let round = 0; round < 2 ** cost; round++) {
    state.expand(key);
    state.expand(saltBytes);
  }
  const text = Buffer.from("OrpheanBeholderScryDoubt", "ascii");
  const cdata = new Uint32Array(6);
  for (let i = 0; i < 6; i++) cdata[i] = text.readUInt32BE(i * 4);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 6; j += 2) state.encrypt(cdata, j);
  }
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(cdata[i]!, i * 4);
  return `$2a$${String(cost).padStart(2, "0")}$${saltText}${bcryptBase64(out.subarray(0, 23), 31)}`;
}

/**
 * A hash whose salt derives from the password and a label (HMAC-SHA-256): the same inputs give the same file on
 * every `up`, so an unchanged password never replaces the container. The file holding it is a Pulumi secret.
 */
export function stableBcryptHash(password: string, label: string, cost = 10): string {
  const salt = createHmac("sha256", password).update(`myoci bcrypt salt: ${label}`).digest().subarray(0, 16);
  const key = `${cost}:${salt.toString("hex")}`;
  let hash = memo.get(key);
  if (hash === undefined) {
    hash = bcryptHash(password, salt, cost);
    memo.set(key, hash);
  }
  return hash;
}

// One evaluation of the program per process is common (plan, tests): 2^10 rounds cost a noticeable fraction of a second.
const memo = new Map<string, string>();
