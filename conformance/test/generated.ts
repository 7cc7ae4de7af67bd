/**
 * Checking a generated part of a file: the text between two markers must be what the data
 * gives; MMKIT_UPDATE_README=1 rewrites it (or creates the whole file from `whole`) instead.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const UPDATE = process.env.MMKIT_UPDATE_README === '1';

export function expectGenerated(url: URL, start: string, end: string, generated: string, whole?: string): void {
  const path = fileURLToPath(url);
  if (!existsSync(path)) {
    if (UPDATE && whole !== undefined) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, whole);
    }
    expect(existsSync(path), `${path} exists (MMKIT_UPDATE_README=1 generates it)`).toBe(true);
  }
  let text = readFileSync(path, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  expect(a >= 0 && b > a, `${path} has the markers ${start.trim()} ... ${end.trim()}`).toBe(true);
  let current = text.slice(a, b + end.length);
  const wanted = `${start}${generated}${end}`;
  if (UPDATE && current !== wanted) {
    text = text.replace(current, wanted);
    writeFileSync(path, text);
    current = wanted;
  }
  expect(current, `${path} is out of date: MMKIT_UPDATE_README=1 npx vitest run regenerates it`).toBe(wanted);
}
