/** A download about to start (a file the caches do not have yet), so commands can say what they fetch and from where. */
export interface DownloadNotice {
  /** What is fetched, e.g. "kubeadm 1.35.4" or "flannel v0.28.9 kube-flannel.yml". */
  readonly what: string;
  readonly url: string;
  /** Where it is kept (the cache file). */
  readonly into: string;
}

export type OnDownload = (notice: DownloadNotice) => void;

/** The line commands print for a download notice. */
export function describeDownload(n: DownloadNotice): string {
  return `downloading ${n.what} from ${n.url} into ${n.into}`;
}
