/**
 * A classroom roster (`kind: Classroom`): a cluster template plus one entry per student. Every student's lab is an
 * ordinary inventory underneath: derived from the template (the nodes of `spec.nodes`, their addresses and SSH
 * ports shifted by the student's seat), listed in full (`nodes`), or a file of its own (`inventory`). Every problem
 * of the roster, and of each student's inventory, is reported at once, at its line and column in the roster (or in
 * the student's own file).
 */
import path from 'node:path';
import { z } from 'zod';
import { formatPath, InventoryError, renderValue, type Finding, type PathSegment, type Problem } from '../inventory/errors.js';
import { issueToFindings, valueAt } from '../inventory/issues.js';
import { inventoryFindings, loadInventory, placeFindings, readConfigText, readYamlMapping, type YamlSource } from '../inventory/load.js';
import { formatIPv4, parseIPv4 } from '../inventory/net.js';
import { normalise } from '../inventory/normalise.js';
import { API_VERSION, DEFAULTS, dnsLabel, host, KIND } from '../inventory/schema.js';
import type { Inventory } from '../inventory/types.js';

export const CLASSROOM_KIND = 'Classroom';

/** How many clusters run at once, and how many SSH connections they may hold together, unless the roster says. */
export const CLASS_LIMITS = Object.freeze({ clusters: 10, connections: 64 });

const q = (v: unknown): string => JSON.stringify(v);
const anyMapping = z.record(z.string(), z.unknown());

const StudentSchema = z.strictObject({
  name: dnsLabel('Student name (their cluster is <classroom>-<name>)'),
  seat: z
    .int()
    .min(0)
    .optional()
    .meta({ description: 'The number spec.derive multiplies (default: the position in the list, from 0); keep it when students leave' }),
  sshHost: host("Where this student's nodes are reached over SSH (e.g. the lab machine that forwards their ports)").optional(),
  nodes: z.array(anyMapping).min(1, { error: 'at least one node is needed' }).optional().meta({ description: "This student's nodes, as an inventory's spec.nodes" }),
  inventory: z.string().min(1).optional().meta({ description: "An inventory file of this student's own (relative to the roster's folder)" }),
});

export const RosterSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(CLASSROOM_KIND),
    metadata: z.strictObject({ name: dnsLabel('Classroom name') }),
    spec: z.strictObject({
      template: anyMapping.optional().meta({ description: "Every student cluster's spec, as in an inventory, without nodes" }),
      nodes: z.array(anyMapping).min(1, { error: 'at least one node is needed' }).optional().meta({ description: "Every student's nodes (unless the student lists their own)" }),
      derive: z
        .strictObject({
          addressStep: z.int().min(0).default(0).meta({ description: "Each node's address is spec.nodes' address + seat x addressStep" }),
          portStep: z.int().min(0).default(0).meta({ description: "Each node's SSH port (and a qemu provider's sshPortBase) + seat x portStep" }),
        })
        .prefault({}),
      limits: z
        .strictObject({
          clusters: z.int().min(1).default(CLASS_LIMITS.clusters).meta({ description: 'Clusters worked on at once' }),
          connections: z.int().min(1).default(CLASS_LIMITS.connections).meta({ description: 'SSH connections open at once, all clusters together' }),
        })
        .prefault({}),
      students: z.array(StudentSchema).min(1, { error: 'at least one student is needed' }),
    }),
  })
  .meta({ title: 'kubelab classroom', description: 'One cluster template, one lab per student' });

type ParsedRoster = z.output<typeof RosterSchema>;
type RawStudent = ParsedRoster['spec']['students'][number];

export interface ClassStudent {
  readonly name: string;
  readonly seat: number;
  /** The student's inventory: their own file, or the one kubelab writes (see `generated`). */
  readonly inventoryFile: string;
  readonly inventory: Inventory;
  /** The inventory document kubelab writes for this student (absent for a student's own inventory file). */
  readonly generated?: Record<string, unknown>;
}

export interface Classroom {
  readonly name: string;
  readonly file: string;
  /** Where kubelab keeps the class's state: .kubelab/class/<name> under the cwd. */
  readonly stateDir: string;
  readonly limits: { readonly clusters: number; readonly connections: number };
  readonly students: readonly ClassStudent[];
}

/** Where kubelab keeps a classroom's generated inventories, run records and report. */
export function classStateDir(name: string): string {
  return path.resolve('.kubelab', 'class', name);
}

