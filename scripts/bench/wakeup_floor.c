/*
 * wakeup-floor: the least CPU a timer-driven sampler spends per tick on this machine.
 *
 *   wakeup-floor [-m ppoll|timerfd] [-b US] HZ N
 *
 * Sleeps until N deadlines at HZ, each at a random point of its own period as pyflame
 * draws them, doing nothing else, and prints the CPU time it used per wake-up in
 * microseconds (from /proc/self/schedstat, ns), how late the wake-ups came (median and
 * 99th percentile, us), the share of periods that went by without a wake-up (counted as
 * pyflame's tick clock counts missed ticks: the next wake-up is in the next period, or in
 * the current one when a whole period went by) and the wake-ups that came a millisecond
 * or more late.  -m ppoll (the default) waits as pyflame's loop does: one ppoll() whose
 * timeout ends at the deadline, with a timer slack of 1/100 of the period; -m timerfd as
 * pyflame did before: a one-shot timerfd re-armed each tick, poll() and read() (three
 * calls a tick).  -b US spins US microseconds after each wake-up, standing in for the
 * work of a sample: how late a sampler's wake-ups come depends on the CPU it uses (see
 * docs/PERFORMANCE.md, round 7).  scripts/bench/run.py subtracts the plain floor from
 * pyflame's CPU per sample ("above floor").
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	FILE *f = fopen("/proc/self/schedstat", "r");
	unsigned long long ns = 0;

	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int timerfd_mode = 0, fd = -1, opt;
	uint64_t burn_ns = 0;
	uint64_t hz, n, w = 0, period, start, rng, c0, c1, *late, k, late_ms = 0, late_ms_sum = 0, missed = 0;

	while ((opt = getopt(argc, argv, "m:b:")) != -1) {
		if (opt == 'm' && (!strcmp(optarg, "timerfd") || !strcmp(optarg, "ppoll")))
			timerfd_mode = !strcmp(optarg, "timerfd");
		else if (opt == 'b')
			burn_ns = strtoull(optarg, NULL, 10) * 1000;
		else
			goto usage;
	}
	if (argc - optind != 2 || !(hz = strtoull(argv[optind], NULL, 10)) ||
	    !(n = strtoull(argv[optind + 1], NULL, 10))) {
usage:
		fprintf(stderr, "usage: wakeup-floor [-m ppoll|timerfd] [-b US] HZ N\n");
		return 2;
	}
	period = 1000000000ull / hz;
	late = calloc(n, sizeof(*late));
	if (!late)
		return 1;
	if (timerfd_mode)
		fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	else
		prctl(PR_SET_TIMERSLACK, (unsigned long)(period / 100 ? period / 100 : 1), 0L, 0L, 0L);
	rng = now_ns() | 1;
	start = now_ns();
	c0 = cpu_ns();
	for (k = 1; w < n; k++) {
		uint64_t at, t;

		rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
		at = start + k * period + (rng * 2685821657736338717ull) % period;
		if (timerfd_mode) {
			struct itimerspec its = { .it_value = { (time_t)(at / 1000000000ull),
								(long)(at % 1000000000ull) } };
			struct pollfd p = { fd, POLLIN, 0 };
			uint64_t x;

			timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
			poll(&p, 1, -1);
			if (read(fd, &x, sizeof(x)) < 0)
				return 1;
		} else {
			while ((t = now_ns()) < at) {
				struct timespec ts = { (time_t)((at - t) / 1000000000ull),
						       (long)((at - t) % 1000000000ull) };

				ppoll(NULL, 0, &ts, NULL);
			}
		}
		t = now_ns();
		late[w++] = t > at ? t - at : 0;
		if (t > at + 1000000) {
			late_ms++;
			late_ms_sum += t - at;
		}
		while (burn_ns && now_ns() < t + burn_ns)
			;	/* a sample's work */
		/*
		 * As pyflame's tick clock: the next wake-up is in the next period, or in the
		 * current one when a whole period went by without one (those are missed)
		 */
		if ((t - start) / period > k + 1) {
			missed += (t - start) / period - (k + 1);
			k = (t - start) / period - 1;
		}
	}
	c1 = cpu_ns();
	qsort(late, n, sizeof(*late), cmp_u64);
	printf("%s %llu Hz: %.2f us CPU per wake-up, late %.1f us median, %.1f us p99\n",
	       timerfd_mode ? "timerfd" : "ppoll", (unsigned long long)hz,
	       (double)(c1 - c0) / 1e3 / (double)n, late[n / 2] / 1e3, late[n * 99 / 100] / 1e3);
	/* the tail that loses samples: wake-ups a millisecond or more late, and what they cost */
	printf("  %.1f%% of periods without a wake-up; %llu wake-ups late by over 1 ms (%.1f ms in all)\n",
	       100.0 * (double)missed / (double)(missed + n), (unsigned long long)late_ms,
	       (double)late_ms_sum / 1e6);
	free(late);
	return 0;
}
