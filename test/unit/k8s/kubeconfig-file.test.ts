import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { parse } from 'yaml';

import { StepError } from '../../../scripts/engine/errors.js';
import {
  contextName,
  kubeconfigYaml,
  mergeKubeconfig,
  renameKubeconfig,
  writeFileAtomic,
  type KubeconfigDoc,
} from '../../../scripts/k8s/kubeconfig-file.js';

const KEY = 'LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFla';

/** Shaped like kubeadm's admin.conf. */
const ADMIN = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0FEQVRB
    server: https://192.168.56.10:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVERBVEE=
    client-key-data: ${KEY}
`;

const work = mkdtempSync(join(tmpdir(), 'kubelab-kubeconfig-'));
after(() => rmSync(work, { recursive: true, force: true }));

function renamed(cluster = 'lab', server = 'https://192.168.56.10:6443', tlsServerName: string | undefined = 'kubernetes'): KubeconfigDoc {
  return renameKubeconfig(ADMIN, { name: contextName(cluster), server, tlsServerName });
}

describe('renameKubeconfig', () => {
  test('one context, cluster and user, all named kubelab-<cluster>; server and tls-server-name set; credentials kept', () => {
    const doc = renamed('lab', 'https://192.168.56.10:6443', 'kubernetes');
    assert.deepEqual(doc, {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'kubelab-lab',
          cluster: { 'certificate-authority-data': 'Q0FEQVRB', server: 'https://192.168.56.10:6443', 'tls-server-name': 'kubernetes' },
        },
      ],
      users: [{ name: 'kubelab-lab', user: { 'client-certificate-data': 'Q0VSVERBVEE=', 'client-key-data': KEY } }],
      contexts: [{ name: 'kubelab-lab', context: { cluster: 'kubelab-lab', user: 'kubelab-lab' } }],
      'current-context': 'kubelab-lab',
      preferences: {},
    });
    // The YAML round-trips and long values are not folded.
    const text = kubeconfigYaml(doc);
    assert.deepEqual(parse(text), doc);
    assert.ok(text.includes(`client-key-data: ${KEY}\n`));
  });

  test('without tlsServerName no tls-server-name is written (an existing one is dropped)', () => {
    const withName = ADMIN.replace('server: https://192.168.56.10:6443', 'server: https://k8s.lab:6443\n    tls-server-name: old');
    const doc = renameKubeconfig(withName, { name: 'kubelab-x', server: 'https://192.168.56.10:6443' });
    assert.equal((doc.clusters[0]!.cluster as Record<string, unknown>)['tls-server-name'], undefined);
    assert.equal((doc.clusters[0]!.cluster as Record<string, unknown>).server, 'https://192.168.56.10:6443');
  });

  test('only the current context is taken; its namespace is kept', () => {
    const two = parse(ADMIN) as Record<string, any>;
    two.clusters.push({ name: 'other', cluster: { server: 'https://other:6443' } });
    two.users.push({ name: 'someone', user: { token: 'tok' } });
    two.contexts.push({ name: 'other-ctx', context: { cluster: 'other', user: 'someone', namespace: 'apps' } });
    two['current-context'] = 'other-ctx';
    const doc = renameKubeconfig(JSON.stringify(two), { name: 'kubelab-x', server: 'https://1.2.3.4:6443' });
    assert.deepEqual(doc.users, [{ name: 'kubelab-x', user: { token: 'tok' } }]);
    assert.deepEqual(doc.contexts, [{ name: 'kubelab-x', context: { cluster: 'kubelab-x', user: 'kubelab-x', namespace: 'apps' } }]);
  });

  test('broken input: StepError that never quotes the content', () => {
    const broken = `${ADMIN}\n  bad: [unclosed ${KEY}`;
    assert.throws(() => renameKubeconfig(broken, { name: 'n', server: 's' }), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.equal(err.message, 'admin.conf is not valid YAML');
      return true;
    });
    assert.throws(() => renameKubeconfig(ADMIN.replace('name: kubernetes-admin\n', 'name: renamed\n'), { name: 'n', server: 's' }), {
      message: 'admin.conf has no user named "kubernetes-admin"',
    });
    assert.throws(() => renameKubeconfig('- a list\n', { name: 'n', server: 's' }), { message: 'admin.conf is not a kubeconfig' });
  });
});

describe('mergeKubeconfig', () => {
  const existing = `apiVersion: v1
kind: Config
preferences:
  colors: true
current-context: work
clusters:
- name: work
  cluster:
    server: https://work.example:443
    extensions:
    - name: x
      extension: {a: 1}
users:
- name: me
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: login-helper}
contexts:
- name: work
  context: {cluster: work, user: me, namespace: team}
