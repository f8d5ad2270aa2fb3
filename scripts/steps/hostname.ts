import type { Step } from '../engine/types.js';
import { hostname } from '../facts/hostname.js';
import { fileChanges } from '../host/managed-file.js';

/** The node's hostname is its inventory name, now (kernel) and after reboot (/etc/hostname). */
export const hostnameStep: Step = {
  name: 'hostname',
  files: ({ node }) => [{ scope: 'node', path: '/etc/hostname', content: `${node.name}\n` }],
  async plan(host) {
    const want = host.node.name;
    const changes = await fileChanges(host, '/etc/hostname', `${want}\n`);
    if ((await host.facts.get(hostname)) !== want) {
      changes.push({
        description: `set the running hostname to ${want}`,
        apply: async (h) => {
          await h.run(['hostname', want]);
        },
      });
    }
    return changes;
  },
};
