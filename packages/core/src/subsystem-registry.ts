/**
 * The late binding behind MmServices.subsystems: the kernel (or a test machine) creates every
 * subsystem, registers it here, then connects. Reading a subsystem before connect() throws
 * (a factory must not reach another subsystem: it may not exist yet); after connect(), reading
 * a required one (page allocator, object allocator) that was never registered throws, an
 * optional one reads as undefined.
 */
import type { Subsystems } from './contracts/services.js';

type Name = keyof Subsystems;

/** The subsystems every kernel has. */
const REQUIRED: ReadonlySet<Name> = new Set<Name>(['pageAllocator', 'slab']);

const NAMES: readonly Name[] = [
  'pageAllocator', 'pageIsolation', 'slab', 'archPageTables', 'hypervisor', 'cma', 'memcg', 'swap',
  'addressSpaces', 'vmas', 'currentMm', 'mmuNotifiers', 'rmap', 'lru', 'gup', 'hmm', 'migrate',
];

export class SubsystemRegistry {
  private readonly members = new Map<Name, unknown>();
  private connectedFlag = false;
  /** The late-bound view handed to subsystems (services.subsystems). */
  readonly view: Subsystems;

  constructor() {
    const view = {};
    for (const name of NAMES) Object.defineProperty(view, name, { enumerable: true, get: () => this.get(name) });
    this.view = Object.freeze(view) as Subsystems;
  }

  get connected(): boolean {
    return this.connectedFlag;
  }

  /** Register a subsystem (creation phase). */
  register<K extends Name>(name: K, value: NonNullable<Subsystems[K]>): void {
    if (this.connectedFlag) throw new Error(`subsystem '${name}' registered after the subsystems were connected`);
    if (this.members.has(name)) throw new Error(`subsystem '${name}' registered twice`);
    this.members.set(name, value);
  }

  /** End of the creation phase: from now on subsystems reach each other. */
  connect(): void {
    this.connectedFlag = true;
  }

  /**
   * Throws, naming what was read, before connect() (`services.subsystems.X`, or a late-bound
   * shortcut such as `services.pageAllocator`).
   */
  assertConnected(name: Name, read: string = `subsystems.${name}`): void {
    if (!this.connectedFlag) {
      throw new Error(
        `services.${read} was read before the kernel connected its subsystems: a factory must not reach another subsystem; read it at run time or in an initialisation step`,
      );
    }
  }

  private get(name: Name): unknown {
    this.assertConnected(name);
    const value = this.members.get(name);
    if (value === undefined && REQUIRED.has(name)) throw new Error(`services.subsystems.${name}: this machine has none`);
    return value;
  }
}
