/**
 * Page faults as the address-space contract reports them (4.17): the fault flags handed to
 * handle_mm_fault() (include/linux/mm.h FAULT_FLAG_*), the vm_fault_t bits it returns
 * (VM_FAULT_*), the outcome of a user fault as arch/x86/mm/fault.c's __do_page_fault() ends it
 * (handled, SIGSEGV with its si_code, SIGBUS, or out of memory), and the mm counters
 * (enum mm_counter of include/linux/mm_types_task.h, in 4.17's order).
 */

/** FAULT_FLAG_WRITE: a write access. */
export const FAULT_FLAG_WRITE = 0x01;
/** FAULT_FLAG_USER: the fault came from user space. */
export const FAULT_FLAG_USER = 0x40;
/** FAULT_FLAG_REMOTE: not the current task's mm (get_user_pages_remote()). */
export const FAULT_FLAG_REMOTE = 0x80;
/** FAULT_FLAG_INSTRUCTION: an instruction fetch. */
export const FAULT_FLAG_INSTRUCTION = 0x100;

/** vm_fault_t bits of handle_mm_fault(). */
export const VM_FAULT_OOM = 0x0001;
export const VM_FAULT_SIGBUS = 0x0002;
export const VM_FAULT_MAJOR = 0x0004;
/** do_wp_page() made the PTE writable (reuse or copy). */
export const VM_FAULT_WRITE = 0x0008;
export const VM_FAULT_SIGSEGV = 0x0040;
export const VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | 0x0010 | 0x0020;

/** si_code of a SIGSEGV (include/uapi/asm-generic/siginfo.h): no mapping at the address. */
export const SEGV_MAPERR = 1;
/** si_code of a SIGSEGV: the mapping does not allow the access. */
export const SEGV_ACCERR = 2;

/**
 * The outcome of a user page fault (AddressSpaces.pageFault()): what the task sees. The SIGSEGV
 * outcomes equal their si_code.
 */
export const FAULT_HANDLED = 0;
/** bad_area(): no VMA covers the address (and no stack grows down to it): SIGSEGV, SEGV_MAPERR. */
export const FAULT_SIGSEGV_MAPERR = SEGV_MAPERR;
/** bad_area_access_error(): the VMA does not allow the access: SIGSEGV, SEGV_ACCERR. */
export const FAULT_SIGSEGV_ACCERR = SEGV_ACCERR;
/** mm_fault_error() of VM_FAULT_SIGBUS: SIGBUS (BUS_ADRERR), e.g. a shared mapping with nothing to map. */
export const FAULT_SIGBUS = 3;
/** VM_FAULT_OOM: pagefault_out_of_memory() (the OOM killer; the access did not happen). */
export const FAULT_OOM = 4;

/** enum mm_counter (4.17 order): resident file pages, anonymous pages, swap entries, shmem pages. */
export const MM_FILEPAGES = 0;
export const MM_ANONPAGES = 1;
export const MM_SWAPENTS = 2;
export const MM_SHMEMPAGES = 3;
export const NR_MM_COUNTERS = 4;
