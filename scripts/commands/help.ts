export const HELP = `kubelab: build and keep a kubeadm lab cluster on a few VMs, over SSH

Usage: kubelab <command> [options]

Commands:
  plan            show, per node, what \`up\` would change; changes nothing on the nodes
  up              prepare the nodes: every phase, or those named by --only
                  (with spec.provider, the VMs are started first)
  exec -- CMD...  run a command (as root) on every node, or on those named by --nodes
  vm up|down|status  start, stop or show the lab VMs of an inventory with spec.provider (qemu)
  check           smoke checks of the running cluster (nodes, system-pods, dns, pod-network, services,
                  storage, metrics, monitoring), each with a diagnosis when it fails
  doctor          read-only diagnosis of the lab over SSH and the API (swap, kubelet, containerd and
                  its config, addresses, flannel, certificates, clocks, NFS, disk, stuck system pods):
                  each finding with its cause and fix; exit 1 when anything is found
  heal            repair what doctor finds: the \`up\` phases its fixes name (os, runtime, nfs, network,
                  ...), then commands on the nodes (restart kubelet, exportfs -ra, kubeadm certs renew);
                  then doctor again; what heal does not repair (addresses, rejoins, clock, disk) is
                  listed with its fix; exit 0 when nothing remains
  render --out DIR  write every file kubelab would upload or apply (one folder per node + cluster/),
                  from the inventory alone, without connecting to the nodes; changes nothing there
  bundle build    write an offline bundle (--out DIR, default <cluster>-bundle): the release binaries, CNI
                  plugins and crictl, the pinned manifests and every image the cluster runs (OCI archives),
                  listed with their sums in bundle.json; downloads go through the artifact cache;
                  --archive also writes DIR.tar
  inventory from-vagrant [FILE|-] --addresses IP,IP...
                  write an inventory from \`vagrant ssh-config\` output (a file, or stdin): one node per
                  Host, reached as it says; the host-only addresses in Host order; options --name (lab),
                  --kubernetes-version (1.35), --node-cidr (the first address's /24), --control-plane
                  (the first Host), --out FILE (default stdout; never overwrites)
  kubeconfig      write .kubelab/<cluster>/kubeconfig (context kubelab-<cluster>) from the control plane;
                  --merge also adds that context to ~/.kube/config (or the first $KUBECONFIG path)
  class render|plan|up|check|exec|kubeconfig|status -f ROSTER
                  a classroom: one lab per student of a roster (kind: Classroom), all in parallel within
                  spec.limits; a live board on a terminal, a self-contained HTML report
                  (.kubelab/class/<name>/report.html, or --report FILE); --students a,b for some of them;
                  render --out DIR writes each student's inventory; up builds one bundle for the class
                  (--bundle DIR: yours; --no-bundle: none); kubeconfig writes <student>.kubeconfig files
                  (--out DIR; --embed-kubeconfigs also puts them in the report); status shows each
                  student's last run; exit code: the number of labs not green, 125 bad roster or flags

Options:
  -i, --inventory FILE   inventory file (default inventory/lab.yaml)
  -o, --output MODE      tty | plain | json (default: tty on a terminal, plain otherwise)
      --only a,b         plan/up: run just these phases (phases: PHASES);
                         check: just these checks
      --offline          plan/up/heal/render/bundle: no downloads (cached manifests and artifacts only);
                         without it, each file not cached yet is announced, then downloaded
                         ("downloading WHAT from URL into FILE")
      --out PATH         render/bundle: the folder to write
      --arch ARCH        bundle: the nodes' architecture, amd64 (default) or arm64
      --nodes a,b        exec: run on these nodes only; doctor: diagnose these nodes only
      --merge            kubeconfig: add the context to ~/.kube/config
      --junit FILE       check: also write the results as JUnit XML
      --concurrency N    hosts handled at once (default 10)
      --timeout SECONDS  exec: per-command timeout (default: none; at most 2147483)
      --connect-timeout SECONDS  time to reach a node over SSH, retries included (1-600;
                         default: spec.ssh.connectTimeout, 10)
  -h, --help             this help
      --version          print the version

Exit codes: 0 success; 1 a step failed or a host was unreachable; 2 bad input (inventory, options).
Logs: .kubelab/<cluster>/logs/<run>/<node>.log (every command, exit code, duration, output; secrets redacted).
`;
