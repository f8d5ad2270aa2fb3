import { StepError } from '../engine/errors.js';
import type { Step } from '../engine/types.js';
import { clusterApi } from '../k8s/cluster-api.js';

/** `kubelab check` as the last step of `up`: every smoke check (a check event each in the run's stream), failures reported with their diagnoses. */
export const smokeChecksStep: Step = {
  name: 'smoke-checks',
  plan: async () => [],
  async verify(host) {
    const [{ runChecks }, { CHECKS }] = await Promise.all([import('../checks/runner.js'), import('../checks/index.js')]);
    // the run's API connection (direct or through the SSH tunnel), closed with the run
    const api = await clusterApi(host.cluster);
    // record mode: the API answers are recorded by clusterApi, the SSH answers and run id by runChecks
    const recorder = host.cluster.recorder;
    const run = await runChecks({ inv: host.inv, api, transports: host.cluster.transports, checks: CHECKS, emit: (e) => host.cluster.emit(e), ...(recorder ? { recorder } : {}) });
    const failed = run.results.filter((r) => r.status === 'failed');
    if (failed.length) {
      throw new StepError(
        `${failed.length} smoke check${failed.length > 1 ? 's' : ''} failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join('; ')}`,
        `${failed.map((r) => r.diagnosis).filter(Boolean).join('; ')} (run \`kubelab check\` for the full report)`,
      );
    }
  },
};
