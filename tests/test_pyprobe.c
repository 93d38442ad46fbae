/*
 * test_pyprobe.c - locating the runtime of every interpreter found on this machine.
 *
 * Interpreters: $(pyenv root)/versions/\*\/bin/python, /usr/bin/python3*, and the
 * colon-separated $PYFLAME_TEST_PYTHONS.  Each runs `import time; time.sleep(30)` and is
 * killed at the end; its version is what it prints for sys.version_info when run separately.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "pyflame/elf.h"
#include "pyflame/procmaps.h"
#include "pyflame/pyprobe.h"
#include "pyflame/remote.h"
#include "pyflame/util.h"

#define MAX_PYTHONS 64

struct python {
	char path[PATH_MAX];
	unsigned major, minor, micro;
};

static struct python pythons[MAX_PYTHONS];
static size_t npythons;

/* Ask the interpreter itself for sys.version_info; 0 on success. */
static int query_version(struct python *py)
{
	char cmd[PATH_MAX + 128];
	FILE *f;
	int n;

	snprintf(cmd, sizeof(cmd),
		 "'%s' -c 'import sys; print(\"%%d %%d %%d\" %% tuple(sys.version_info[:3]))' "
		 "2>/dev/null", py->path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%u %u %u", &py->major, &py->minor, &py->micro);
	return pclose(f) == 0 && n == 3 ? 0 : -1;
}

static void add_python(const char *path)
{
	char real[PATH_MAX];
	struct stat st;
	size_t i;

	if (npythons == MAX_PYTHONS || !realpath(path, real) || stat(real, &st) ||
	    !S_ISREG(st.st_mode) || access(real, X_OK) || strstr(real, "-config"))
		return;
	for (i = 0; i < npythons; i++) {
		char other[PATH_MAX];

		if (realpath(pythons[i].path, other) && !strcmp(other, real))
			return;
	}
	snprintf(pythons[npythons].path, sizeof(pythons[0].path), "%s", path);
	if (!query_version(&pythons[npythons]))
		npythons++;
}

static void pyenv_root(char *buf, size_t size)
{
	FILE *f = popen("pyenv root 2>/dev/null", "r");
	const char *home = getenv("HOME");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = '\0';
		pclose(f);
	}
	if (!buf[0])
		snprintf(buf, size, "%s/.pyenv", home ? home : "/root");
}

