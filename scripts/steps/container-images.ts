import { posix } from 'node:path';
import { installArtifacts } from '../artifacts/for-run.js';
import type { NodeImage } from '../engine/install-artifacts.js';
import { StepError } from '../engine/errors.js';
import { readFresh } from '../engine/facts.js';
import type { Change, HostContext, Step } from '../engine/types.js';
import { containerdImages, K8S_NAMESPACE } from '../facts/containerd-images.js';
import { nodeArch } from './kubernetes-binaries.js';
import { uploadVerified } from '../host/verified-upload.js';

/** Where image archives wait on the node between upload and import (removed after the import). */
export const IMAGE_CACHE_DIR = '/var/cache/kubelab/images';

/** The archive's name on the node: the image reference with every character outside [A-Za-z0-9._-] as '_'. */
export function archiveName(ref: string): string {
  return `${ref.replace(/[^A-Za-z0-9._-]/g, '_')}.tar`;
}

/** Imports one image archive into containerd's k8s.io namespace and checks the digest it got there. */
async function importImage(h: HostContext, image: NodeImage): Promise<void> {
  const dest = posix.join(IMAGE_CACHE_DIR, archiveName(image.ref));
  await uploadVerified(h, { localPath: image.archivePath, sha256: image.archiveSha256, dest, mode: 0o600, source: image.archivePath });
  try {
    await h.run(['ctr', '-n', K8S_NAMESPACE, 'images', 'import', '--', dest]);
  } finally {
    await h.run(['rm', '-f', '--', dest]);
  }
  const got = (await readFresh(h.transport, containerdImages(image.ref))).images.get(image.ref);
  if (got !== image.digest) {
    throw new StepError(
      `${image.ref}: containerd on ${h.node.name} has digest ${got ?? '(none: the archive does not name this image)'} after the import, expected ${image.digest}`,
      'the archive does not hold this image for the node: rebuild the bundle',
    );
  }
}

/**
 * The run's container images (a bundle's), in containerd's k8s.io namespace under their own names: an image
 * already there with the same digest is left alone, others are uploaded (verified), imported and checked.
 * Runs after the runtime phase (containerd installed, configured and running).
 */
export const containerImagesStep: Step = {
  name: 'container-images',
  appliesTo: (_node, inv) => inv.spec.kubernetes.install === 'binaries',
  async plan(host) {
    const { images } = await installArtifacts(host.cluster, await nodeArch(host));
    if (!images.length) return [];
    const present = (await host.facts.get(containerdImages())).images;
    return images
      .filter((i) => present.get(i.ref) !== i.digest)
      .map(
        (i): Change => ({
          description: `${present.has(i.ref) ? 'replace' : 'import'} image ${i.ref} (${i.size} bytes)`,
          apply: (h) => importImage(h, i),
        }),
      );
  },
};
