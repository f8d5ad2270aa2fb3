/**
 * Server-side apply of plain objects, field manager "kubelab", with conflicts forced (kubelab owns what it
 * applies). Each object is read first: absent -> 'created'; same metadata.resourceVersion after the apply ->
 * 'unchanged' (the API server does not write, and so does not bump resourceVersion, when an apply changes
 * nothing, managedFields included); otherwise 'changed'. That is one GET and one PATCH per object.
 * Rendered sets carry the hash of the whole set (RENDER_HASH) so a re-run compares one annotation per object.
 */
import { createHash } from 'node:crypto';
import { retryTransient, type RetryOptions } from './transient.js';
import { ApiException, HttpMethod, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

import { StepError } from '../engine/errors.js';
import { describeObject } from '../manifests/objects.js';
import { stringifyManifests, type K8sObject } from '../manifests/yaml.js';
import type { ClusterApi } from './cluster-api.js';

export const FIELD_MANAGER = 'kubelab';

export type ApplyOutcome = 'created' | 'changed' | 'unchanged';

export interface ApplyResult {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  outcome: ApplyOutcome;
  /** The object as the API server returned it after the apply. */
  object: KubernetesObject;
}

export interface ApplyOptions {
  /** Default "kubelab". */
  fieldManager?: string;
  /** How transient API errors are retried (tests: no waiting). */
  retry?: RetryOptions;
}

/** The HTTP status of a client-node API error (undefined for other errors). */
export function httpStatus(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's own message from an error body (a Status), else the error message's first line. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  const msg = (parsed as { message?: unknown } | undefined)?.message;
  if (typeof msg === 'string' && msg) return msg;
  const first = ((err as Error)?.message ?? String(err)).split('\n')[0] ?? '';
  // undici's "fetch failed" says nothing by itself: its cause says what happened (Headers Timeout Error, other side closed, ...)
  const cause = (err as { cause?: { message?: unknown; code?: unknown } } | null)?.cause;
  const why = cause && (typeof cause.message === 'string' && cause.message ? cause.message : typeof cause.code === 'string' ? cause.code : '');
  return why && !first.includes(why) ? `${first} (${why.split('\n')[0]})` : first;
}

/**
 * KubernetesObjectApi whose server-side apply sends the object exactly as rendered. client-node's own patch() runs
 * the body through its typed serializer, which writes only the fields its models know, reading them under the
 * models' property names: a CRD schema's x-kubernetes-int-or-string (x_kubernetes_int_or_string in the model), every
 * other x-kubernetes-* and $ref are dropped, and the API server refuses kube-prometheus's CRDs ("type: Required
 * value: must not be empty for specified object fields"; found against the real kube-apiserver v1.35.4).
 */
class ExactApplyApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): ExactApplyApi {
    const client = kc.makeApiClient(ExactApplyApi);
    client.setDefaultNamespace(kc);
    return client;
  }

  async serverSideApply(spec: KubernetesObject, fieldManager: string): Promise<KubernetesObject> {
    const ctx = this.configuration.baseServer.makeRequestContext(await this.specUriPath(spec, 'patch'), HttpMethod.PATCH);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    ctx.setQueryParam('fieldManager', fieldManager);
    ctx.setQueryParam('force', 'true');
    // JSON is YAML: the apply-patch+yaml content type takes it as is
    ctx.setBody(JSON.stringify(spec));
    return this.requestPromise(ctx);
  }
}

/** Applies `objects` in order (namespaces and CRDs first is the caller's business). */
export async function applyObjects(
  kc: KubeConfig,
  objects: readonly KubernetesObject[],
  opts: ApplyOptions = {},
): Promise<ApplyResult[]> {
  const client = ExactApplyApi.forConfig(kc);
  const results: ApplyResult[] = [];
  for (const input of objects) {
    if (!input.apiVersion || !input.kind || !input.metadata?.name) {
      throw new StepError(`cannot apply ${describeObject(input)}: apiVersion, kind and metadata.name are required`);
    }
    // client-node fills in metadata.namespace on the object it is given: work on a copy.
    const spec = structuredClone(input) as KubernetesObject & { metadata: { name: string } };
    // A resourceVersion in an apply body is a precondition; applied objects are desired state, not a snapshot.
    delete spec.metadata.resourceVersion;
    let before: string | undefined;
    try {
      const current = await retryTransient(() => client.read({ apiVersion: spec.apiVersion!, kind: spec.kind!, metadata: spec.metadata }), opts.retry);
      before = current.metadata?.resourceVersion;
    } catch (err) {
      if (httpStatus(err) !== 404) throw new StepError(`reading ${describeObject(input)} failed: ${apiMessage(err)}`);
    }
    let after: KubernetesObject;
    try {
      // server-side apply is idempotent: a request the API server dropped under load is sent again
      after = await retryTransient(() => client.serverSideApply(spec, opts.fieldManager ?? FIELD_MANAGER), opts.retry);
    } catch (err) {
      throw new StepError(`server-side apply of ${describeObject(input)} failed: ${apiMessage(err)}`);
    }
    const outcome: ApplyOutcome =
      before === undefined ? 'created' : after.metadata?.resourceVersion === before ? 'unchanged' : 'changed';
    results.push({
      apiVersion: spec.apiVersion!,
      kind: spec.kind!,
      name: spec.metadata.name,
      ...(spec.metadata.namespace ? { namespace: spec.metadata.namespace } : {}),
      outcome,
      object: after,
    });
  }
  return results;
}

