/* privs.c - capability handling with libcap. */
#include "pyflame/privs.h"

#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>
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