static int discover(void **state)
{
	char root[PATH_MAX], pat[PATH_MAX + 64];
	const char *env = getenv("PYFLAME_TEST_PYTHONS");
	glob_t g;
	size_t i;
	(void)state;

	pyenv_root(root, sizeof(root));
	snprintf(pat, sizeof(pat), "%s/versions/*/bin/python", root);
	if (!glob(pat, 0, NULL, &g)) {
		for (i = 0; i < g.gl_pathc; i++)
			add_python(g.gl_pathv[i]);
		globfree(&g);
	}
	if (!glob("/usr/bin/python3*", 0, NULL, &g)) {
		for (i = 0; i < g.gl_pathc; i++)
			add_python(g.gl_pathv[i]);
		globfree(&g);
	}
	if (env) {
		char *copy = strdup(env), *save = NULL, *p;

		for (p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
			add_python(p);
		free(copy);
	}
	return 0;
}

static void nap(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Run argv (argv[0] a path) with stdio on /dev/null. */
static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static pid_t spawn_sleeper(const char *python)
{
	char *argv[] = { (char *)python, (char *)"-c", (char *)"import time; time.sleep(30)",
			 NULL };

	return spawn(argv);
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Locate until the child has exec'd and mapped its interpreter (bounded retries). */
static int locate_when_ready(pid_t pid, struct pyruntime_loc *loc)
{
	int err = -ENOENT, i;

	for (i = 0; i < 1000 && err == -ENOENT; i++) {
		err = pyprobe__locate(pid, loc);
		if (err == -ENOENT)
			nap();
	}
	return err;
}

/*
 * Is addr in a mapping of binary?  .bss past the last file page is an anonymous mapping
 * right after the binary's data mapping: that counts too.
 */
static int in_binary(const struct procmaps *m, const char *binary, uint64_t addr)
{
	const struct procmaps_entry *e = procmaps__find_addr(m, addr);
	size_t i;

	if (!e)
		return 0;
	if (!strcmp(e->path, binary))
		return 1;
	for (i = 0; !e->path[0] && i < m->n; i++)
		if (m->v[i].end == e->start && !strcmp(m->v[i].path, binary))
			return 1;
	return 0;
}

/* The checks every located interpreter must pass. */
static void check_located(pid_t pid, const struct python *py, const struct pyruntime_loc *loc)
{
	struct procmaps *m = procmaps__read(pid);
	char vs[32], want[32];
	struct remote r;

	assert_non_null(m);
	assert_int_equal(PY_VER_MAJOR(loc->version), py->major);
	assert_int_equal(PY_VER_MINOR(loc->version), py->minor);
	pyprobe__version_str(loc, vs, sizeof(vs));
	if (loc->hexversion) {
		assert_int_equal(loc->hexversion >> 8 & 0xff, py->micro);
		snprintf(want, sizeof(want), "%u.%u.%u", py->major, py->minor, py->micro);
		assert_string_equal(vs, want);
	}
	if (loc->version >= PY_VER(3, 7)) {
		assert_true(in_binary(m, loc->binary, loc->runtime_addr));
		assert_int_equal(loc->interp_head_addr, 0);
	} else {
		assert_int_equal(loc->runtime_addr, 0);
		assert_true(loc->interp_head_addr || loc->tstate_current_addr);
		if (loc->interp_head_addr)
			assert_true(in_binary(m, loc->binary, loc->interp_head_addr));
		if (loc->tstate_current_addr)
			assert_true(in_binary(m, loc->binary, loc->tstate_current_addr));
	}
	assert_true(in_binary(m, loc->binary, loc->code_type_addr));
	assert_true(in_binary(m, loc->binary, loc->str_type_addr));
	assert_true(in_binary(m, loc->binary, loc->bytes_type_addr));
	assert_true(loc->load_bias == procmaps__find_base(m, loc->binary)->start ||
		    loc->load_bias == 0);

	/* 3.13+: the runtime starts with _Py_DebugOffsets (target memory, when readable) */
	if (loc->version >= PY_VER(3, 13) && !remote__open(&r, pid, REMOTE_AUTO, loc->runtime_addr)) {
		char cookie[8];
		uint64_t hex;

		assert_int_equal(remote__read(&r, loc->runtime_addr, cookie, 8), 0);
		assert_memory_equal(cookie, "xdebugpy", 8);
		assert_int_equal(remote__read_u64(&r, loc->runtime_addr + 8, &hex), 0);
		assert_int_equal(hex, loc->hexversion);
		remote__close(&r);
	}
	procmaps__free(m);
}

static void pyprobe_locate__every_local_interpreter__version_and_runtime(void **state)
{
	size_t i;
	(void)state;

	if (!npythons)
		skip();
	for (i = 0; i < npythons; i++) {
		struct pyruntime_loc loc;
		pid_t pid = spawn_sleeper(pythons[i].path);
		int err = locate_when_ready(pid, &loc);

		print_message("%s: %u.%u.%u -> %d %s\n", pythons[i].path, pythons[i].major,
			      pythons[i].minor, pythons[i].micro, err, loc.binary);
		assert_int_equal(err, 0);
		check_located(pid, &pythons[i], &loc);
		stop(pid);
	}
}

static int run_quiet(const char *cmd)
{
	char buf[PATH_MAX * 2 + 64];

	snprintf(buf, sizeof(buf), "%s >/dev/null 2>&1", cmd);
	return system(buf);
}

static int check_venv(const struct python *py, const char *dir, const char *flags)
{
	char cmd[PATH_MAX * 2], venv_py[PATH_MAX], script[PATH_MAX];
	struct pyruntime_loc loc;
	FILE *f;
	pid_t pid;
	char *argv[2] = { script, NULL };

	snprintf(cmd, sizeof(cmd), "'%s' -m venv --without-pip %s '%s/venv%s'", py->path, flags,
		 dir, flags);
	if (run_quiet(cmd))
		return 0;	/* no venv module (Debian without python3-venv) */
	snprintf(venv_py, sizeof(venv_py), "%s/venv%s/bin/python", dir, flags);

	pid = spawn_sleeper(venv_py);
	assert_int_equal(locate_when_ready(pid, &loc), 0);
	check_located(pid, py, &loc);
	stop(pid);

	/* a #! script whose interpreter is the venv python */
	snprintf(script, sizeof(script), "%s/script%s.py", dir, flags);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!%s\nimport time\ntime.sleep(30)\n", venv_py);
	fclose(f);
	chmod(script, 0755);
	pid = spawn(argv);
	assert_int_equal(locate_when_ready(pid, &loc), 0);
	check_located(pid, py, &loc);
	stop(pid);
	print_message("venv%s of %s: ok (%s)\n", flags, py->path, loc.binary);
	return 1;
}

/* Every python 3 found, through a venv (symlinked and copied) and a #! script. */
static void pyprobe_locate__venv_and_shebang__found_through_exe(void **state)
{
	char dir[] = "/tmp/pyflame-venv-XXXXXX", cmd[64];
	size_t i, n = 0;
	(void)state;

	assert_non_null(mkdtemp(dir));
	for (i = 0; i < npythons; i++) {
		char sub[PATH_MAX];

		if (pythons[i].major != 3 || pythons[i].minor < 6)
			continue;
		snprintf(sub, sizeof(sub), "%s/%zu", dir, i);
		assert_int_equal(mkdir(sub, 0700), 0);
		n += check_venv(&pythons[i], sub, "");
		/* the exe is a copy named just "python" */
		n += check_venv(&pythons[i], sub, "--copies");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	if (!n)
		skip();
}

static void pyprobe_locate__not_python__enoent(void **state)
{
	struct pyruntime_loc loc;
	pid_t pid = fork();
	(void)state;

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	assert_int_equal(pyprobe__locate(pid, &loc), -ENOENT);
	assert_int_equal(loc.runtime_addr, 0);
	stop(pid);
}

static void pyprobe_locate__dead_pid__esrch(void **state)
{
	struct pyruntime_loc loc;
	pid_t pid = fork();
	(void)state;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	assert_int_equal(pyprobe__locate(pid, &loc), -ESRCH);
}

/* Copy src to dst; 0 on success. */
static int copy_file(const char *src, const char *dst)
{
	struct strbuf sb = STRBUF_INIT;
	int fd, ret = -1;

	if (pf_read_file(src, &sb, 512u << 20))
		goto out;
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	if (fd >= 0) {
		ret = write(fd, sb.buf, sb.len) == (ssize_t)sb.len ? 0 : -1;
		close(fd);
	}
out:
	strbuf_release(&sb);
	return ret;
}

/* Each libpython renamed to plain "python" keeps its version and runtime. */
static void pyprobe_inspect_file__renamed_libpython__same_version(void **state)
{
	char root[PATH_MAX], pat[PATH_MAX + 64], dir[] = "/tmp/pyflame-probe-XXXXXX";
	char copy[PATH_MAX];
	glob_t g;
	size_t i, n = 0;
	(void)state;

	pyenv_root(root, sizeof(root));
	snprintf(pat, sizeof(pat), "%s/versions/*/lib/libpython[23].*.so.1.0", root);
	if (glob(pat, 0, NULL, &g))
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/python", dir);
	for (i = 0; i < g.gl_pathc; i++) {
		struct pyruntime_loc a, b;

		assert_int_equal(pyprobe__inspect_file(g.gl_pathv[i], NULL, &a), 0);
		assert_int_equal(copy_file(g.gl_pathv[i], copy), 0);
		/* the name says nothing: Py_Version (3.11+) or the verified scan (<= 3.10) */
		assert_int_equal(pyprobe__inspect_file(copy, NULL, &b), 0);
		assert_int_equal(b.version, a.version);
		assert_int_equal(b.hexversion, a.hexversion);
		assert_int_equal(b.runtime_addr, a.runtime_addr);
		assert_int_equal(b.interp_head_addr, a.interp_head_addr);
		n++;
	}
	globfree(&g);
	unlink(copy);
	rmdir(dir);
	assert_true(n > 0);
}

/* File offset of vaddr, from the trusted original's program headers. */
static long vaddr_to_offset(const char *img, uint64_t vaddr)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	int i;

	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr &&
		    vaddr < ph[i].p_vaddr + ph[i].p_filesz)
			return (long)(ph[i].p_offset + vaddr - ph[i].p_vaddr);
	return -1;
}

/* A runtime whose Py_Version says 3.32: found, but refused with its version set. */
static void pyprobe_inspect_file__unsupported_version__enotsup(void **state)
{
	static const char *cands[] = { "/usr/bin/python3" };
	char dir[] = "/tmp/pyflame-probe-XXXXXX", copy[PATH_MAX];
	struct pyruntime_loc loc;
	struct strbuf sb = STRBUF_INIT;
	const char *src = NULL;
	struct elf *e;
	uint64_t v;
	uint32_t hex = 0x03200af0;	/* 3.32.10 final */
	long off = -1;
	size_t i;
	int fd;
	(void)state;

	for (i = 0; i < npythons + ARRAY_SIZE(cands) && off < 0; i++) {
		const char *p = i < ARRAY_SIZE(cands) ? cands[i] : pythons[i - ARRAY_SIZE(cands)].path;
		char real[PATH_MAX];

		if (!realpath(p, real) || !(e = elf__open(real)))
			continue;
		if (!elf__symbol(e, "Py_Version", &v, NULL) && !pf_read_file(real, &sb, 512u << 20)) {
			off = vaddr_to_offset(sb.buf, v);
			src = p;
		}
		elf__free(e);
	}
	if (off < 0 || (size_t)off + 4 > sb.len) {
		strbuf_release(&sb);
		skip();
	}
	memcpy(sb.buf + off, &hex, 4);
	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/python3.12", dir);	/* the name must not win */
	fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, sb.buf, sb.len), (ssize_t)sb.len);
	close(fd);
	print_message("patched Py_Version of %s\n", src);
	assert_int_equal(pyprobe__inspect_file(copy, NULL, &loc), -ENOTSUP);
	assert_int_equal(loc.version, PY_VER(3, 32));
	assert_int_equal(loc.hexversion, hex);
	assert_string_equal(loc.binary, copy);
	unlink(copy);
	rmdir(dir);
	strbuf_release(&sb);
}

