/**
 * The kernel log (kernel/printk/printk.c, 4.17): log_buf, a ring of 1 << CONFIG_LOG_BUF_SHIFT
 * bytes (18, 256 KiB, in arch/x86/configs/x86_64_defconfig; init/Kconfig allows 12 to 25).
 * Each record costs its struct printk_log header (16 bytes) plus its text, padded to
 * LOG_ALIGN (8 on x86-64: msg_used_size()); when a new record does not fit, the oldest records
 * are dropped (log_make_free_space()), and a record too big for the empty buffer is cut to a
 * quarter of it with "<truncated>" appended (truncate_msg(), MAX_LOG_TAKE_PART 4).
 *
 * The append path keeps the text and the timestamp in preallocated slots (a string array and a
 * Float64Array used as a ring, sized for the most records the buffer can hold); lines are
 * formatted ("[    1.234567] text") only when read.
 */

/** CONFIG_LOG_BUF_SHIFT of 4.17's x86_64_defconfig. */
export const DEFAULT_LOG_BUF_SHIFT = 18;
/** init/Kconfig: LOG_BUF_SHIFT range 12 25. */
export const MIN_LOG_BUF_SHIFT = 12;
export const MAX_LOG_BUF_SHIFT = 25;
/** sizeof(struct printk_log): u64 ts_nsec, u16 len, text_len, dict_len, u8 facility, flags:5 + level:3. */
export const PRINTK_LOG_HEADER = 16;
/** LOG_ALIGN: __alignof__(struct printk_log). */
const LOG_ALIGN = 8;
/** MAX_LOG_TAKE_PART: a record may take at most a quarter of an empty buffer. */
const MAX_LOG_TAKE_PART = 4;
const TRUNC_MSG = '<truncated>';

/** msg_used_size(): header + text, padded to LOG_ALIGN. */
export function msgUsedSize(textLen: number): number {
  return (PRINTK_LOG_HEADER + textLen + LOG_ALIGN - 1) & ~(LOG_ALIGN - 1);
}

export class LogBuffer {
  /** log_buf_len. */
  readonly size: number;
  private readonly texts: string[];
  private readonly seconds: Float64Array;
  private readonly sizes: Uint32Array;
  private head = 0;
  private count = 0;
  private used = 0;
  /** Records dropped to make room since boot. */
  dropped = 0;
  /** log_next_seq: records stored since boot. */
  nextSeq = 0;
  private formatted: string[] | undefined;

  constructor(shift: number = DEFAULT_LOG_BUF_SHIFT) {
    this.size = 2 ** shift;
    const slots = this.size / PRINTK_LOG_HEADER; // the most records that fit (empty texts)
    this.texts = new Array<string>(slots).fill('');
    this.seconds = new Float64Array(slots);
    this.sizes = new Uint32Array(slots);
  }

  /** Bytes the retained records take. */
  get bytesUsed(): number {
    return this.used;
  }

  /** Records retained. */
  get length(): number {
    return this.count;
  }

  /** log_store(): one record, dropping the oldest until it fits. */
  store(seconds: number, text: string): void {
    let size = msgUsedSize(text.length);
    if (size > this.size) {
      text = this.truncate(text);
      size = msgUsedSize(text.length);
    }
    const slots = this.texts.length;
    while (this.used + size > this.size) this.dropOldest();
    const slot = (this.head + this.count) % slots;
    this.texts[slot] = text;
    this.seconds[slot] = seconds;
    this.sizes[slot] = size;
    this.count++;
    this.used += size;
    this.nextSeq++;
    this.formatted = undefined;
  }

  private dropOldest(): void {
    this.used -= this.sizes[this.head];
    this.texts[this.head] = '';
    this.head = (this.head + 1) % this.texts.length;
    this.count--;
    this.dropped++;
  }

  /** truncate_msg() (cold). */
  private truncate(text: string): string {
    return text.slice(0, this.size / MAX_LOG_TAKE_PART) + TRUNC_MSG;
  }

  /** The retained records, oldest first, as dmesg prints them ("[%5lu.%06lu] text", CONFIG_PRINTK_TIME). */
  lines(): readonly string[] {
    if (this.formatted) return this.formatted;
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % this.texts.length;
      out[i] = `[${this.seconds[slot].toFixed(6).padStart(12)}] ${this.texts[slot]}`;
    }
    this.formatted = out;
    return out;
  }

  /** /dev/kmsg's records (devkmsg_read(): "level,seq,usec,flags;text"), oldest first. */
  kmsg(level = 6): string {
    let text = '';
    const first = this.nextSeq - this.count;
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % this.texts.length;
      text += `${level},${first + i},${Math.round(this.seconds[slot] * 1e6)},-;${this.texts[slot]}\n`;
    }
    return text;
  }
}
