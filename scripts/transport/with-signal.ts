import type { ExecOptions, PutOptions, Transport } from './types.js';

/**
 * The transport with `signal` as the default ExecOptions.signal of every exec: one place gives a whole run's
 * commands its interrupt, whoever runs them (steps, facts, checks, exec); likewise PutOptions.signal of every upload
 * (release binaries and image archives are hundreds of MB).
 */
export function withSignal(t: Transport, signal: AbortSignal | undefined): Transport {
  if (!signal) return t;
  const exec = (argv: readonly string[], opts: ExecOptions = {}): ReturnType<Transport['exec']> =>
    t.exec(argv, { signal, ...opts });
  return {
    name: t.name,
    connect: () => t.connect(),
    exec,
    put: (content, dest, opts) => t.put(content, dest, { signal, ...opts }),
    ...(t.putFile ? { putFile: (localPath: string, dest: string, opts: PutOptions) => t.putFile!(localPath, dest, { signal, ...opts }) } : {}),
    ...(t.forward ? { forward: t.forward.bind(t) } : {}),
    close: () => t.close(),
  };
}
