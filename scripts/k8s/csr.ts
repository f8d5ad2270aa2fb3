/** CertificateSigningRequests: list them and approve one (certificates.k8s.io/v1). */
import { CertificatesV1Api, type KubeConfig, type V1CertificateSigningRequest } from '@kubernetes/client-node';

import { StepError } from '../engine/errors.js';
import { apiMessage, httpStatus } from './apply.js';

/** The fields of a CSR kubelab reads, as the API server sends them (`kubectl get csr -o json`). */
export interface CsrRecord {
  metadata: { name: string; creationTimestamp?: string | Date };
  spec: {
    /** Base64 of the PEM "CERTIFICATE REQUEST". */
    request: string;
    signerName: string;
    username?: string;
    groups?: string[];
    usages?: string[];
  };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; certificate?: string };
}

export const APPROVAL_REASON = 'KubelabApprove';

export async function listCsrs(kc: KubeConfig): Promise<CsrRecord[]> {
  const list = await kc.makeApiClient(CertificatesV1Api).listCertificateSigningRequest();
  return list.items as unknown as CsrRecord[];
}

/** Adds the Approved condition (the /approval subresource); a conflict (someone else changed it) is retried once. */
export async function approveCsr(kc: KubeConfig, name: string, message: string): Promise<void> {
  const api = kc.makeApiClient(CertificatesV1Api);
  for (let attempt = 0; ; attempt++) {
    try {
      const csr: V1CertificateSigningRequest = await api.readCertificateSigningRequest({ name });
      const conditions = csr.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Approved' && c.status === 'True')) return;
      csr.status = {
        ...csr.status,
        conditions: [...conditions, { type: 'Approved', status: 'True', reason: APPROVAL_REASON, message, lastUpdateTime: new Date() }],
      };
      await api.replaceCertificateSigningRequestApproval({ name, body: csr });
      return;
    } catch (err) {
      if (httpStatus(err) === 409 && attempt === 0) continue;
      throw new StepError(`approving CertificateSigningRequest ${name} failed: ${apiMessage(err)}`);
    }
  }
}
