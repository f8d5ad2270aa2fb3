import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { inventoryFromSshConfig } from '../inventory/from-ssh-config.js';
import { parseInventory } from '../inventory/load.js';
import { parseSshConfig } from '../inventory/ssh-config.js';
import { UsageError } from '../util/errors.js';
import type { CliContext } from './cli-context.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `kubelab inventory from-vagrant [FILE|-] --addresses IP,IP...`: an inventory from `vagrant ssh-config` output
 * (a file, or stdin), checked by the loader, written to stdout or --out FILE (never over an existing file).
 */
export async function inventoryCommand(args: string[], ctx: CliContext): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'from-vagrant') throw new UsageError(`inventory: expected from-vagrant (got ${action ?? 'nothing'})`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        addresses: { type: 'string' },
        name: { type: 'string', default: 'lab' },
        'kubernetes-version': { type: 'string', default: '1.35' },
        'node-cidr': { type: 'string' },
        'control-plane': { type: 'string' },
        out: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError(`inventory from-vagrant: ${(err as Error).message}`);
  }
  const v = parsed.values;
  if (parsed.positionals.length > 1) throw new UsageError(`inventory from-vagrant: one input expected (a file, or - for stdin), got ${parsed.positionals.join(' ')}`);
  const addresses = (v.addresses ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (!addresses.length) {
    throw new UsageError('inventory from-vagrant: --addresses IP,IP... is required', "each machine's host-only address, in the order of `vagrant ssh-config` (the Vagrantfile's private_network ip)");
  }
  const input = parsed.positionals[0] ?? '-';
  let text: string;
  if (input === '-') {
    if (!ctx.stdin) throw new UsageError('inventory from-vagrant: no stdin; name the file with the `vagrant ssh-config` output');
    text = await readAll(ctx.stdin);
  } else {
    try {
      text = await readFile(input, 'utf8');
    } catch (err) {
      throw new UsageError(`inventory from-vagrant: cannot read ${input}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const doc = inventoryFromSshConfig(parseSshConfig(text, input === '-' ? 'stdin' : input), {
    cluster: v.name!,
    kubernetesVersion: v['kubernetes-version']!,
    addresses,
    ...(v['node-cidr'] ? { nodeCidr: v['node-cidr'] } : {}),
    ...(v['control-plane'] ? { controlPlane: v['control-plane'] } : {}),
  });
  const yaml = `# From \`vagrant ssh-config\` (kubelab inventory from-vagrant); see inventory/example.yaml for every field.\n${stringify(doc)}`;
  parseInventory(yaml, v.out ?? 'the generated inventory'); // every problem reported, nothing written
  if (v.out === undefined) {
    ctx.stdout.write(yaml);
    return 0;
  }
  try {
    await writeFile(v.out, yaml, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`--out ${v.out}: the file exists; kubelab does not overwrite it`, 'name a new file, or remove that one');
    throw new UsageError(`--out ${v.out}: cannot write: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  ctx.stderr.write(`wrote ${v.out} (${(doc.spec as { nodes: unknown[] }).nodes.length} nodes); next: kubelab plan -i ${v.out}\n`);
  return 0;
}