/** The file kubelab writes a generated student inventory to (under the class's state folder). */
export function generatedInventoryFile(room: string, student: string): string {
  return path.join(classStateDir(room), 'inventories', `${student}.yaml`);
}

const clone = <T>(v: T): T => structuredClone(v);

/** A student's cluster as inventory data: the template's spec, the student's nodes, addresses and ports derived. */
function studentDocument(room: ParsedRoster, s: RawStudent, seat: number): Record<string, unknown> {
  const spec = clone(room.spec.template ?? {});
  const own = s.nodes !== undefined;
  const { addressStep, portStep } = room.spec.derive;
  const templateSsh = (spec['ssh'] ?? {}) as Record<string, unknown>;
  const nodes = clone(own ? s.nodes! : (room.spec.nodes ?? [])).map((node) => {
    const n: Record<string, unknown> = { ...node };
    const ssh: Record<string, unknown> = typeof n['ssh'] === 'object' && n['ssh'] !== null ? { ...(n['ssh'] as object) } : {};
    if (!own && addressStep > 0 && typeof n['address'] === 'string') {
      const base = parseIPv4(n['address']);
      if (base !== null && base + seat * addressStep <= 0xffffffff) n['address'] = formatIPv4(base + seat * addressStep);
    }
    if (!own && portStep > 0) {
      const base = typeof ssh['port'] === 'number' ? ssh['port'] : typeof templateSsh['port'] === 'number' ? templateSsh['port'] : DEFAULTS.sshPort;
      ssh['port'] = base + seat * portStep;
    }
    if (s.sshHost !== undefined && ssh['host'] === undefined) ssh['host'] = s.sshHost;
    if (Object.keys(ssh).length > 0) n['ssh'] = ssh;
    return n;
  });
  const provider = spec['provider'];
  if (!own && portStep > 0 && typeof provider === 'object' && provider !== null) {
    const p = provider as Record<string, unknown>;
    p['sshPortBase'] = (typeof p['sshPortBase'] === 'number' ? p['sshPortBase'] : DEFAULTS.sshPortBase) + seat * portStep;
  }
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name: `${room.metadata.name}-${s.name}` }, spec: { ...spec, nodes } };
}

/** Where, in the roster, a problem of student i's generated inventory lies. */
function rosterPath(p: readonly PathSegment[], i: number, ownNodes: boolean): PathSegment[] {
  if (p[0] === 'metadata') return ['spec', 'students', i, 'name'];
  if (p[0] === 'spec' && p[1] === 'nodes') return [...(ownNodes ? ['spec', 'students', i, 'nodes'] : ['spec', 'nodes']), ...p.slice(2)];
  if (p[0] === 'spec') return ['spec', 'template', ...p.slice(1)];
  return ['spec', 'students', i];
}

/**
 * A finding of a student's inventory, moved to the roster. Findings in what every student shares (the template,
 * spec.nodes as written) stay unprefixed so that they are reported once; a value that is this student's alone
 * (a derived address or port, their nodes, their cluster name) names the student and the value.
 */
function moveFinding(f: Finding, i: number, s: RawStudent, doc: unknown, data: unknown): Finding {
  const to = rosterPath(f.path, i, s.nodes !== undefined);
  const own = to[1] === 'students';
  const mine = valueAt(doc, f.path);
  const written = valueAt(data, to);
  const derived = mine.present && (!written.present || q(written.value) !== q(mine.value));
  if (!own && !derived) return { ...f, path: to };
  const shown = renderValue(mine.value);
  const value = derived && shown !== undefined && !f.message.includes(shown) ? ` (${formatPath(f.path)} is ${shown} for this student)` : '';
  return { ...f, path: to, message: `student ${q(s.name)}: ${f.message}${value}` };
}

