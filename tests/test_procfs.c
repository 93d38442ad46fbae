/* test_procfs.c - task state, status fields and signal masks; stop classification. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
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
	uint64_t ns = 7;

	(void)state;
	assert_int_equal(procfs__parse_runtime("5242575 14603313 4\n", 19, &ns), 0);
	assert_int_equal(ns, 5242575);
	assert_int_equal(procfs__parse_runtime("0 0 0\n", 6, &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(procfs__parse_runtime("9999999999999999999", 19, &ns), 0);
	assert_true(ns == 9999999999999999999ull);
	ns = 7;
	assert_int_equal(procfs__parse_runtime("99999999999999999999 1", 22, &ns), -EINVAL);
	assert_int_equal(procfs__parse_runtime("", 0, &ns), -EINVAL);
	assert_int_equal(procfs__parse_runtime("-1 2 3", 6, &ns), -EINVAL);
	assert_int_equal(procfs__parse_runtime("12x 2", 5, &ns), -EINVAL);
	assert_int_equal(ns, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(procfs_parse_runtime__schedstat_lines__first_field_or_einval),
		cmocka_unit_test(parse_state__plain_and_hostile_names),
		cmocka_unit_test(parse_state__truncated_or_garbage__unknown),
		cmocka_unit_test(state_stoppable__d_z_x_unknown_are_not),
		cmocka_unit_test(parse_status__fields_and_masks),
		cmocka_unit_test(live__own_state_tgid_and_signals),
		cmocka_unit_test(classify_stop__every_kind),
		cmocka_unit_test(live__vfork_parent_is_not_stoppable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
