import { accessSync, constants } from 'node:fs';
import type { InventoryNode } from '../inventory/types.js';
import type { CliContext } from './cli-context.js';
import { UsageError } from '../util/errors.js';

interface Credentials {
  identityFile?: string;
  passphrase?: string;
  password?: string;
  agent?: string;
  sudoPassword?: string;
}

/**
 * Resolves each node's secrets from the environment variables the inventory names (or a prompt), before any
 * connection is made. Secrets never come from the YAML itself. Prompts are asked once per distinct question.
 */
export async function resolveCredentials(
  nodes: readonly InventoryNode[],
  ctx: CliContext,
): Promise<Map<string, Credentials>> {
  const asked = new Map<string, Promise<string>>();
  const ask = (question: string): Promise<string> => {
    if (!ctx.askSecret) {
      throw new UsageError(`${question}: no terminal to ask on; set spec.ssh.passwordEnv to an environment variable instead`);
    }
    let answer = asked.get(question);
    if (!answer) {
      answer = ctx.askSecret(question);
      asked.set(question, answer);
    }
    return answer;
  };
  const fromEnv = (field: string, name: string | undefined): string | undefined => {
    if (!name) return undefined;
    const value = ctx.env[name];
    if (value === undefined) {
      throw new UsageError(`${field}: environment variable ${name} is not set (export ${name}=... before running kubelab)`);
    }
    return value;
  };

  const out = new Map<string, Credentials>();
  for (const node of nodes) {
    const s = node.ssh;
    const field = `node ${node.name} ssh`;
    const creds: Credentials = {
      passphrase: fromEnv(`${field}.passphraseEnv`, s.passphraseEnv),
      sudoPassword: fromEnv(`${field}.sudoPasswordEnv`, s.sudoPasswordEnv),
      password: fromEnv(`${field}.passwordEnv`, s.passwordEnv),
      agent: s.agent !== false ? ctx.settings.sshAuthSock : undefined,
    };
    if (s.identityFile) {
      creds.identityFile = s.identityFile;
      try {
        accessSync(s.identityFile, constants.R_OK);
      } catch (err) {
        throw new UsageError(`${field}.identityFile: cannot read ${s.identityFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
    }
    if (s.askPassword && creds.password === undefined) {
      creds.password = await ask(`SSH password for ${s.user}@${s.host}`);
    }
    out.set(node.name, creds);
  }
  return out;
}

/** Every secret value, for redaction in logs and output. */
export function secretValues(creds: Map<string, Credentials>): string[] {
  const values = new Set<string>();
  for (const c of creds.values()) {
    for (const v of [c.passphrase, c.password, c.sudoPassword]) if (v) values.add(v);
  }
  return [...values];
}
