/**
 * HMAC-SHA-256 (RFC 2104, FIPS 180-4) in plain arithmetic over typed arrays, for the report
 * channel of a sandboxed grade. The child computes it inside its trusted closures: a submission
 * in the same process can replace node:crypto's functions or the prototypes of its handles (and
 * so see a key passed to them), but not the operators and the typed-array indexing used here,
 * and it never gets a reference to the key. The parent checks the tags with node:crypto.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const HEX = '0123456789abcdef';
/** ASCII code of a one-character string, on an object without a prototype (no String.prototype.charCodeAt, which a submission can replace). */
const ASCII: Record<string, number> = Object.create(null) as Record<string, number>;
for (let c = 0; c < 128; c++) ASCII[String.fromCharCode(c)] = c;

/** SHA-256 of bytes[0..length). */
function sha256(bytes: Uint8Array, length: number): Uint8Array {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const padded = new Uint8Array((((length + 8) >>> 6) + 1) << 6);
  for (let i = 0; i < length; i++) padded[i] = bytes[i];
  padded[length] = 0x80;
  const bits = length * 8;
  const n = padded.length;
  padded[n - 5] = (bits / 2 ** 32) & 0xff;
  padded[n - 4] = (bits >>> 24) & 0xff;
  padded[n - 3] = (bits >>> 16) & 0xff;
  padded[n - 2] = (bits >>> 8) & 0xff;
  padded[n - 1] = bits & 0xff;
  const w = new Uint32Array(64);
  for (let off = 0; off < n; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = (padded[off + 4 * i] << 24) | (padded[off + 4 * i + 1] << 16) | (padded[off + 4 * i + 2] << 8) | padded[off + 4 * i + 3];
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = h[i] >>> 24;
    out[4 * i + 1] = (h[i] >>> 16) & 0xff;
    out[4 * i + 2] = (h[i] >>> 8) & 0xff;
    out[4 * i + 3] = h[i] & 0xff;
  }
  return out;
}

/**
 * A signer for one key (at most 64 bytes): sign(text) is the hex HMAC-SHA-256 of the text's
 * ASCII characters (the channel escapes everything else); other text is refused. The key is copied; the caller can drop its copy.
 */
export function hmacSigner(key: Uint8Array): (text: string) => string {
  if (key.length > 64) throw new RangeError('hmacSigner: a key of at most 64 bytes');
  const ipad = new Uint8Array(64);
  const opad = new Uint8Array(64);
  for (let i = 0; i < 64; i++) {
    const k = i < key.length ? key[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  return (text: string): string => {
    const inner = new Uint8Array(64 + text.length);
    for (let i = 0; i < 64; i++) inner[i] = ipad[i];
    for (let i = 0; i < text.length; i++) {
      const c = ASCII[text[i]];
      if (c === undefined) throw new RangeError('hmacSigner: the channel signs ASCII text only');
      inner[64 + i] = c;
    }
    const ih = sha256(inner, inner.length);
    const outer = new Uint8Array(96);
    for (let i = 0; i < 64; i++) outer[i] = opad[i];
    for (let i = 0; i < 32; i++) outer[64 + i] = ih[i];
    const tag = sha256(outer, 96);
    let hex = '';
    for (let i = 0; i < 32; i++) hex += HEX[tag[i] >>> 4] + HEX[tag[i] & 15];
    return hex;
  };
}
