/*
 * test_pyoffsets_dwarf.c - every number of pyflame's CPython layouts against the DWARF
 * of the interpreters on this machine.
 *
 * For each libpython (or static python) found -- $(pyenv root)/versions/\*, /usr/bin/pythonX.Y
 * and pythonX.Yd, the builds of scripts/fetch-pythons.sh, and the colon-separated
 * $PYFLAME_DWARF_BINARIES -- that pyflame supports
 * and that has debug info (.debug_info, or a .gnu_debuglink gdb can follow), gdb runs
 * tests/dwarf_offsets.py on it, which prints what each field of struct py_offsets is in that
 * build's DWARF.  The test asserts that every field equals what pyflame would use: the
 * built-in table (2.7, 3.6-3.12) or, for 3.13+, py_offsets__from_debug() on the
 * _Py_DebugOffsets bytes in the file's .PyRuntime.  Skips, saying why, without gdb, without
 * the script, or without debug info.
 *
 * Debian's release builds of 3.14 and 3.15 carry no debug info (it is in -dbgsym packages,
 * which the archive does not serve), but their debug builds do: a fetched release build is
 * compared field by field with what pyflame decodes from the debug build beside it, whose
 * own test compares that with the DWARF.  (Their _Py_DebugOffsets differ only in the sizes
 * of the runtime and interpreter structs, which pyflame does not keep.)
 *
 *   test_pyoffsets_dwarf --dump 3.12         print the built-in table as "field value"
 *   test_pyoffsets_dwarf --dump LIBPYTHON    the same for what pyflame decodes from a file
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "pyflame/elf.h"
#include "pyflame/pyoffsets.h"
#include "pyflame/pyprobe.h"
#include "pyflame/util.h"

/* --- the fields of struct py_offsets, by the names dwarf_offsets.py uses -------------- */

struct field {
	const char *name;
	size_t off;
	size_t size;
};

#define F(m) { #m, offsetof(struct py_offsets, m), sizeof(((struct py_offsets *)0)->m) }

static const struct field fields[] = {
	F(version), F(frames), F(strings), F(linetable), F(free_threaded),
	F(runtime.interpreters_head), F(runtime.finalizing), F(runtime.gil_locked),
	F(runtime.gil_last_holder), F(runtime.tstate_current), F(runtime.gc_collecting),
	F(interp.next), F(interp.threads_head), F(interp.id), F(interp.ceval_gil),
	F(interp.code_object_generation), F(interp.gc_collecting), F(interp.modules),
	F(gil.last_holder), F(gil.locked),
	F(tstate.size), F(tstate.next), F(tstate.interp), F(tstate.frame), F(tstate.cframe),
	F(tstate.cframe_current_frame), F(tstate.current_frame), F(tstate.thread_id),
	F(tstate.native_thread_id), F(tstate.datastack_chunk), F(tstate.status),
	F(tstate.holds_gil), F(tstate.holds_gil_bit),
	F(frame.back), F(frame.code), F(frame.lasti), F(frame.lasti_unit),
	F(iframe.size), F(iframe.executable), F(iframe.previous), F(iframe.instr_ptr),
	F(iframe.owner), F(iframe.is_entry), F(iframe.tlbc_index), F(iframe.tag_mask), F(iframe.shim_owner_min),
	F(iframe.owner_generator),
	F(code.size), F(code.firstlineno), F(code.filename), F(code.name), F(code.qualname),
	F(code.linetable), F(code.firsttraceable), F(code.code_adaptive), F(code.tlbc),
	F(gen.iframe),
	F(coro.frame_state), F(coro.stackpointer), F(coro.stacktop), F(coro.localsplus),
	F(coro.yield_from), F(coro.awaited_slot),
	F(coro.tp_name), F(coro.set_used), F(coro.set_mask), F(coro.set_table),
	F(exc.ts_value), F(exc.ts_info), F(exc.item_value), F(exc.item_previous),
	F(exc.tp_flags),
	F(obj.ob_type), F(obj.str_length), F(obj.str_state), F(obj.str_ascii_data),
	F(obj.str_compact_data), F(obj.str_legacy_data), F(obj.str_kind_shift),
	F(obj.str_compact_bit), F(obj.str_ascii_bit), F(obj.bytes_size), F(obj.bytes_data),
};

#define NFIELDS ARRAY_SIZE(fields)

static int64_t field_value(const struct py_offsets *o, const struct field *f)
{
	const char *p = (const char *)o + f->off;
	int64_t v64;
	int32_t v32;

	if (f->size == sizeof(v64)) {
		memcpy(&v64, p, sizeof(v64));
		return v64;
	}
	assert_int_equal(f->size, sizeof(v32));	/* int and enum fields */
	memcpy(&v32, p, sizeof(v32));
	return v32;
}

