/** The base image a lab boots from: the cached debootstrap build or the given cloud image. */
import { resolve } from 'node:path';
import { cloudImage, type CloudBootImage } from './image-cloud.js';
import { ensureDebootstrapImage, type KernelBootImage } from './image-debootstrap.js';
import { resolveProvider, type QemuLab } from './types.js';

export type BootImage = KernelBootImage | CloudBootImage;

export async function ensureBaseImage(lab: QemuLab, cacheDir: string, log: (msg: string) => void): Promise<BootImage> {
  const { image } = resolveProvider(lab);
  if (image.type === 'cloud') return cloudImage(resolve(image.path));
  const img = await ensureDebootstrapImage(resolve(cacheDir), image.suite, image.mirror, log);
  if (!img.built) log(`image: reusing ${img.dir}`);
  return { kind: img.kind, dir: img.dir, disk: img.disk, format: img.format, kernel: img.kernel, initrd: img.initrd };
}
