/*
 * The host kernel's own rates for the address-space cases of `npm run bench` (tools/bench/run.ts
 * builds this with cc -O2 and runs one round per call), on the same patterns as ours:
 *
 *   host-mm mmap-munmap SECONDS   mmap(4 KiB)+munmap pairs with 10,000 VMAs present
 *   host-mm anon-fault SECONDS    write faults: map 2 MiB (MADV_NOHUGEPAGE), write one byte per
 *                                 page, unmap; faults per second
 *   host-mm fork-1g               fork() of a process with 1 GiB of touched anonymous memory:
 *                                 {"forkMs": ..., "exitMs": ...} (the child exits at once)
 *
 * A round prints {"wallMedian": ops per wall second, "cpuMedian": ops per CPU second} (one round,
 * so the "median" is that round's figure, as the buddy peer prints it).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static double now(clockid_t clock) {
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(double ops, double wall0, double cpu0) {
	double wall = now(CLOCK_MONOTONIC) - wall0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	printf("{\"wallMedian\": %.0f, \"cpuMedian\": %.0f}\n", ops / wall, cpu > 0 ? ops / cpu : 0);
}

static int mmap_munmap(double seconds) {
	/* 10,000 one-page VMAs that cannot merge (alternating protections). */
	for (int i = 0; i < 10000; i++) {
		if (mmap(NULL, PAGE, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) return perror("mmap"), 1;
	}
	double ops = 0, wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
	while (now(CLOCK_MONOTONIC) - wall0 < seconds) {
		for (int i = 0; i < 512; i++) {
			void *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (a == MAP_FAILED) return perror("mmap"), 1;
			munmap(a, PAGE);
		}
		ops += 512;
	}
	report(ops, wall0, cpu0);
	return 0;
}

static int anon_fault(double seconds) {
	const size_t len = 2UL << 20;
	double ops = 0, wall0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
	while (now(CLOCK_MONOTONIC) - wall0 < seconds) {
		char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a == MAP_FAILED) return perror("mmap"), 1;
		madvise(a, len, MADV_NOHUGEPAGE);
		for (size_t off = 0; off < len; off += PAGE) a[off] = 1;
		munmap(a, len);
		ops += len / PAGE;
	}
	report(ops, wall0, cpu0);
	return 0;
}

static int fork_1g(void) {
	const size_t len = 1UL << 30;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) return perror("mmap"), 1;
	madvise(a, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += PAGE) a[off] = 1;
	double t0 = now(CLOCK_MONOTONIC);
	pid_t pid = fork();
	if (pid < 0) return perror("fork"), 1;
	if (pid == 0) _exit(0);
	double t1 = now(CLOCK_MONOTONIC);
	int status;
	waitpid(pid, &status, 0);
	double t2 = now(CLOCK_MONOTONIC);
	printf("{\"forkMs\": %.2f, \"exitMs\": %.2f}\n", (t1 - t0) * 1000, (t2 - t1) * 1000);
	return 0;
}

int main(int argc, char **argv) {
	if (argc >= 3 && !strcmp(argv[1], "mmap-munmap")) return mmap_munmap(atof(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "anon-fault")) return anon_fault(atof(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "fork-1g")) return fork_1g();
	fprintf(stderr, "usage: host-mm mmap-munmap SECONDS | anon-fault SECONDS | fork-1g\n");
	return 2;
}
