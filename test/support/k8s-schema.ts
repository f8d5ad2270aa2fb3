/**
 * Validation of rendered Kubernetes objects against the Kubernetes OpenAPI schemas, offline: the devDependency
 * kubernetes-models ships one precompiled (ajv standalone) validator per built-in kind. Like the API server's
 * schema it checks types, enums, formats and required fields; it does not reject unknown fields.
 */
import * as models from 'kubernetes-models';

/** Prefix of the single problem returned for a kind without a built-in schema (CRD instances, typos). */
export const NO_SCHEMA = 'no schema';

interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
  apiVersion?: string;
  kind?: string;
}

/** "rbac.authorization.k8s.io" -> "rbacAuthorizationK8sIo" (the module's export name for an API group). */
function groupKey(group: string): string {
  return group
    .split(/[.-]/)
    .map((p, i) => (i === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1)))
    .join('');
}

function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const slash = apiVersion.indexOf('/');
  const [group, version] = slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  const root = models as unknown as Record<string, Record<string, Record<string, unknown>> | undefined>;
  const ns = group === '' ? (root[version] as Record<string, unknown> | undefined) : root[groupKey(group)]?.[version];
  const cls = ns?.[kind] as ModelClass | undefined;
  return typeof cls === 'function' && cls.apiVersion === apiVersion && cls.kind === kind ? cls : undefined;
}

function describe(e: AjvError): string {
  const where = e.instancePath || '/';
  const allowed = e.params?.allowedValues;
  return `${where}: ${e.message ?? 'invalid'}${Array.isArray(allowed) ? ` (${allowed.join(', ')})` : ''}`;
}

/**
 * Problems of one object against its kind's schema, e.g. "/spec: must have required property selector";
 * empty when valid. A kind without a built-in schema gives exactly one problem starting with NO_SCHEMA.
 */
export function validateK8sObject(obj: unknown): string[] {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return ['/: must be an object'];
  const { apiVersion, kind } = obj as Record<string, unknown>;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['/: apiVersion and kind must be strings'];
  const Model = modelFor(apiVersion, kind);
  if (!Model) return [`${NO_SCHEMA} for ${apiVersion} ${kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    return Array.isArray(errors) && errors.length ? errors.map(describe) : [String((e as Error).message)];
  }
}

/** True when validateK8sObject found no schema (the caller decides whether that is acceptable). */
export function isNoSchema(problems: readonly string[]): boolean {
  return problems.length === 1 && problems[0]!.startsWith(NO_SCHEMA);
}