`;

  test('adds the entries, keeps every other entry and key as it was, keeps current-context', () => {
    const incoming = renamed();
    const m = mergeKubeconfig(existing, incoming);
    const before = parse(existing) as Record<string, any>;
    const after = parse(m.text) as Record<string, any>;
    assert.equal(m.currentContext, 'work');
    assert.equal(m.replaced, false);
    assert.equal(after['current-context'], 'work');
    assert.deepEqual(after.preferences, before.preferences);
    for (const list of ['clusters', 'users', 'contexts'] as const) {
      assert.deepEqual(after[list], [...before[list], ...incoming[list]], list);
    }
  });

  test('merging again replaces the kubelab entries in place (no duplicates), others untouched', () => {
    const first = mergeKubeconfig(existing, renamed('lab', 'https://192.168.56.10:6443'));
    const withLater = `${first.text}`.replace('current-context: work', 'current-context: kubelab-lab');
    const second = mergeKubeconfig(withLater, renamed('lab', 'https://192.168.56.20:6443'));
    assert.equal(second.replaced, true);
    assert.equal(second.currentContext, 'kubelab-lab');
    const doc = parse(second.text) as Record<string, any>;
    assert.deepEqual(doc.clusters.map((c: { name: string }) => c.name), ['work', 'kubelab-lab']);
    assert.deepEqual(doc.users.map((c: { name: string }) => c.name), ['me', 'kubelab-lab']);
    assert.deepEqual(doc.contexts.map((c: { name: string }) => c.name), ['work', 'kubelab-lab']);
    assert.equal(doc.clusters[1].cluster.server, 'https://192.168.56.20:6443');
    assert.deepEqual(doc.clusters[0], (parse(existing) as Record<string, any>).clusters[0]);
  });

  test('a second cluster gets its own context next to the first', () => {
    const one = mergeKubeconfig(undefined, renamed('a'));
    const two = mergeKubeconfig(one.text, renamed('b'));
    assert.equal(two.currentContext, 'kubelab-a');
    assert.deepEqual((parse(two.text) as Record<string, any>).contexts.map((c: { name: string }) => c.name), ['kubelab-a', 'kubelab-b']);
  });

  test('a missing, empty or kubectl-emptied file: the result is the incoming config, current-context included', () => {
    const incoming = renamed();
    for (const text of [undefined, '', '# nothing yet\n', 'apiVersion: v1\nkind: Config\nclusters: null\nusers: null\ncontexts: null\ncurrent-context: ""\npreferences: {}\n']) {
      const m = mergeKubeconfig(text, incoming);
      assert.equal(m.currentContext, 'kubelab-lab', String(text));
      assert.deepEqual(parse(m.text), incoming, String(text));
    }
  });

  test('a file that is not a kubeconfig is refused (not overwritten), without quoting it', () => {
    assert.throws(() => mergeKubeconfig('- just\n- a list\n', renamed(), '/home/u/.kube/config'), {
      message: '/home/u/.kube/config is not a kubeconfig (not a mapping)',
    });
    assert.throws(() => mergeKubeconfig('clusters: {a: 1}\n', renamed(), 'cfg'), { message: 'cfg is not a kubeconfig (clusters is not a list)' });
    assert.throws(() => mergeKubeconfig(`token: "secret-${KEY}\n  : [`, renamed(), 'cfg'), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.ok(!err.message.includes('secret'));
      return true;
    });
  });
});

describe('files', () => {

  test('writeFileAtomic: creates directories, writes mode 0600 whatever the umask, leaves no temp file', async () => {
    const file = join(work, 'new', '.kube', 'config');
    const old = process.umask(0);
    try {
      await writeFileAtomic(file, 'one\n', 0o600);
    } finally {
      process.umask(old);
    }
    assert.equal(readFileSync(file, 'utf8'), 'one\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(file, 'old\n', { mode: 0o644 });
    await writeFileAtomic(file, 'two\n', 0o600);
    assert.equal(readFileSync(file, 'utf8'), 'two\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(work, 'new', '.kube')), ['config']);
  });

  test('writeFileAtomic follows a symlink: the file it points at is replaced, the link stays', async () => {
    const real = join(work, 'real-config');
    const link = join(work, 'link-config');
    writeFileSync(real, 'before\n');
    symlinkSync(real, link);
    await writeFileAtomic(link, 'after\n', 0o600);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(real, 'utf8'), 'after\n');
  });
});