/* Copy src to dst with its Py_Version replaced by hex; -1 if src has none. */
static int copy_with_py_version(const char *src, uint32_t hex, const char *dst)
{
	struct strbuf sb = STRBUF_INIT;
	struct elf *e = elf__open(src);
	uint64_t v;
	long off = -1;
	int fd, ret = -1;

	if (!e)
		return -1;
	if (!elf__symbol(e, "Py_Version", &v, NULL) && !pf_read_file(src, &sb, 512u << 20))
		off = vaddr_to_offset(sb.buf, v);
	elf__free(e);
	if (off >= 0 && (size_t)off + 4 <= sb.len) {
		memcpy(sb.buf + off, &hex, 4);
		fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0700);
		if (fd >= 0) {
			ret = write(fd, sb.buf, sb.len) == (ssize_t)sb.len ? 0 : -1;
			close(fd);
		}
	}
	strbuf_release(&sb);
	return ret;
}

/*
 * Debug builds: Debian's python3.11-dbg is read (its layout is the release one); the same
 * binary claiming to be 3.12 is refused as a debug build, not read as garbage.
 */
static void pyprobe_inspect_file__debug_build__311_read_older_refused(void **state)
{
	char dir[] = "/tmp/pyflame-probe-XXXXXX", copy[PATH_MAX], real[PATH_MAX];
	struct pyruntime_loc loc;
	(void)state;

	if (!realpath("/usr/bin/python3.11d", real) || access(real, R_OK))
		skip();	/* apt-get install python3-dbg */
	assert_int_equal(pyprobe__inspect_file(real, NULL, &loc), 0);
	assert_int_equal(loc.version, PY_VER(3, 11));
	assert_int_equal(loc.debug_build, 1);
	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/python3.12d", dir);
	assert_int_equal(copy_with_py_version(real, 0x030c01f0, copy), 0);
	assert_int_equal(pyprobe__inspect_file(copy, NULL, &loc), -ENOTSUP);
	assert_int_equal(loc.version, PY_VER(3, 12));
	assert_int_equal(loc.debug_build, 1);
	unlink(copy);
	rmdir(dir);
	if (realpath("/usr/bin/python3", real) && !pyprobe__inspect_file(real, NULL, &loc))
		assert_int_equal(loc.debug_build, 0);
}

