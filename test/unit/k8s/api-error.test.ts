/** ApiError's default hints: what a refused request means, from its status and (for one known 403) its message. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../../scripts/k8s/api.js';

describe('ApiError hints', () => {
  it('a 403 for a missing ServiceAccount names kube-controller-manager, not permissions', () => {
    // message as the real API server answered a pod created right after its namespace, on the emulated qemu lab
    const e = new ApiError('create pod kubelab-smoke/dns-master: pods "dns-master" is forbidden: error looking up service account kubelab-smoke/default: serviceaccount "default" not found', 403);
    assert.match(e.hint ?? '', /ServiceAccount does not exist yet: kube-controller-manager creates it/);
    assert.doesNotMatch(e.hint ?? '', /permission/);
  });

  it("a 403 from an admission read that timed out says the API server is overloaded, not that permissions lack", () => {
    // the real API server's answer to the storage check's PVC create on the emulated 2-VM lab (guest load 22)
    const e = new ApiError('create PVC kubelab-smoke/data: persistentvolumeclaims "data" is forbidden: the server was unable to return a response in the time allotted, but may still be processing the request (get limitranges)', 403);
    assert.match(e.hint ?? '', /overloaded/);
    assert.doesNotMatch(e.hint ?? '', /lacks the permission/);
  });

  it('other 401/403s are about the kubeconfig; no status means no answer; an explicit hint wins', () => {
    assert.match(new ApiError('pods is forbidden: User "x" cannot list', 403).hint ?? '', /lacks the permission/);
    assert.match(new ApiError('Unauthorized', 401).hint ?? '', /lacks the permission/);
    assert.match(new ApiError('socket hang up').hint ?? '', /did not answer/);
    assert.equal(new ApiError('x', 403, 'mine').hint, 'mine');
    assert.equal(new ApiError('not found', 404).hint, undefined);
  });
});
