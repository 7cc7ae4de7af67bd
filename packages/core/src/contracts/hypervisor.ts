/**
 * Draft: hypervisor hooks (arch/x86/xen/). Implemented by @mmkit/hypervisor-xen for a Xen PV
 * guest: its page-table pages are pinned (PagePinned) once boot memory is handed to the buddy
 * allocator, and deferred struct-page initialisation must not lose that.
 */
import type { MmServices } from './services.js';

export interface Hypervisor {
  readonly name: string;
  /** x86_init.hyper.init_after_bootmem(): boot memory is now in the buddy allocator (an initialisation step). */
  initAfterBootmem(): void;
}
export type HypervisorFactory = (services: MmServices) => Hypervisor;
