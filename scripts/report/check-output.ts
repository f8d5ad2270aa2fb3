/** Picks the check rendering for --output (the tty one, with ora, is loaded only when used). */
import type { CheckRenderer } from './check-plain.js';
import { JsonCheckRenderer } from './check-json.js';
import { PlainCheckRenderer } from './check-plain.js';
import type { OutputMode } from './index.js';

export async function makeCheckRenderer(mode: OutputMode, stream: NodeJS.WriteStream, total: number): Promise<CheckRenderer> {
  const write = (text: string): void => {
    stream.write(text);
  };
  if (mode === 'json') return new JsonCheckRenderer(write);
  if (mode === 'plain') return new PlainCheckRenderer(write);
  const { TtyCheckRenderer } = await import('./check-tty.js');
  return new TtyCheckRenderer(write, stream, total);
}
