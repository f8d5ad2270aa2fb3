/** The README's classroom roster is a valid roster and derives what its comments say. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseRoster } from '../../../scripts/class/roster.js';

describe('README classroom roster', () => {
  it('loads, and its comments about names, seats and ports hold', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Classroom')));
    assert.ok(block, 'a yaml block in the Classroom section');
    const room = await parseRoster(block[1]!, 'README.md');
    const port = (student: string, node: string): string => {
      const n = room.students.find((s) => s.name === student)!.inventory.spec.nodes.find((x) => x.name === node)!;
      return `${n.ssh.host}:${n.ssh.port}`;
    };
    assert.equal(room.students[0]!.inventory.metadata.name, 'k101-alice');
    assert.deepEqual([port('alice', 'master'), port('alice', 'worker1')], ['10.0.0.21:2200', '10.0.0.21:2201']);
    assert.deepEqual([port('bob', 'master'), port('bob', 'worker1')], ['10.0.0.22:2210', '10.0.0.22:2211']);
    assert.equal(port('carol', 'master'), '192.168.56.10:2250');
    assert.equal(port('dan', 'solo'), '10.0.0.30:2200');
    assert.deepEqual(room.limits, { clusters: 10, connections: 64 });
  });
});
