/** A minimal QMP client: connect to the VM's unix socket, negotiate, run one command. */
import { KubelabError } from '../../util/errors.js';
import { createConnection } from 'node:net';

/** The VM's QEMU monitor did not answer as expected (the VM stopped, or its socket is stale). */
class QmpError extends KubelabError {
  constructor(message: string) {
    super(message, "the VM's QEMU may have stopped: see `kubelab vm status` and the VM's console.log under .kubelab/<cluster>/vms/");
    this.name = 'QmpError';
  }
}

export function qmpCommand(sock: string, execute: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection({ path: sock });
    let buf = '';
    let stage: 'greeting' | 'caps' | 'cmd' = 'greeting';
    const done = (err: Error | null, value?: unknown) => {
      clearTimeout(timer);
      conn.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new QmpError(`QMP ${execute} on ${sock}: no answer in ${timeoutMs} ms`)), timeoutMs);
    conn.on('error', (e) => done(new QmpError(`QMP ${sock}: ${e.message}`)));
    conn.on('close', () => {
      // system_powerdown/quit may close the socket right after answering.
      if (stage !== 'cmd') done(new QmpError(`QMP ${sock}: closed during ${stage}`));
      else done(null, undefined);
    });
    conn.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if ('event' in msg) continue;
        if (stage === 'greeting' && 'QMP' in msg) {
          stage = 'caps';
          conn.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
        } else if (stage === 'caps' && 'return' in msg) {
          stage = 'cmd';
          conn.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + '\n');
        } else if ('error' in msg) {
          const err = msg.error as { desc?: string };
          done(new QmpError(`QMP ${execute}: ${err.desc ?? JSON.stringify(err)}`));
        } else if (stage === 'cmd' && 'return' in msg) {
          done(null, msg.return);
        }
      }
    });
  });
}
