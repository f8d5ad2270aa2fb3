/** Waits the addons need: CRDs Established, an APIService Available. Status functions are pure (tested alone). */
import { ApiextensionsV1Api, ApiregistrationV1Api, type KubeConfig, type V1APIService, type V1CustomResourceDefinition } from '@kubernetes/client-node';

import { waitFor, type WaitOptions, type WaitStatus } from './wait.js';

type Condition = { type: string; status: string; reason?: string; message?: string };

function condition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Established: the API server serves the CRD's resource (instances can be created). */
export function crdStatus(crd: Pick<V1CustomResourceDefinition, 'status'>): WaitStatus {
  const established = condition(crd.status?.conditions, 'Established');
  if (established?.status === 'True') return { done: true, detail: 'Established' };
  const names = condition(crd.status?.conditions, 'NamesAccepted');
  if (names?.status === 'False') return { done: false, detail: `names not accepted: ${names.message ?? names.reason ?? ''}` };
  return { done: false, detail: established?.message ?? 'not Established yet' };
}

/** Available: the aggregated API answers through the API server (its Service has a ready endpoint). */
export function apiServiceStatus(svc: Pick<V1APIService, 'status'>): WaitStatus {
  const available = condition(svc.status?.conditions, 'Available');
  if (available?.status === 'True') return { done: true, detail: 'Available' };
  return { done: false, detail: available ? `${available.reason ?? 'not available'}: ${available.message ?? ''}` : 'no Available condition yet' };
}

/** Waits until every named CRD is Established (one after the other; each check is one GET). */
export async function waitCrdsEstablished(kc: KubeConfig, names: readonly string[], opts?: WaitOptions): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + (opts?.timeoutMs ?? 300_000);
  for (const name of names) {
    await waitFor(kc, async () => crdStatus(await api.readCustomResourceDefinition({ name })), {
      ...opts,
      timeoutMs: Math.max(1, deadline - Date.now()),
      what: `CustomResourceDefinition ${name} to be Established`,
    });
  }
}

export function waitApiServiceAvailable(kc: KubeConfig, name: string, opts?: WaitOptions): Promise<void> {
  const api = kc.makeApiClient(ApiregistrationV1Api);
  return waitFor(kc, async () => apiServiceStatus(await api.readAPIService({ name })), { ...opts, what: `APIService ${name} to be Available` });
}
