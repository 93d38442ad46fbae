/*
 * session.c - what run, attach and dump share (see session.h).
 */
#include "pyflame/session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pyflame/keeper.h"
#include "pyflame/outputs.h"
#include "pyflame/privs.h"
#include "pyflame/sandbox.h"
#include "pyflame/tracer.h"
#include "pyflame/util.h"

/*
 * A copy of pyflame with file capabilities (setcap cap_sys_ptrace+ep) lets whoever runs
 * it read their own processes where Yama or a container would refuse, and nothing more.
 */
static int refuse_foreign(pid_t pid, long uid)
{
	if (uid >= 0)
		pf_error(0, "refusing to read process %d: it runs as uid %ld, and this pyflame's "
			 "file capability (cap_sys_ptrace) serves only uid %d's own processes",
			 (int)pid, uid, (int)getuid());
	else
		pf_error(0, "refusing to read process %d: it runs with another group, and this "
			 "pyflame's file capability (cap_sys_ptrace) serves only your own "
			 "processes", (int)pid);
	pf_hint("run pyflame as the user who owns process %d, or as root (sudo pyflame ...)",
		(int)pid);
	return -EPERM;
}

/*
 * Run by root, pyflame keeps CAP_SYS_PTRACE alone and reads any process (process_vm_readv
 * needs only that capability; /proc/PID/mem of another user's process would also need the
 * DAC override pyflame dropped, so auto must not be narrowed to it).  Run with a file
 * capability, it reads only processes whose every uid and gid is the caller's real one,
 * checked again once attached (an exec of a setuid program in between), and keeps the
 * capability only until attached: its memory reader, /proc/PID/mem, is opened by then.
 */
int session__attach(struct tracer *tr, pid_t pid, enum remote_kind *reader)
{
	int setcap = getuid() != 0 && privs__any();
	long uid;
	int ret;

	if (setcap && privs__foreign(pid, &uid))
		return refuse_foreign(pid, uid);
	if (privs__any())
		privs__drop_all(1);
	ret = tracer__attach(tr, pid);
	if (ret == -EPERM) {
		tracer__explain_eperm(pid);
		return ret;
	}
	if (ret)
		return pf_error(ret, "cannot attach to process %d", (int)pid);
	if (setcap && privs__foreign(pid, &uid)) {
		tracer__detach_all(tr);
		return refuse_foreign(pid, uid);
	}
	if (setcap && *reader == REMOTE_AUTO)
		*reader = REMOTE_MEM;	/* opened now, it keeps working without the capability */
	return 0;
}

/*
 * The command is running, traced, and every output is open: from here on pyflame needs no
 * privilege (but CAP_SYS_PTRACE when run by root, see privs.h) and no new files.  The
 * keeper, started first, puts the files in place at the end (keeper.h).
 */
struct keeper *session__confine(int sandbox, struct out_file *files, size_t nfiles,
				struct out_file *raw, pid_t command)
{
	struct keeper *k = NULL;
	int ret = privs__drop_all(getuid() == 0);

	if (ret)
		pf_warn("cannot drop capabilities: %s", strerror(-ret));
	if (!sandbox) {
		pf_info("sandbox: off (--no-sandbox)");
		return NULL;
	}
	if (files) {
		k = keeper__start(files, nfiles, raw);
		if (!k) {
			pf_warn("cannot start the keeper of the output files: %s; sampling without "
				"the sandbox", strerror(errno));
			return NULL;
		}
	}
	ret = sandbox__apply(command);
	if (ret) {
		pf_warn("cannot install the seccomp sandbox: %s; sampling without it", strerror(-ret));
		return k;
	}
	pf_info("sandbox: on (seccomp allow-list; --no-sandbox turns it off)");
	return k;
}

void session__report_sandbox(void)
{
	unsigned long n;
	int nr = sandbox__denied(&n);
	char name[64];

	if (nr < 0)
		return;
	sandbox__syscall_name(nr, name, sizeof(name));
	pf_error(0, "the sandbox refused system call '%s' (%lu refused calls in all); "
		 "this is a bug in pyflame", name, n);
	pf_hint("run with --no-sandbox to work around it, and report it");
}

/*
 * NUL separators become spaces; the bound is above what the kernel lets a command line
 * be (ARG_MAX, stack / 4).
 */
char *session__cmdline(pid_t pid)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (pf_read_file(path, &sb, 64u << 20) || !sb.len) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "process %d", (int)pid);
	}
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\0')
			sb.buf[i] = ' ';
	while (sb.len && sb.buf[sb.len - 1] == ' ')
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}
