/* test_procfs.c - task state, status fields and signal masks; stop classification. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "pyflame/procfs.h"
#include "pyflame/tracer.h"

#define S(lit) lit, sizeof(lit) - 1

static void parse_state__plain_and_hostile_names(void **state)
{
	(void)state;
	assert_int_equal(procfs__parse_state(S("42 (python3) R 1 42 42 0")), PROCFS_STATE_RUNNING);
	assert_int_equal(procfs__parse_state(S("42 (sh) D 1")), PROCFS_STATE_DISK);
	assert_int_equal(procfs__parse_state(S("42 (x) t 1")), PROCFS_STATE_TRACED);
	/* a name may hold ") R " itself: the state follows the last ')' */
	assert_int_equal(procfs__parse_state(S("42 (evil) R (x) S 1 2")), PROCFS_STATE_SLEEPING);
	assert_int_equal(procfs__parse_state(S("42 (a b) Z 1")), PROCFS_STATE_ZOMBIE);
	/* idle kernel threads and friends are off CPU, not unknown */
	assert_int_equal(procfs__parse_state(S("2 (kthreadd) I 0")), PROCFS_STATE_SLEEPING);
}

static void parse_state__truncated_or_garbage__unknown(void **state)
{
	(void)state;
	assert_int_equal(procfs__parse_state(S("")), PROCFS_STATE_UNKNOWN);
	assert_int_equal(procfs__parse_state(S("42 (python3")), PROCFS_STATE_UNKNOWN);
	assert_int_equal(procfs__parse_state(S("42 (python3)")), PROCFS_STATE_UNKNOWN);
	assert_int_equal(procfs__parse_state(S("42 (python3) ")), PROCFS_STATE_UNKNOWN);
	assert_int_equal(procfs__parse_state(S("42 (python3)R")), PROCFS_STATE_UNKNOWN);
	assert_int_equal(procfs__parse_state(S("42 (python3) ? 1")), PROCFS_STATE_UNKNOWN);
	/* not NUL-terminated: the length bounds the read */
	assert_int_equal(procfs__parse_state("42 (p) R", 6), PROCFS_STATE_UNKNOWN);
}

static void state_stoppable__d_z_x_unknown_are_not(void **state)
{
	(void)state;
	assert_true(procfs__state_stoppable(PROCFS_STATE_RUNNING));
	assert_true(procfs__state_stoppable(PROCFS_STATE_SLEEPING));
	assert_true(procfs__state_stoppable(PROCFS_STATE_TRACED));
	assert_false(procfs__state_stoppable(PROCFS_STATE_DISK));
	assert_false(procfs__state_stoppable(PROCFS_STATE_ZOMBIE));
	assert_false(procfs__state_stoppable(PROCFS_STATE_DEAD));
	assert_false(procfs__state_stoppable(PROCFS_STATE_UNKNOWN));
}

static const char status_text[] =
	"Name:\tpython3\n"
	"Umask:\t0022\n"
	"State:\tS (sleeping)\n"
	"Tgid:\t4242\n"
	"Pid:\t4243\n"
	"PPid:\t1\n"
	"TracerPid:\t0\n"
	"Uid:\t1000\t1000\t1000\t1000\n"
	"SigPnd:\t0000000000000000\n"
	"ShdPnd:\t0000000000004000\n"
	"SigBlk:\t0000000000000000\n"
	"SigIgn:\t0000000001001000\n"
	"SigCgt:\t0000000180000002\n";