/* 3.13+ with Py_Version unreadable: the _Py_DebugOffsets header in .PyRuntime still tells. */
static void pyprobe_inspect_file__py_version_zeroed__debug_offsets_tell(void **state)
{
	char root[PATH_MAX], pat[PATH_MAX + 64], dir[] = "/tmp/pyflame-probe-XXXXXX";
	char copy[PATH_MAX];
	struct pyruntime_loc orig, loc;
	struct strbuf sb = STRBUF_INIT;
	struct elf *e;
	uint64_t v;
	uint32_t zero = 0;
	long off;
	glob_t g;
	int fd;
	(void)state;

	pyenv_root(root, sizeof(root));
	snprintf(pat, sizeof(pat), "%s/versions/3.1[3-9]*/lib/libpython3.1[3-9]*.so.1.0", root);
	if (glob(pat, 0, NULL, &g))
		skip();
	e = elf__open(g.gl_pathv[0]);
	assert_non_null(e);
	assert_int_equal(elf__symbol(e, "Py_Version", &v, NULL), 0);
	elf__free(e);
	assert_int_equal(pyprobe__inspect_file(g.gl_pathv[0], NULL, &orig), 0);
	assert_int_equal(pf_read_file(g.gl_pathv[0], &sb, 512u << 20), 0);
	off = vaddr_to_offset(sb.buf, v);
	assert_true(off > 0 && (size_t)off + 4 <= sb.len);
	memcpy(sb.buf + off, &zero, 4);
	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/libpython", dir);
	fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, sb.buf, sb.len), (ssize_t)sb.len);
	close(fd);
	assert_int_equal(pyprobe__inspect_file(copy, NULL, &loc), 0);
	assert_int_equal(loc.version, orig.version);
	assert_int_equal(loc.hexversion, orig.hexversion);
	unlink(copy);
	rmdir(dir);
	strbuf_release(&sb);
	globfree(&g);
}