static int field_index(const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].name, name))
			return (int)i;
	return -1;
}

/* --- what pyflame uses for one ELF file --------------------------------------------- */

/* pyflame's offsets for the runtime in path: 0, or -errno with *why filled. */
static int pyflame_offsets(const char *path, struct py_offsets *out, unsigned *version,
			   char *why, size_t why_size)
{
	struct pyruntime_loc loc;
	const struct py_offsets *t;
	uint8_t dbg[PY_DEBUG_OFFSETS_MAX];
	struct elf *e;
	int err;

	err = pyprobe__inspect_file(path, NULL, &loc);
	*version = loc.version;
	if (err == -ENOTSUP) {
		snprintf(why, why_size, "pyflame does not support this build (%u.%u%s)",
			 PY_VER_MAJOR(loc.version), PY_VER_MINOR(loc.version),
			 loc.debug_build ? ", Py_DEBUG" : "");
		return err;
	}
	if (err) {
		snprintf(why, why_size, "pyprobe__inspect_file: %s", strerror(-err));
		return err;
	}
	if (loc.version < PY_VER(3, 13)) {
		t = py_offsets__table(loc.version);
		if (!t) {
			snprintf(why, why_size, "no built-in table for %u.%u",
				 PY_VER_MAJOR(loc.version), PY_VER_MINOR(loc.version));
			return -ENOTSUP;
		}
		*out = *t;
		return 0;
	}
	/* 3.13+: _Py_DebugOffsets, from the file bytes at _PyRuntime as a live probe would. */
	e = elf__open(path);
	if (!e) {
		err = -errno;
		snprintf(why, why_size, "elf__open: %s", strerror(errno));
		return err;
	}
	err = -ENOENT;
	for (size_t len = sizeof(dbg); len >= 584 && err; len -= 8)
		if (!elf__read_vaddr(e, loc.runtime_addr, dbg, len))
			err = py_offsets__from_debug(dbg, len, out);
	elf__free(e);
	if (err)
		snprintf(why, why_size, "py_offsets__from_debug on the file's .PyRuntime: %s",
			 strerror(-err));
	return err;
}

/* --- dump mode ---------------------------------------------------------------------- */

static void dump(const struct py_offsets *o)
{
	printf("version %u.%u\n", PY_VER_MAJOR(o->version), PY_VER_MINOR(o->version));
	for (size_t i = 1; i < NFIELDS; i++)
		printf("%s %lld\n", fields[i].name, (long long)field_value(o, &fields[i]));
}

static int dump_main(const char *what)
{
	struct py_offsets o;
	unsigned maj, min, version;
	char why[256];
	int n = 0;

	if (sscanf(what, "%u.%u%n", &maj, &min, &n) == 2 && what[n] == '\0') {
		const struct py_offsets *t = py_offsets__table(PY_VER(maj, min));

		if (!t) {
			fprintf(stderr, "no built-in table for %u.%u (3.13+ comes from the target: "
				"give a libpython)\n", maj, min);
			return 1;
		}
		dump(t);
		return 0;
	}
	if (pyflame_offsets(what, &o, &version, why, sizeof(why))) {
		fprintf(stderr, "%s: %s\n", what, why);
		return 1;
	}
	dump(&o);
	return 0;
}

/* --- finding interpreters and gdb ------------------------------------------------------ */

#define MAX_TARGETS 64

struct target {
	char path[PATH_MAX];		/* the ELF file that holds the runtime */
	char label[96];
	char test_name[192];
	unsigned version;
	struct py_offsets off;
	char twin[PATH_MAX + 64];	/* a debug build of the same release, with DWARF */
	char why[PATH_MAX + 256];	/* skip or failure reason, when set */
	int fail;			/* why says what went wrong, not why to skip */
	FILE *gdb;			/* started by the group setup */
};

static struct target targets[MAX_TARGETS];
static size_t ntargets;
static char script[PATH_MAX];

static struct target *add_target(const char *path, const char *label)
{
	char real[PATH_MAX];
	struct stat st;
	struct target *t;

	if (ntargets == MAX_TARGETS || !realpath(path, real) || stat(real, &st) ||
	    !S_ISREG(st.st_mode))
		return NULL;
	for (size_t i = 0; i < ntargets; i++)
		if (!strcmp(targets[i].path, real))
			return NULL;
	t = &targets[ntargets++];
	snprintf(t->path, sizeof(t->path), "%s", real);
	snprintf(t->label, sizeof(t->label), "%s", label);
	return t;
}