static void parse_status__fields_and_masks(void **state)
{
	long v = 0;
	uint64_t m = 0;

	(void)state;
	assert_int_equal(procfs__parse_status_long(status_text, "Tgid", &v), 0);
	assert_int_equal(v, 4242);
	assert_int_equal(procfs__parse_status_long(status_text, "Pid", &v), 0);
	assert_int_equal(v, 4243);	/* not "PPid" nor "TracerPid" */
	assert_int_equal(procfs__parse_status_long(status_text, "Uid", &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(procfs__parse_status_mask(status_text, "ShdPnd", &m), 0);
	assert_true((m >> (SIGTERM - 1)) & 1);
	assert_int_equal(procfs__parse_status_mask(status_text, "SigCgt", &m), 0);
	assert_true((m >> (SIGINT - 1)) & 1);
	assert_int_equal(procfs__parse_status_long(status_text, "NoSuchField", &v), -ENOENT);
	assert_int_equal(procfs__parse_status_long("Tgid:\tx\n", "Tgid", &v), -EINVAL);
	assert_int_equal(procfs__parse_status_long("", "Tgid", &v), -ENOENT);
	/* a key is matched whole, at the start of a line */
	assert_int_equal(procfs__parse_status_long("XTgid:\t5\n", "Tgid", &v), -ENOENT);
}

static void live__own_state_tgid_and_signals(void **state)
{
	const char *const pending[] = { "SigBlk", NULL };
	sigset_t s, old;
	long v;

	(void)state;
	assert_int_equal(procfs__task_state(getpid(), getpid()), PROCFS_STATE_RUNNING);
	assert_int_equal(procfs__tgid(getpid()), getpid());
	assert_int_equal(procfs__status_long(getpid(), "Pid", &v), 0);
	assert_int_equal(v, getpid());
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, &old);
	assert_true(procfs__signal_in(getpid(), SIGUSR2, pending));
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_false(procfs__signal_in(getpid(), SIGUSR2, pending));
	/* a task that is gone */
	assert_int_equal(procfs__task_state(0x7ffffff0, 0x7ffffff0), PROCFS_STATE_UNKNOWN);
	assert_int_equal(procfs__tgid(0x7ffffff0), 0x7ffffff0);
}

static void classify_stop__every_kind(void **state)
{
	struct tracer_stop st;

	(void)state;
	st = tracer__classify_stop(0x0100);	/* exited with 1: (1 << 8) */
	assert_int_equal(st.kind, TRACER_STOP_GONE);
	st = tracer__classify_stop(SIGKILL);	/* killed */
	assert_int_equal(st.kind, TRACER_STOP_GONE);
	st = tracer__classify_stop((SIGSEGV << 8) | 0x7f);
	assert_int_equal(st.kind, TRACER_STOP_SIGNAL);
	assert_int_equal(st.sig, SIGSEGV);
	st = tracer__classify_stop((PTRACE_EVENT_STOP << 16) | (SIGSTOP << 8) | 0x7f);
	assert_int_equal(st.kind, TRACER_STOP_EVENT);
	assert_int_equal(st.sig, SIGSTOP);
	st = tracer__classify_stop((PTRACE_EVENT_VFORK << 16) | (SIGTRAP << 8) | 0x7f);
	assert_int_equal(st.kind, TRACER_STOP_NEW_TASK);
	assert_int_equal(st.event, PTRACE_EVENT_VFORK);
	st = tracer__classify_stop((PTRACE_EVENT_CLONE << 16) | (SIGTRAP << 8) | 0x7f);
	assert_int_equal(st.kind, TRACER_STOP_NEW_TASK);
	st = tracer__classify_stop((PTRACE_EVENT_EXEC << 16) | (SIGTRAP << 8) | 0x7f);
	assert_int_equal(st.kind, TRACER_STOP_EXEC);
	st = tracer__classify_stop((PTRACE_EVENT_EXIT << 16) | (SIGTRAP << 8) | 0x7f);
	assert_int_equal(st.kind, TRACER_STOP_OTHER);
}

/* A vfork parent waits in D until its child execs or exits: the state a hold must skip. */
static void live__vfork_parent_is_not_stoppable(void **state)
{
	int p[2];
	pid_t parent;
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	parent = fork();
	assert_true(parent >= 0);
	if (parent == 0) {
		close(p[1]);
		if (vfork() == 0) {
			char b;

			/* the child runs in the parent's memory until it exits */
			while (read(p[0], &b, 1) < 0)
				;
			_exit(0);
		}
		_exit(0);
	}
	close(p[0]);
	for (int i = 0; i < 2000; i++) {
		if (procfs__task_state(parent, parent) == PROCFS_STATE_DISK)
			break;
		usleep(1000);
	}
	assert_int_equal(procfs__task_state(parent, parent), PROCFS_STATE_DISK);
	assert_false(procfs__state_stoppable(procfs__task_state(parent, parent)));
	c = 1;
	assert_int_equal(write(p[1], &c, 1), 1);
	close(p[1]);
	assert_int_equal(waitpid(parent, NULL, 0), parent);
}

static void procfs_parse_runtime__schedstat_lines__first_field_or_einval(void **state)
{
	uint64_t ns = 7, waited;

	(void)state;
	assert_int_equal(procfs__parse_runtime("5242575 14603313 4\n", 19, &ns, NULL), 0);
	assert_int_equal(ns, 5242575);
	assert_int_equal(procfs__parse_runtime("0 0 0\n", 6, &ns, NULL), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(procfs__parse_runtime("9999999999999999999", 19, &ns, NULL), 0);
	assert_true(ns == 9999999999999999999ull);
	ns = 7;
	assert_int_equal(procfs__parse_runtime("99999999999999999999 1", 22, &ns, NULL), -EINVAL);
	assert_int_equal(procfs__parse_runtime("", 0, &ns, NULL), -EINVAL);
	assert_int_equal(procfs__parse_runtime("-1 2 3", 6, &ns, NULL), -EINVAL);
	assert_int_equal(procfs__parse_runtime("12x 2", 5, &ns, NULL), -EINVAL);
	assert_int_equal(ns, 7);
	/* with the time spent waiting for a CPU, the second field */
	assert_int_equal(procfs__parse_runtime("5242575 14603313 4\n", 19, &ns, &waited), 0);
	assert_true(ns == 5242575 && waited == 14603313);
	assert_int_equal(procfs__parse_runtime("5 6\n", 4, &ns, &waited), 0);
	assert_true(ns == 5 && waited == 6);
	waited = 9;
	assert_int_equal(procfs__parse_runtime("5242575\n", 8, &ns, &waited), -EINVAL);
	assert_int_equal(procfs__parse_runtime("5242575 ", 8, &ns, &waited), -EINVAL);
	assert_int_equal(procfs__parse_runtime("1  2 3", 6, &ns, &waited), -EINVAL);
	assert_int_equal(procfs__parse_runtime("1 2x 3", 6, &ns, &waited), -EINVAL);
	assert_int_equal(procfs__parse_runtime("1 99999999999999999999", 22, &ns, &waited), -EINVAL);
	assert_int_equal(waited, 9);
}

/* A stat line with the given pid, name, and fields 26-28. */
static size_t stat_line(char *buf, size_t size, int pid, const char *name, unsigned long long c0,
			unsigned long long c1, unsigned long long stack)
{
	return (size_t)snprintf(buf, size, "%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 1 2 0 0 "
				"20 0 1 0 12345 10000000 500 18446744073709551615 %llu %llu %llu "
				"0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n", pid, name, pid, pid, c0, c1,
				stack);
}

static void parse_image__same_image_other_pid_exec_and_hostile(void **state)
{
	char a[512], b[512];
	uint64_t ia, ib;
	size_t na, nb;

	(void)state;
	/* a vfork child: another pid, the same image */
	na = stat_line(a, sizeof(a), 100, "python3", 0x400000, 0x401000, 0x7ffc0000);
	nb = stat_line(b, sizeof(b), 101, "python3", 0x400000, 0x401000, 0x7ffc0000);
	assert_int_equal(procfs__parse_image(a, na, &ia), 0);
	assert_int_equal(procfs__parse_image(b, nb, &ib), 0);
	assert_true(ia == ib && ia != 0);
	/* an exec: a new stack (same name and code: python3 exec'ing python3) */
	nb = stat_line(b, sizeof(b), 100, "python3", 0x400000, 0x401000, 0x7ffd0000);
	assert_int_equal(procfs__parse_image(b, nb, &ib), 0);
	assert_true(ia != ib);
	/* only the name changed (prctl, or an exec of another program at the same places) */
	nb = stat_line(b, sizeof(b), 100, "sh", 0x400000, 0x401000, 0x7ffc0000);
	assert_int_equal(procfs__parse_image(b, nb, &ib), 0);
	assert_true(ia != ib);
	/* a name made to look like more fields: the last ')' ends it */
	na = stat_line(a, sizeof(a), 100, "x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 "
		       "21 22 23 24 1 2 3 (y", 0x400000, 0x401000, 0x7ffc0000);
	assert_int_equal(procfs__parse_image(a, na, &ia), 0);
	nb = stat_line(b, sizeof(b), 100, "x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 "
		       "21 22 23 24 1 2 3 (y", 0x400000, 0x401000, 0x7ffd0000);
	assert_int_equal(procfs__parse_image(b, nb, &ib), 0);
	assert_true(ia != ib);
	/* cut short, empty, no name, fields not numbers */
	na = stat_line(a, sizeof(a), 100, "python3", 1, 2, 3);
	for (size_t cut = 0; cut < na; cut++) {
		uint64_t id;
		int ret = procfs__parse_image(a, cut, &id);

		/* a cut before field 28's end cannot parse; one after it may */
		if (cut < (size_t)(strstr(a, " 1 2 3 ") - a) + 7)
			assert_int_equal(ret, -EINVAL);
	}
	assert_int_equal(procfs__parse_image(S("42 python3 S 1"), &ia), -EINVAL);
	assert_int_equal(procfs__parse_image(S(")42 (python3 S 1"), &ia), -EINVAL);
	na = (size_t)snprintf(a, sizeof(a), "42 (p) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
			      "19 20 21 22 23 x 2 3 0\n");
	assert_int_equal(procfs__parse_image(a, na, &ia), -EINVAL);
	/* 21 digits: no wrap-around into a small number */
	na = (size_t)snprintf(a, sizeof(a), "42 (p) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
			      "19 20 21 22 23 123456789012345678901 2 3 0\n");
	assert_int_equal(procfs__parse_image(a, na, &ia), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(procfs_parse_runtime__schedstat_lines__first_field_or_einval),
		cmocka_unit_test(parse_state__plain_and_hostile_names),
		cmocka_unit_test(parse_state__truncated_or_garbage__unknown),
		cmocka_unit_test(state_stoppable__d_z_x_unknown_are_not),
		cmocka_unit_test(parse_status__fields_and_masks),
		cmocka_unit_test(parse_image__same_image_other_pid_exec_and_hostile),
		cmocka_unit_test(live__own_state_tgid_and_signals),
		cmocka_unit_test(classify_stop__every_kind),
		cmocka_unit_test(live__vfork_parent_is_not_stoppable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