static void pyprobe_inspect_file__not_python__enoent(void **state)
{
	struct pyruntime_loc loc;
	(void)state;

	assert_int_equal(pyprobe__inspect_file("/proc/self/exe", NULL, &loc), -ENOENT);
	assert_int_equal(pyprobe__inspect_file("/nonexistent", NULL, &loc), -ENOENT);
}

/* Seconds since path's change time; -1 if it cannot be told. */
static double ctime_age(const char *path)
{
	struct timespec now;
	struct stat st;

	if (stat(path, &st) < 0 || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -1;
	return (double)(now.tv_sec - st.st_ctim.tv_sec) +
	       (double)(now.tv_nsec - st.st_ctim.tv_nsec) / 1e9;
}

/* addr as the file's own vaddr (0 stays 0: not defined) */
static uint64_t unbiased(uint64_t addr, const struct pyruntime_loc *loc)
{
	return addr ? addr - loc->load_bias : 0;
}

/*
 * A second process of the same interpreter is answered from memory, with its own load
 * bias, and the answer is the one a fresh parse gives.
 */
static void pyprobe_locate__second_process__memo_same_answer(void **state)
{
	struct pyruntime_loc a, b, fresh;
	struct pyprobe_memo_stats before, after;
	const struct python *py = NULL;
	pid_t p1, p2;
	(void)state;

	for (size_t i = 0; i < npythons && !py; i++)
		if (ctime_age(pythons[i].path) > 3)
			py = &pythons[i];
	if (!py)
		skip();
	pyprobe__memo_clear();
	p1 = spawn_sleeper(py->path);
	p2 = spawn_sleeper(py->path);
	assert_int_equal(locate_when_ready(p1, &a), 0);
	if (ctime_age(a.binary) <= 3) {	/* a libpython written just now */
		stop(p1);
		stop(p2);
		skip();
	}
	pyprobe__memo_stats(&before);
	assert_int_equal(locate_when_ready(p2, &b), 0);
	pyprobe__memo_stats(&after);
	assert_true(after.hits > before.hits);
	assert_string_equal(b.binary, a.binary);
	assert_int_equal(unbiased(b.runtime_addr, &b), unbiased(a.runtime_addr, &a));
	assert_int_equal(unbiased(b.interp_head_addr, &b), unbiased(a.interp_head_addr, &a));
	assert_int_equal(unbiased(b.code_type_addr, &b), unbiased(a.code_type_addr, &a));

	pyprobe__memo_clear();
	assert_int_equal(pyprobe__locate(p2, &fresh), 0);
	pyprobe__memo_stats(&after);
	assert_int_equal(after.hits, 0);
	assert_true(after.reads >= 1);
	assert_memory_equal(&fresh, &b, sizeof(b));
	check_located(p2, py, &b);
	stop(p1);
	stop(p2);
}

/* Write src's bytes over dst in place (same inode); 0 on success. */
static int overwrite_file(const char *src, const char *dst)
{
	struct stat before, after;

	if (stat(dst, &before) < 0 || copy_file(src, dst) || stat(dst, &after) < 0)
		return -1;
	return before.st_ino == after.st_ino ? 0 : -1;
}

/*
 * A file is remembered only once its change time has settled, and a file changed in place
 * (same inode, new bytes) is parsed again.
 */
static void pyprobe_inspect_file__changed_in_place__parsed_again(void **state)
{
	char dir[] = "/tmp/pyflame-memo-XXXXXX", file[64], real[PATH_MAX];
	struct pyprobe_memo_stats st;
	struct pyruntime_loc loc, want;
	const struct timespec settle = { .tv_sec = 2, .tv_nsec = 200 * 1000 * 1000 };
	const char *python = NULL;
	(void)state;

	for (size_t i = 0; i < npythons && !python; i++)
		if (realpath(pythons[i].path, real) &&
		    !pyprobe__inspect_file(real, NULL, &want))
			python = real;	/* a python executable that holds its runtime */
	if (!python)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/prog", dir);
	assert_int_equal(copy_file("/proc/self/exe", file), 0);

	/* just written: parsed every time, never remembered */
	pyprobe__memo_clear();
	assert_int_equal(pyprobe__inspect_file(file, NULL, &loc), -ENOENT);
	assert_int_equal(pyprobe__inspect_file(file, NULL, &loc), -ENOENT);
	pyprobe__memo_stats(&st);
	assert_int_equal(st.reads, 2);
	assert_int_equal(st.hits, 0);

	/* settled: remembered */
	nanosleep(&settle, NULL);
	assert_int_equal(pyprobe__inspect_file(file, NULL, &loc), -ENOENT);
	assert_int_equal(pyprobe__inspect_file(file, NULL, &loc), -ENOENT);
	pyprobe__memo_stats(&st);
	assert_int_equal(st.reads, 3);
	assert_int_equal(st.hits, 1);

	/* the same inode with a python in it: read again, and found */
	assert_int_equal(overwrite_file(python, file), 0);
	assert_int_equal(pyprobe__inspect_file(file, python, &loc), 0);
	pyprobe__memo_stats(&st);
	assert_int_equal(st.reads, 4);
	assert_int_equal(loc.version, want.version);
	assert_int_equal(loc.runtime_addr, want.runtime_addr);

	unlink(file);
	rmdir(dir);
	pyprobe__memo_clear();
}

static void pyprobe_version_str__hex_and_minor_only(void **state)
{
	struct pyruntime_loc loc;
	char buf[32];
	(void)state;

	memset(&loc, 0, sizeof(loc));
	loc.version = PY_VER(3, 12);
	loc.hexversion = 0x030c01f0;
	pyprobe__version_str(&loc, buf, sizeof(buf));
	assert_string_equal(buf, "3.12.1");
	loc.version = PY_VER(3, 13);
	loc.hexversion = 0x030d00a2;
	pyprobe__version_str(&loc, buf, sizeof(buf));
	assert_string_equal(buf, "3.13.0a2");
	loc.hexversion = 0x030d00c1;
	pyprobe__version_str(&loc, buf, sizeof(buf));
	assert_string_equal(buf, "3.13.0rc1");
	loc.version = PY_VER(2, 7);
	loc.hexversion = 0;
	pyprobe__version_str(&loc, buf, sizeof(buf));
	assert_string_equal(buf, "2.7");
	pyprobe__version_str(&loc, buf, 3);
	assert_string_equal(buf, "2.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pyprobe_locate__every_local_interpreter__version_and_runtime),
		cmocka_unit_test(pyprobe_locate__venv_and_shebang__found_through_exe),
		cmocka_unit_test(pyprobe_locate__not_python__enoent),
		cmocka_unit_test(pyprobe_locate__dead_pid__esrch),
		cmocka_unit_test(pyprobe_inspect_file__renamed_libpython__same_version),
		cmocka_unit_test(pyprobe_inspect_file__unsupported_version__enotsup),
		cmocka_unit_test(pyprobe_inspect_file__py_version_zeroed__debug_offsets_tell),
		cmocka_unit_test(pyprobe_inspect_file__not_python__enoent),
		cmocka_unit_test(pyprobe_inspect_file__debug_build__311_read_older_refused),
		cmocka_unit_test(pyprobe_locate__second_process__memo_same_answer),
		cmocka_unit_test(pyprobe_inspect_file__changed_in_place__parsed_again),
		cmocka_unit_test(pyprobe_version_str__hex_and_minor_only),
	};

	return cmocka_run_group_tests(tests, discover, NULL);
}