/** Rules across the roster's fields (the schema checks each field alone). */
function rosterRules(room: ParsedRoster): Finding[] {
  const out: Finding[] = [];
  const names = new Map<string, number>();
  const seats = new Map<number, string>();
  if (room.spec.template && 'nodes' in room.spec.template) {
    out.push({ path: ['spec', 'template', 'nodes'], at: 'key', message: 'the template has no nodes', hint: "every student's nodes go in spec.nodes, or in a student's own nodes" });
  }
  room.spec.students.forEach((s, i) => {
    const at = ['spec', 'students', i];
    const first = names.get(s.name);
    if (first !== undefined) out.push({ path: [...at, 'name'], message: `student ${q(s.name)} is listed twice (also spec.students[${first}])`, hint: 'give each student a name of their own' });
    else names.set(s.name, i);
    if (s.inventory !== undefined) {
      for (const key of ['nodes', 'sshHost', 'seat'] as const) {
        if (s[key] !== undefined) out.push({ path: [...at, key], at: 'key', message: `${key} is not used with inventory: the student's file describes the whole cluster`, hint: `remove ${key}, or remove inventory` });
      }
      return;
    }
    const seat = s.seat ?? i;
    const other = seats.get(seat);
    if (other !== undefined) {
      out.push({ path: [...at, s.seat !== undefined ? 'seat' : 'name'], message: `seat ${seat} is also ${q(other)}'s: derived addresses and ports would collide`, hint: 'give each student a seat of their own' });
    } else seats.set(seat, s.name);
    if (room.spec.template === undefined) out.push({ path: at, message: `student ${q(s.name)} needs spec.template (the cluster every student gets)`, hint: 'add spec.template, or give the student inventory: FILE' });
    if (s.nodes === undefined && room.spec.nodes === undefined) out.push({ path: at, message: `student ${q(s.name)} has no nodes`, hint: "add spec.nodes (every student's), or nodes: for this student" });
  });
  return out;
}

/**
 * Reads and validates a roster; throws InventoryError with every problem (the roster's, at its lines; each
 * student's own inventory file's, at theirs). Nothing is written.
 */
export async function loadRoster(file: string): Promise<Classroom> {
  return parseRoster(await readConfigText(file, 'roster'), file);
}

/** Validates roster text (see loadRoster); `file` is used in messages and to find students' own inventory files. */
export async function parseRoster(text: string, file: string): Promise<Classroom> {
  const src: YamlSource = readYamlMapping(text, file, 'roster');
  if (src.data['kind'] === KIND) {
    throw new InventoryError(file, placeFindings(src, [{ path: ['kind'], message: `this is an inventory (kind: ${KIND}), not a roster`, hint: `a roster has kind: ${CLASSROOM_KIND}; use kubelab plan|up -i FILE for one cluster` }]));
  }
  const result = RosterSchema.safeParse(src.data);
  if (!result.success) {
    throw new InventoryError(file, placeFindings(src, result.error.issues.flatMap((issue) => issueToFindings(issue, src.data, RosterSchema))));
  }
  const room = result.data;
  const findings = rosterRules(room);
  const elsewhere: Problem[] = [];
  const students: ClassStudent[] = [];
  const clusters = new Map<string, string>();
  for (const [i, s] of room.spec.students.entries()) {
    if (s.inventory !== undefined) {
      const own = path.resolve(path.dirname(file), s.inventory);
      try {
        const inventory = await loadInventory(own);
        students.push({ name: s.name, seat: i, inventoryFile: own, inventory });
      } catch (err) {
        if (!(err instanceof InventoryError)) throw err;
        findings.push({ path: ['spec', 'students', i, 'inventory'], message: `student ${q(s.name)}: ${own} has ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} (below)` });
        elsewhere.push(...err.problems);
      }
      continue;
    }
    if (room.spec.template === undefined || (s.nodes === undefined && room.spec.nodes === undefined)) continue; // said by rosterRules
    const seat = s.seat ?? i;
    const doc = studentDocument(room, s, seat);
    const checked = inventoryFindings(doc);
    if (!checked.parsed) {
      findings.push(...checked.findings.map((f) => moveFinding(f, i, s, doc, src.data)));
      continue;
    }
    students.push({ name: s.name, seat, inventoryFile: generatedInventoryFile(room.metadata.name, s.name), inventory: normalise(checked.parsed), generated: doc });
  }
  for (const st of students) {
    const i = room.spec.students.findIndex((s) => s.name === st.name);
    const other = clusters.get(st.inventory.metadata.name);
    if (other !== undefined && other !== st.name) {
      findings.push({ path: ['spec', 'students', i], message: `student ${q(st.name)}'s cluster is named ${q(st.inventory.metadata.name)} like ${q(other)}'s: their state (keys, logs) would mix`, hint: 'give their inventories different metadata.name' });
    } else clusters.set(st.inventory.metadata.name, st.name);
  }
  const problems = [...placeFindings(src, findings), ...elsewhere];
  if (problems.length > 0) throw new InventoryError(file, problems);
  return {
    name: room.metadata.name,
    file,
    stateDir: classStateDir(room.metadata.name),
    limits: room.spec.limits,
    students,
  };
}
