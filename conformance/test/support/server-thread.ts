/**
 * The submission's thread of an isolated grade as the isolate tests start it, in this process
 * (no sandbox): `source` (ESM, importing the server it runs by path, serving the channel of
 * workerData.channel with the setups of workerData.port) bundled with the source conditions,
 * started with `data` added to its workerData; resolves when it posts its first message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { build } from 'esbuild';
import { CallChannel } from '../../src/grader/isolate/call-channel.js';

export interface ServerThread {
  readonly channel: CallChannel;
  /** The grader's end of the setup port. */
  readonly port: MessagePort;
  stop(): Promise<void>;
}

export async function startServerThread(source: string, resolveDir: string, data: Record<string, unknown> = {}): Promise<ServerThread> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mmkit-server-thread-'));
  const file = path.join(dir, 'worker.mjs');
  const out = await build({ stdin: { contents: source, resolveDir, loader: 'js' }, bundle: true, platform: 'node', format: 'esm', conditions: ['source'], write: false, logLevel: 'silent' });
  writeFileSync(file, out.outputFiles[0].text);
  const channel = CallChannel.create();
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(file, { workerData: { ...data, channel: channel.buffer, port: port2 }, transferList: [port2] });
  await new Promise((resolve) => worker.once('message', resolve));
  return {
    channel,
    port: port1,
    async stop() {
      await worker.terminate();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
