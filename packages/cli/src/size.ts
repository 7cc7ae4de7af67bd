/** memparse(): "4G", "512M", "64k", "0x1000", "4096" -> bytes, as the kernel command line reads sizes. */
export function parseSize(text: string): number | undefined {
  const m = /^(0x[0-9a-f]+|\d+(?:\.\d+)?)([kmgtpe]?)(i?b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const base = m[1].toLowerCase().startsWith('0x') ? parseInt(m[1], 16) : Number(m[1]);
  const shift = { '': 0, k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't' | 'p' | 'e'];
  const bytes = base * 2 ** shift;
  return Number.isSafeInteger(Math.round(bytes)) ? Math.round(bytes) : undefined;
}

/** kernelcore=/movablecore= accept a size or a percentage ("25%"). */
export function parseSizeOrPercent(text: string): number | { percent: number } | undefined {
  const p = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (p) {
    const percent = Number(p[1]);
    return percent >= 0 && percent <= 100 ? { percent } : undefined;
  }
  return parseSize(text);
}