/** On every applied object: the hash of the whole rendered set, so a re-run compares one annotation per object. */
export const RENDER_HASH = 'kubelab.io/rendered-sha256';

const hashOf = (o: K8sObject | null): string | undefined =>
  ((o?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {})[RENDER_HASH];

/** Stamps every object with the hash of the rendered set (for cheap, exact "already applied" checks). */
export function stampRenderHash(objects: readonly K8sObject[]): K8sObject[] {
  const hash = createHash('sha256').update(stringifyManifests(objects)).digest('hex');
  return objects.map((o) => {
    const copy = structuredClone(o) as K8sObject & { metadata?: { annotations?: Record<string, string> } };
    copy.metadata = { ...copy.metadata, annotations: { ...copy.metadata?.annotations, [RENDER_HASH]: hash } };
    return copy;
  });
}

/** Stamps the render hash of all stages together on every object; the stages keep their shape. */
export function stampStages(stages: readonly (readonly K8sObject[])[]): K8sObject[][] {
  const stamped = stampRenderHash(stages.flat());
  let at = 0;
  return stages.map((s) => stamped.slice(at, (at += s.length)));
}

type Container = { name?: string; image?: string; command?: unknown; args?: unknown };
type PodSpecHolder = { spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } } };

/**
 * What a hand edit changed in a live object that still carries its render hash (`kubectl edit` keeps annotations):
 * a ConfigMap's data keys, and the image, command and args of a workload's containers (flannel's --iface, an image
 * tag). Fields the API server never rewrites, so a live object as applied shows no difference.
 */
export function handEdits(desired: K8sObject, live: K8sObject): string[] {
  const edits: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (desired.kind === 'ConfigMap') {
    const want = (desired.data ?? {}) as Record<string, string>;
    const have = (live.data ?? {}) as Record<string, string>;
    for (const k of Object.keys(want)) if (want[k] !== have[k]) edits.push(`data ${k}`);
  }
  for (const list of ['initContainers', 'containers'] as const) {
    const have = (live as PodSpecHolder).spec?.template?.spec?.[list] ?? [];
    for (const c of (desired as PodSpecHolder).spec?.template?.spec?.[list] ?? []) {
      const l = have.find((x) => x.name === c.name);
      if (!l) {
        edits.push(`container ${c.name} missing`);
        continue;
      }
      for (const f of ['image', 'command', 'args'] as const) if (c[f] !== undefined && !same(c[f], l[f])) edits.push(`container ${c.name} ${f}`);
    }
  }
  return edits;
}

/** Whether every object is live with its render hash, stage by stage; and the hand edits found in live objects. */
export interface StagesState {
  live: boolean;
  /** "DaemonSet kube-flannel/kube-flannel-ds: container kube-flannel args" (empty when live or not applied yet). */
  edited: string[];
}

/** Stage by stage, stopping at the first stage that is not live (absent, another render hash, or edited by hand). */
export async function stagesState(api: ClusterApi, stages: readonly (readonly K8sObject[])[]): Promise<StagesState> {
  for (const stage of stages) {
    // a later stage may hold instances of CRDs an earlier stage creates: never read past a stage that is not live
    const live = await Promise.all(stage.map((o) => api.read(o)));
    if (!live.every((o, i) => o !== null && hashOf(o) === hashOf(stage[i]!))) return { live: false, edited: [] };
    const edited = stage.flatMap((o, i) => handEdits(o, live[i]!).map((e) => `${describeObject(o)}: ${e}`));
    if (edited.length) return { live: false, edited };
  }
  return { live: true, edited: [] };
}
