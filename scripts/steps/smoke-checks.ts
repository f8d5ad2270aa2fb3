import { StepError } from '../engine/errors.js';
import type { Step } from '../engine/types.js';

/** `kubelab check` as the last step of `up`: every smoke check, failures reported with their diagnoses. */
export const smokeChecksStep: Step = {
  name: 'smoke-checks',
  plan: async () => [],
  async verify(host) {
    const [{ connectClusterApi }, { clientNodeCheckApi }, { runChecks }, { CHECKS }] = await Promise.all([
      import('../k8s/connect.js'),
      import('../checks/api-client-node.js'),
      import('../checks/runner.js'),
      import('../checks/index.js'),
    ]);
    const conn = await connectClusterApi(host.inv, host.cluster.transports);
    try {
      const run = await runChecks({ inv: host.inv, api: clientNodeCheckApi(conn.kc), transports: host.cluster.transports, checks: CHECKS });
      const failed = run.results.filter((r) => r.status === 'failed');
      if (failed.length) {
        throw new StepError(
          `${failed.length} smoke check${failed.length > 1 ? 's' : ''} failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join('; ')}`,
          `${failed.map((r) => r.diagnosis).filter(Boolean).join('; ')} (run \`kubelab check\` for the full report)`,
        );
      }
    } finally {
      await conn.close();
    }
  },
};