/*
 * scripts/fetch-pythons.sh's folder: for each 3.X there, the debug build and its shared
 * libpython (DWARF), and the release interpreters (PIE, non-PIE, libpython), each paired
 * with the debug build of the same kind.
 */
static void discover_fetched(void)
{
	const char *dir = getenv("PYFLAME_PYTHONS_DIR"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char base[PATH_MAX], pat[PATH_MAX + 64], path[PATH_MAX + 64], label[96];
	glob_t g;

	if (dir)
		snprintf(base, sizeof(base), "%s/root/usr", dir);
	else if (xdg)
		snprintf(base, sizeof(base), "%s/pyflame/pythons/root/usr", xdg);
	else
		snprintf(base, sizeof(base), "%s/.cache/pyflame/pythons/root/usr",
			 home ? home : "/root");
	snprintf(pat, sizeof(pat), "%s/bin/python3.*d", base);
	if (glob(pat, 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *b = strrchr(g.gl_pathv[i], '/') + 1;
		static const char *const kinds[] = { "", "-nopie" };
		char dlib[PATH_MAX + 64];
		unsigned maj, min;
		struct target *t;
		int n = 0;

		if (sscanf(b, "python%1u.%u%n", &maj, &min, &n) != 2 || strcmp(b + n, "d"))
			continue;
		snprintf(label, sizeof(label), "fetched-python%u.%ud", maj, min);
		add_target(g.gl_pathv[i], label);
		snprintf(dlib, sizeof(dlib), "%s/lib/x86_64-linux-gnu/libpython%u.%ud.so.1.0", base,
			 maj, min);
		snprintf(label, sizeof(label), "fetched-libpython%u.%ud", maj, min);
		add_target(dlib, label);
		for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
			snprintf(path, sizeof(path), "%s/bin/python%u.%u%s", base, maj, min, kinds[k]);
			snprintf(label, sizeof(label), "fetched-python%u.%u%s", maj, min, kinds[k]);
			if ((t = add_target(path, label)))
				snprintf(t->twin, sizeof(t->twin), "%s", g.gl_pathv[i]);
		}
		snprintf(path, sizeof(path), "%s/lib/x86_64-linux-gnu/libpython%u.%u.so.1.0", base,
			 maj, min);
		snprintf(label, sizeof(label), "fetched-libpython%u.%u", maj, min);
		if ((t = add_target(path, label)))
			snprintf(t->twin, sizeof(t->twin), "%s", dlib);
	}
	globfree(&g);
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

/* pythonX.Y or pythonX.Yd: a release or Py_DEBUG interpreter, not -config or -dbg links. */
static int is_python_name(const char *base)
{
	unsigned maj, min;
	int n = 0;

	if (sscanf(base, "python%1u.%u%n", &maj, &min, &n) != 2)
		return 0;
	return base[n] == '\0' || (base[n] == 'd' && base[n + 1] == '\0');
}

static void discover(void)
{
	char root[PATH_MAX], pat[PATH_MAX + 64], label[96];
	const char *env = getenv("PYFLAME_DWARF_BINARIES");
	glob_t g, lib;

	pyenv_root(root, sizeof(root));
	snprintf(pat, sizeof(pat), "%s/versions/*", root);
	if (!glob(pat, GLOB_ONLYDIR, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *dir = g.gl_pathv[i];

			snprintf(label, sizeof(label), "pyenv-%s", strrchr(dir, '/') + 1);
			/* the shared libpython holds the runtime; else the static interpreter */
			snprintf(pat, sizeof(pat), "%s/lib/libpython[23].*.so.1.0", dir);
			if (!glob(pat, 0, NULL, &lib)) {
				add_target(lib.gl_pathv[0], label);
				globfree(&lib);
				continue;
			}
			snprintf(pat, sizeof(pat), "%s/bin/python[23].[0-9]*", dir);
			if (!glob(pat, 0, NULL, &lib)) {
				for (size_t j = 0; j < lib.gl_pathc; j++)
					if (is_python_name(strrchr(lib.gl_pathv[j], '/') + 1)) {
						add_target(lib.gl_pathv[j], label);
						break;
					}
				globfree(&lib);
			}
		}
		globfree(&g);
	}
	if (!glob("/usr/bin/python[23].[0-9]*", 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *base = strrchr(g.gl_pathv[i], '/') + 1;

			if (!is_python_name(base))
				continue;
			snprintf(label, sizeof(label), "usr-bin-%s", base);
			add_target(g.gl_pathv[i], label);
		}
		globfree(&g);
	}
	discover_fetched();
	if (env) {
		char *copy = xstrdup(env), *save = NULL, *p;

		for (p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
			add_target(p, p);
		free(copy);
	}
}

static int have_gdb(void)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *dir, buf[PATH_MAX];
	int found = 0;

	if (!path)
		return 0;
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/gdb", dir);
		found = access(buf, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* tests/dwarf_offsets.py: $PYFLAME_DWARF_SCRIPT, else next to the fixtures. */
static int find_script(void)
{
	const char *env = getenv("PYFLAME_DWARF_SCRIPT");

	if (env)
		snprintf(script, sizeof(script), "%s", env);
	else
		snprintf(script, sizeof(script), "%s/../dwarf_offsets.py", fixtures_dir());
	return access(script, R_OK) == 0;
}

/* s in single quotes for sh. */
static void add_quoted(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

/* gdb, quiet and on its own: what every command line here starts with (after the env). */
#define GDB_CMD "gdb -batch -nx -iex 'set auto-load off' -iex 'set debuginfod enabled off'"

/* Finish the command line cmd (released) with path and run it: its output's pipe. */
static FILE *gdb_open(struct strbuf *cmd, const char *path)
{
	FILE *f;

	strbuf_addch(cmd, ' ');
	add_quoted(cmd, path);
	strbuf_addstr(cmd, " </dev/null 2>&1");
	f = popen(cmd->buf, "r");
	strbuf_release(cmd);
	return f;
}

/* Start gdb on path; its stdout (and stderr) is the returned pipe. */
static FILE *start_gdb(const char *path, unsigned version, int list_fields)
{
	struct strbuf cmd = STRBUF_INIT;

	if (list_fields)
		strbuf_addstr(&cmd, "PYFLAME_LIST_FIELDS=1 ");
	else
		strbuf_addf(&cmd, "PYFLAME_PYVER=%u.%u ", PY_VER_MAJOR(version),
			    PY_VER_MINOR(version));
	strbuf_addstr(&cmd, GDB_CMD " -ex ");
	{
		struct strbuf src = STRBUF_INIT;

		strbuf_addstr(&src, "source ");
		strbuf_addstr(&src, script);
		add_quoted(&cmd, src.buf);
		strbuf_release(&src);
	}
	return gdb_open(&cmd, path);
}

/* Everything gdb printed; the exit status in *status. */
static void finish_gdb(FILE **f, struct strbuf *out, int *status)
{
	char buf[4096];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), *f)) > 0)
		strbuf_add(out, buf, n);
	*status = pclose(*f);
	*f = NULL;
}

/* Can gdb find DWARF for path?  0 yes (or maybe: a debuglink), else why not in why. */
static int has_debug_info(const char *path, char *why, size_t why_size)
{
	struct elf *e = elf__open(path);
	int ok;

	if (!e) {
		snprintf(why, why_size, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	ok = !elf__section(e, ".debug_info", NULL, NULL) ||
	     !elf__section(e, ".gnu_debuglink", NULL, NULL);
	elf__free(e);
	if (!ok)
		snprintf(why, why_size, "%s has no debug info (stripped, no .gnu_debuglink)", path);
	return ok ? 0 : -1;
}

static int setup_targets(void **state)
{
	int gdb = have_gdb(), found = find_script();
	(void)state;

	for (size_t i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		int err;

		err = pyflame_offsets(t->path, &t->off, &t->version, t->why, sizeof(t->why));
		if (err) {
			/* a build pyflame refuses is not for this test; any other error is */
			t->fail = err != -ENOTSUP;
			continue;
		}
		if (!gdb) {
			snprintf(t->why, sizeof(t->why), "gdb is not installed");
			continue;
		}
		if (!found) {
			snprintf(t->why, sizeof(t->why), "no gdb script at %s", script);
			continue;
		}
		if (has_debug_info(t->path, t->why, sizeof(t->why)))
			continue;
		/* every gdb at once: they run in parallel while the tests read them in turn */
		t->gdb = start_gdb(t->path, t->version, 0);
		if (!t->gdb) {
			snprintf(t->why, sizeof(t->why), "cannot run gdb: %s", strerror(errno));
			t->fail = 1;
		}
	}
	return 0;
}

static int teardown_targets(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntargets; i++) {
		if (targets[i].gdb) {
			struct strbuf sink = STRBUF_INIT;
			int status;

			finish_gdb(&targets[i].gdb, &sink, &status);
			strbuf_release(&sink);
		}
	}
	return 0;
}

/* --- the comparison ------------------------------------------------------------------- */

enum seen { SEEN_NOT, SEEN_VALUE, SEEN_SKIP, SEEN_ERROR };

struct row {
	const char *field;
	long long ours;
	char dwarf[96];
	char what[160];
};

/* Compare gdb's output for t with t->off; print what was compared; fail on any difference. */
static void compare(const struct target *t, const char *out)
{
	enum seen seen[NFIELDS] = { 0 };
	struct row rows[NFIELDS * 2 + 8];
	struct strbuf junk = STRBUF_INIT;
	size_t nrows = 0, compared = 0, equal = 0, present = 0, skipped = 0;
	char verline[32];
	const char *p, *nl;
	int have_version = 0;

	snprintf(verline, sizeof(verline), "version %u.%u", PY_VER_MAJOR(t->version),
		 PY_VER_MINOR(t->version));
	for (p = out; *p; p = nl + (*nl == '\n')) {
		char line[1024], name[128], rest[160];
		long long v;
		int idx, n = 0;

		nl = strchrnul(p, '\n');
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (!line[0])
			continue;
		if (!strncmp(line, "nodebug ", 8)) {
			print_message("%s: %s: %s, skipped\n", t->label, t->path, line + 8);
			strbuf_release(&junk);
			skip();
		}
		if (!strncmp(line, "version ", 8)) {
			have_version = !strcmp(line, verline);
			if (!have_version)
				strbuf_addf(&junk, "  gdb used '%s', expected '%s'\n", line, verline);
			continue;
		}
		if (sscanf(line, "# skip %127[^:]: %n", name, &n) == 1 && n) {
			idx = field_index(name);
			if (idx >= 0 && seen[idx] == SEEN_NOT) {
				seen[idx] = SEEN_SKIP;
				skipped++;
				continue;
			}
		}
		rest[0] = '\0';
		if (sscanf(line, "%127s %lld %159[^\n]", name, &v, rest) >= 2 &&
		    (idx = field_index(name)) >= 0 && seen[idx] == SEEN_NOT) {
			long long ours = field_value(&t->off, &fields[idx]);

			seen[idx] = SEEN_VALUE;
			compared++;
			equal += ours == v;
			present += v != PYOFF_NONE;
			if (ours != v && nrows < ARRAY_SIZE(rows)) {
				struct row *r = &rows[nrows++];

				r->field = fields[idx].name;
				r->ours = ours;
				snprintf(r->dwarf, sizeof(r->dwarf), "%lld", v);
				snprintf(r->what, sizeof(r->what), "%s", rest);
			}
			continue;
		}
		if (sscanf(line, "%127s error %159[^\n]", name, rest) == 2 &&
		    (idx = field_index(name)) >= 0 && seen[idx] == SEEN_NOT) {
			struct row *r = &rows[nrows++];

			seen[idx] = SEEN_ERROR;
			r->field = fields[idx].name;
			r->ours = field_value(&t->off, &fields[idx]);
			snprintf(r->dwarf, sizeof(r->dwarf), "error");
			snprintf(r->what, sizeof(r->what), "%s", rest);
			continue;
		}
		strbuf_addf(&junk, "  %s\n", line);	/* gdb chatter, or a line we cannot use */
	}
	for (size_t i = 1; i < NFIELDS; i++) {		/* [0] version: the header line */
		if (seen[i] != SEEN_NOT || nrows == ARRAY_SIZE(rows))
			continue;
		rows[nrows].field = fields[i].name;
		rows[nrows].ours = field_value(&t->off, &fields[i]);
		snprintf(rows[nrows].dwarf, sizeof(rows[0].dwarf), "missing");
		snprintf(rows[nrows].what, sizeof(rows[0].what),
			 "dwarf_offsets.py printed nothing for this field");
		nrows++;
	}
	print_message("%s (%u.%u, %s): %zu of %zu fields equal the DWARF (%zu present, "
		      "%zu absent in this version), %zu not comparable\n", t->label,
		      PY_VER_MAJOR(t->version), PY_VER_MINOR(t->version),
		      t->version >= PY_VER(3, 13) ? "_Py_DebugOffsets" : "built-in table",
		      equal, compared, present, compared - present, skipped);
	if (nrows || !have_version) {
		print_message("%s: %s: pyflame differs from the DWARF:\n", t->label, t->path);
		print_message("  %-30s %10s %10s  %s\n", "field", "pyflame", "DWARF", "C");
		for (size_t i = 0; i < nrows; i++)
			print_message("  %-30s %10lld %10s  %s\n", rows[i].field, rows[i].ours,
				      rows[i].dwarf, rows[i].what);
		if (junk.len)
			print_message("other gdb output:\n%s", junk.buf);
		strbuf_release(&junk);
		fail_msg("%s: %zu field(s) differ from the DWARF", t->label, nrows);
	}
	strbuf_release(&junk);
}

/* t has no DWARF: every field must equal what pyflame decodes from its debug twin. */
static void compare_twin(const struct target *t)
{
	struct py_offsets twin;
	unsigned version;
	char why[PATH_MAX + 256], dwhy[PATH_MAX + 256];
	size_t differ = 0;

	if (has_debug_info(t->twin, dwhy, sizeof(dwhy))) {
		print_message("%s: %s; its twin %s too, skipped\n", t->label, t->why, dwhy);
		skip();
	}
	if (pyflame_offsets(t->twin, &twin, &version, why, sizeof(why)))
		fail_msg("%s: twin %s: %s", t->label, t->twin, why);
	assert_int_equal(version, t->version);
	for (size_t i = 0; i < NFIELDS; i++) {
		int64_t a = field_value(&t->off, &fields[i]), b = field_value(&twin, &fields[i]);

		if (a == b)
			continue;
		print_message("  %-30s %10lld here, %10lld in the debug build\n", fields[i].name,
			      (long long)a, (long long)b);
		differ++;
	}
	print_message("%s (%u.%u, _Py_DebugOffsets, no DWARF): %zu of %zu fields equal the debug "
		      "build's %s, checked against its DWARF\n", t->label,
		      PY_VER_MAJOR(t->version), PY_VER_MINOR(t->version), NFIELDS - differ, NFIELDS,
		      t->twin);
	if (differ)
		fail_msg("%s: %zu field(s) differ from the debug build", t->label, differ);
}

static void py_offsets__target__equals_dwarf(void **state)
{
	struct target *t = *state;
	struct strbuf out = STRBUF_INIT;
	int status;

	if (t->fail)
		fail_msg("%s: %s: %s", t->label, t->path, t->why);
	if (!t->gdb && t->twin[0]) {
		compare_twin(t);
		return;
	}
	if (!t->gdb) {
		print_message("%s: %s, skipped\n", t->label, t->why);
		skip();
	}
	finish_gdb(&t->gdb, &out, &status);
	if (status != 0)
		print_message("%s: gdb exited with status %d\n", t->label, status);
	if (t->twin[0] && (!strncmp(out.buf, "nodebug ", 8) || strstr(out.buf, "\nnodebug "))) {
		strbuf_release(&out);	/* a .gnu_debuglink to a file not installed */
		compare_twin(t);
		return;
	}
	compare(t, out.buf);
	strbuf_release(&out);
}

/* --- _asyncio's layout before 3.14 (py_offsets__async_table) -------------------------- */

/* What gdb prints for each expression (as long long) in file, into out: 0, or -1. */
static int gdb_values(const char *file, const char *const *exprs, size_t n, long long *out)
{
	struct strbuf cmd = STRBUF_INIT, res = STRBUF_INIT;
	const char *p;
	size_t got = 0;
	int status;
	FILE *f;

	strbuf_addstr(&cmd, GDB_CMD);
	for (size_t i = 0; i < n; i++) {
		struct strbuf e = STRBUF_INIT;

		strbuf_addf(&e, "print (long long)(%s)", exprs[i]);
		strbuf_addstr(&cmd, " -ex ");
		add_quoted(&cmd, e.buf);
		strbuf_release(&e);
	}
	f = gdb_open(&cmd, file);
	if (!f)
		return -1;
	finish_gdb(&f, &res, &status);
	/* "$k = v" lines, in order; anything else is an expression gdb could not evaluate */
	for (p = res.buf; *p && got < n; p = strchrnul(p, '\n'), p += *p == '\n') {
		unsigned k;
		long long v;

		if (sscanf(p, "$%u = %lld", &k, &v) == 2 && k == got + 1)
			out[got++] = v;
	}
	if (got != n)
		print_message("gdb on %s gave %zu of %zu values:\n%s\n", file, got, n, res.buf);
	strbuf_release(&res);
	return got == n ? 0 : -1;
}

static void py_offsets_async__target__equals_dwarf(void **state)
{
	const struct target *t = *state;
	struct py_async_offsets a;
	char pat[PATH_MAX + 64], why[PATH_MAX + 256];
	glob_t g;
	static const char *const task_exprs[] = {
		"sizeof(TaskObj)", "&((TaskObj *)0)->task_fut_waiter",
		"&((TaskObj *)0)->task_coro", "&((TaskObj *)0)->task_name",
		/* --async=all */
		"&((TaskObj *)0)->task_loop", "&((TaskObj *)0)->task_state",
		"&((TaskObj *)0)->task_callback0",
	};
	static const char *const lib_exprs[] = {
		"&((PyModuleObject *)0)->md_dict", "&((PyDictObject *)0)->ma_used",
		"&((PyDictObject *)0)->ma_keys", "&((PyDictObject *)0)->ma_values",
		"&((PyDictKeysObject *)0)->dk_log2_size",
		"&((PyDictKeysObject *)0)->dk_log2_index_bytes",
		"&((PyDictKeysObject *)0)->dk_kind", "&((PyDictKeysObject *)0)->dk_nentries",
		"&((PyDictKeysObject *)0)->dk_indices",
		/* unwind.c's entry shapes: (hash, key, value) and (key, value) */
		"sizeof(PyDictKeyEntry)", "&((PyDictKeyEntry *)0)->me_key",
		"sizeof(PyDictUnicodeEntry)", "DICT_KEYS_UNICODE", "DICT_KEYS_SPLIT",
		/* --async=all: the WeakSet, its instance dict, the running loop */
		"&((PyFunctionObject *)0)->func_closure", "&((PyTypeObject *)0)->tp_basicsize",
		"&((PyTypeObject *)0)->tp_base", "&((PyHeapTypeObject *)0)->ht_cached_keys",
		"&((PyWeakReference *)0)->wr_object",
	};
	/* where a thread keeps its running loop: its dict (3.11, 3.12), its own field (3.13) */
	const char *loop_expr = t->version < PY_VER(3, 13) ? "&((PyThreadState *)0)->dict" :
				"&((_PyThreadStateImpl *)0)->asyncio_running_loop";
	long long loop_at;
	long long tv[ARRAY_SIZE(task_exprs)], lv[ARRAY_SIZE(lib_exprs)];
	const char *slash = strrchr(t->path, '/');

	if (t->version < PY_VER(3, 11) || t->version >= PY_VER(3, 14) || t->fail ||
	    !have_gdb() || has_debug_info(t->path, why, sizeof(why))) {
		print_message("%s: not a 3.11-3.13 build with DWARF and gdb, skipped\n", t->label);
		skip();
	}
	if (py_offsets__async_table(&t->off, &a)) {
		print_message("%s: no _asyncio table for this build (free-threaded?), skipped\n",
			      t->label);
		skip();
	}
	/* pyenv: lib/libpython3.X.so.1.0 beside lib/python3.X/lib-dynload/_asyncio*.so */
	snprintf(pat, sizeof(pat), "%.*s/python%u.%u/lib-dynload/_asyncio.*.so",
		 slash ? (int)(slash - t->path) : 0, t->path, PY_VER_MAJOR(t->version),
		 PY_VER_MINOR(t->version));
	if (glob(pat, 0, NULL, &g)) {
		/* _asyncio built into the interpreter (Debian's): TaskObj in its DWARF */
		if (gdb_values(t->path, task_exprs, ARRAY_SIZE(tv), tv)) {
			print_message("%s: no %s, nor TaskObj in %s, skipped\n", t->label, pat,
				      t->path);
			skip();
		}
	} else {
		if (has_debug_info(g.gl_pathv[0], why, sizeof(why))) {
			print_message("%s: %s, skipped\n", t->label, why);
			globfree(&g);
			skip();
		}
		assert_int_equal(gdb_values(g.gl_pathv[0], task_exprs, ARRAY_SIZE(tv), tv), 0);
		globfree(&g);
	}
	assert_int_equal(gdb_values(t->path, lib_exprs, ARRAY_SIZE(lv), lv), 0);
	assert_int_equal(gdb_values(t->path, &loop_expr, 1, &loop_at), 0);
	assert_int_equal(t->version < PY_VER(3, 13) ? a.ts_dict : a.ts_loop, loop_at);
	print_message("%s: TaskObj %lld bytes, fut_waiter %lld, coro %lld, name %lld; "
		      "md_dict %lld, ma_used %lld, ma_keys %lld, dk_indices %lld\n", t->label,
		      tv[0], tv[1], tv[2], tv[3], lv[0], lv[1], lv[2], lv[8]);
	{
		/* in the order of task_exprs then lib_exprs; the entry shapes are unwind.c's */
		const long long ours[] = {
			a.task_size, a.task_fut_waiter, a.task_coro, a.task_name,
			a.task_loop, a.task_state, a.task_callback0,
			a.md_dict, a.dict_used, a.dict_keys, a.dict_values, a.keys_log2_size,
			a.keys_log2_index_bytes, a.keys_kind, a.keys_nentries, a.keys_indices,
			24, 8, 16, 1, 2,
			a.func_closure, a.tp_basicsize, a.tp_base, a.ht_cached_keys, a.wr_object,
		};
		size_t nt = ARRAY_SIZE(tv), bad = 0;

		assert_int_equal(ARRAY_SIZE(ours), nt + ARRAY_SIZE(lv));
		for (size_t k = 0; k < ARRAY_SIZE(ours); k++) {
			long long d = k < nt ? tv[k] : lv[k - nt];

			if (ours[k] == d)
				continue;
			print_message("  %s: pyflame %lld, DWARF %lld\n",
				      k < nt ? task_exprs[k] : lib_exprs[k - nt], ours[k], d);
			bad++;
		}
		assert_int_equal(bad, 0);
	}
}

static void py_offsets_dwarf__no_interpreter__skips(void **state)
{
	(void)state;
	print_message("no interpreter found (pyenv, /usr/bin/pythonX.Y, "
		      "$PYFLAME_DWARF_BINARIES), skipped\n");
	skip();
}

/*
 * The field list above, dwarf_offsets.py's MAP and struct py_offsets itself must name the
 * same members: ask gdb about this very binary (built with -g).
 */
static void py_offsets_fields__every_member__listed_and_mapped(void **state)
{
	struct strbuf out = STRBUF_INIT;
	char self[PATH_MAX];
	int seen[NFIELDS] = { 0 };
	const char *p, *nl;
	size_t members = 0;
	int status, bad = 0;
	FILE *f;
	(void)state;

	if (!have_gdb() || !find_script()) {
		print_message("gdb or %s missing, skipped\n", script);
		skip();
	}
	assert_non_null(realpath("/proc/self/exe", self));	/* gdb's own would be gdb */
	f = start_gdb(self, 0, 1);
	assert_non_null(f);
	finish_gdb(&f, &out, &status);
	if (strstr(out.buf, "nodebug ")) {
		print_message("this test binary has no debug info (CFLAGS without -g), skipped\n");
		strbuf_release(&out);
		skip();
	}
	for (p = out.buf; *p; p = nl + (*nl == '\n')) {
		char name[128], flag[32];
		int idx, n;

		nl = strchrnul(p, '\n');
		n = sscanf(p, "member %127s %31[a-z]", name, flag);
		if (n < 1 || (size_t)(nl - p) >= sizeof(name) + 16)
			continue;
		members++;
		idx = field_index(name);
		if (idx < 0) {
			print_message("struct py_offsets.%s is not in this test's field list\n",
				      name);
			bad++;
		} else {
			seen[idx] = 1;
		}
		if (n == 2 && !strcmp(flag, "unmapped")) {
			print_message("struct py_offsets.%s has no entry in dwarf_offsets.py MAP\n",
				      name);
			bad++;
		}
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if (!seen[i]) {
			print_message("field list names %s, which struct py_offsets lacks\n",
				      fields[i].name);
			bad++;
		}
	if (members == 0)
		print_message("gdb output:\n%s\n", out.buf);
	strbuf_release(&out);
	assert_int_equal(members, NFIELDS);
	assert_int_equal(bad, 0);
}

/* Named like a 3.11-3.13 runtime (the version is known only once the group starts). */
static int async_candidate(const char *path)
{
	const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	unsigned maj = 0, min = 0;

	if (!strncmp(b, "lib", 3))
		b += 3;
	return sscanf(b, "python%u.%u", &maj, &min) == 2 && maj == 3 && min >= 11 && min <= 13;
}

int main(int argc, char **argv)
{
	static char async_names[MAX_TARGETS][208];
	struct CMUnitTest tests[2 * MAX_TARGETS + 2];
	size_t n = 0;

	if (argc == 3 && !strcmp(argv[1], "--dump"))
		return dump_main(argv[2]);
	if (argc > 1) {
		fprintf(stderr, "usage: %s [--dump MAJOR.MINOR | --dump LIBPYTHON]\n", argv[0]);
		return 2;
	}
	discover();
	tests[n++] = (struct CMUnitTest)
		cmocka_unit_test(py_offsets_fields__every_member__listed_and_mapped);
	for (size_t i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];

		snprintf(t->test_name, sizeof(t->test_name), "py_offsets__%s__equals_dwarf",
			 t->label);
		tests[n++] = (struct CMUnitTest){ t->test_name, py_offsets__target__equals_dwarf,
						  NULL, NULL, t };
		if (async_candidate(t->path)) {
			snprintf(async_names[i], sizeof(async_names[i]),
				 "py_offsets_async__%s__equals_dwarf", t->label);
			tests[n++] = (struct CMUnitTest){ async_names[i],
							  py_offsets_async__target__equals_dwarf,
							  NULL, NULL, t };
		}
	}
	if (!ntargets)
		tests[n++] = (struct CMUnitTest)
			cmocka_unit_test(py_offsets_dwarf__no_interpreter__skips);
	return _cmocka_run_group_tests("pyoffsets_dwarf", tests, n, setup_targets,
				       teardown_targets);
}
