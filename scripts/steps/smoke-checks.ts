import { StepError } from '../engine/errors.js';
import type { Step } from '../engine/types.js';
import { clusterApi } from '../k8s/cluster-api.js';

/** `kubelab check` as the last step of `up`: every smoke check, failures reported with their diagnoses. */
export const smokeChecksStep: Step = {
  name: 'smoke-checks',
  plan: async () => [],
  async verify(host) {
    const [{ clientNodeCheckApi }, { runChecks }, { CHECKS }] = await Promise.all([
      import('../checks/api-client-node.js'),
      import('../checks/runner.js'),
      import('../checks/index.js'),
    ]);
    // the run's API connection (direct or through the SSH tunnel), closed with the run
    const { kubeConfig } = await clusterApi(host.cluster);
    if (!kubeConfig) throw new StepError('the smoke checks need a client-node connection to the API server');
    const run = await runChecks({ inv: host.inv, api: clientNodeCheckApi(kubeConfig), transports: host.cluster.transports, checks: CHECKS });
    const failed = run.results.filter((r) => r.status === 'failed');
    if (failed.length) {
      throw new StepError(
        `${failed.length} smoke check${failed.length > 1 ? 's' : ''} failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join('; ')}`,
        `${failed.map((r) => r.diagnosis).filter(Boolean).join('; ')} (run \`kubelab check\` for the full report)`,
      );
    }
  },
};
