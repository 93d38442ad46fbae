/* privs.c - capability handling with libcap. */
#include "pyflame/privs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static int clear_sets(int keep_ptrace)
{
	cap_t caps = cap_init();	/* all sets empty */
	cap_value_t keep[] = { CAP_SYS_PTRACE };
	int ret = 0;

	if (!caps)
		return -errno;
	if (keep_ptrace && (cap_set_flag(caps, CAP_PERMITTED, 1, keep, CAP_SET) < 0 ||
			    cap_set_flag(caps, CAP_EFFECTIVE, 1, keep, CAP_SET) < 0))
		ret = -errno;
	if (!ret && cap_set_proc(caps) < 0)
		ret = -errno;
	cap_free(caps);
	return ret;
}

int privs__child_drop(void)
{
	if (getuid() == 0)
		return 0;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L);
	return privs__any() ? clear_sets(0) : 0;
}

int privs__any(void)
{
	cap_t caps = cap_get_proc();
	cap_t none = cap_init();
	int any = 1;

	if (caps && none)
		any = cap_compare(caps, none) != 0;
	cap_free(caps);
	cap_free(none);
	return any;
}

int privs__drop_all(int keep_ptrace)
{
	int ret;

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which we may still hold. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (!(keep_ptrace && c == CAP_SYS_PTRACE) && prctl(PR_CAPBSET_READ, c, 0L, 0L, 0L) == 1)
			prctl(PR_CAPBSET_DROP, c, 0L, 0L, 0L);	/* EPERM without SETPCAP */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L);
	ret = clear_sets(keep_ptrace);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0 && !ret)
		ret = -errno;
	return ret;
}

int privs__drop_caps(void)
{
	int ret;

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L);
	ret = clear_sets(0);
	/*
	 * Started with file capabilities, the kernel made us non-dumpable, and a child we fork
	 * would be too: tracing it would need the capability just dropped.  Holding nothing
	 * now, and having read nothing yet, we may be an ordinary process again.
	 */
	if (!ret && prctl(PR_SET_DUMPABLE, 1L, 0L, 0L, 0L) < 0)
		ret = -errno;
	return ret;
}

/* The four ids of a "Uid:" or "Gid:" line of /proc/PID/status; 0 when all are want. */
static int ids_differ(const char *status, const char *key, long want, long *first)
{
	const char *p = strstr(status, key);
	long v[4];

	if (!p || sscanf(p + strlen(key), "%ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3]) != 4)
		return 1;
	for (int i = 0; i < 4; i++) {
		if (v[i] != want) {
			*first = v[i];
			return 1;
		}
	}
	return 0;
}

int privs__foreign(pid_t pid, long *uid)
{
	char path[64], buf[4096];
	long gid = -1;
	ssize_t n;
	int fd, foreign;

	*uid = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	foreign = ids_differ(buf, "\nUid:", (long)getuid(), uid);
	if (!foreign && ids_differ(buf, "\nGid:", (long)getgid(), &gid))
		foreign = 1;	/* *uid stays -1: the groups differ */
	return foreign;
}

/* The file execvp() would run for cmd, into path; 0 or -errno. */
static int find_program(const char *cmd, char *path, size_t size)
{
	const char *dirs = getenv("PATH");

	if (strchr(cmd, '/')) {
		snprintf(path, size, "%s", cmd);
		return access(path, X_OK) ? -errno : 0;
	}
	if (!dirs || !*dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	while (*dirs) {
		size_t len = strcspn(dirs, ":");

		snprintf(path, size, "%.*s%s%s", (int)len, len ? dirs : ".", "/", cmd);
		if (!access(path, X_OK))
			return 0;
		dirs += len + (dirs[len] == ':');
	}
	return -ENOENT;
}

/* What running file path would give user uid, group gid (enum privs_gain). */
static int file_gains(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return PRIVS_GAIN_NONE;
	if ((st.st_mode & S_ISUID) && st.st_uid != uid)
		return PRIVS_GAIN_SETUID;
	if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != gid)
		return PRIVS_GAIN_SETGID;
	return getxattr(path, "security.capability", NULL, 0) > 0 ? PRIVS_GAIN_FCAPS :
								   PRIVS_GAIN_NONE;
}

int privs__exec_gains(const char *cmd, char *path, size_t size)
{
	if (find_program(cmd, path, size))
		return 0;
	return file_gains(path, getuid(), getgid()) != PRIVS_GAIN_NONE;
}

int privs__image_gains(pid_t pid, uid_t uid, gid_t gid, char *path, size_t size)
{
	char exe[64];
	ssize_t n;
	int gain;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	gain = file_gains(exe, uid, gid);	/* the magic link: the very file it runs */
	if (gain == PRIVS_GAIN_NONE || !size)
		return gain;
	n = readlink(exe, path, size - 1);
	if (n < 0)
		n = snprintf(path, size, "%s", "?");
	path[n] = '\0';
	return gain;
}

const char *privs__gain_name(int gain)
{
	switch (gain) {
	case PRIVS_GAIN_SETUID:
		return "set-user-ID";
	case PRIVS_GAIN_SETGID:
		return "set-group-ID";
	case PRIVS_GAIN_FCAPS:
		return "given file capabilities";
	default:
		return "unprivileged";
	}
}
