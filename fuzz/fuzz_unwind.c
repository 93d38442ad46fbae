/*
 * fuzz_unwind.c - the stack walker over a random process image (format in fakeimage.h).
 *
 * The layout comes the way it does in a real run: py_offsets__resolve() over the image
 * (a built-in table for 2.7-3.12, the image's own _Py_DebugOffsets for 3.13/3.14).  Then a
 * few samples, each thread's stack going into a profile whose strings the unwinder interns
 * into, as cmd_run wires it; every id the unwinder hands out must resolve.  With
 * FAKEIMAGE_F_ASYNC (3.14 images), --async is on (with FAKEIMAGE_F_ASYNC_ALL, =all: task
 * lists, await chains, awaiters): running tasks, their coroutines and
 * names come from the image too.
 */
#include "fakeimage.h"
#include "profile_check.h"
#include "pyflame/pyprobe.h"
#include "pyflame/unwind.h"
#include "pyflame/util.h"

#include <unistd.h>

struct sink {
	struct profile *p;
	uint32_t proc;
	unsigned max_depth;
	uint32_t *stack;
};

static void emit(void *arg, const struct unwind_thread *t)
{
	struct sink *s = arg;
	size_t nstr = strtab__count(s->p->strings);
	uint32_t thread, stack;

	FUZZ_CHECK(t->depth <= s->max_depth);
	FUZZ_CHECK(!(t->flags & ~(PF_SAMPLE_GIL | PF_SAMPLE_TRUNCATED)));
	FUZZ_CHECK(t->depth == 0 || t->frames != NULL);
	for (unsigned i = 0; i < t->depth; i++) {
		const struct pf_frame *f = &t->frames[i];

		FUZZ_CHECK(f->name < nstr && f->file < nstr);
		(void)strlen(strtab__get(s->p->strings, f->name));
		/* root first in the profile */
		s->stack[t->depth - 1 - i] = profile__frame(s->p, f);
	}
#ifdef FUZZ_DEBUG
	fprintf(stderr, "thread %d depth %u flags %#x:", (int)t->tid, t->depth, t->flags);
	for (unsigned i = 0; i < t->depth; i++)
		fprintf(stderr, " %s:%d", strtab__get(s->p->strings, t->frames[i].name),
			t->frames[i].line);
	fprintf(stderr, "\n");
#endif
	thread = profile__thread(s->p, s->proc, t->tid, "thread");
	stack = profile__stack(s->p, s->stack, t->depth);
	profile__add(s->p, thread, stack, t->flags, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fakeimage im;
	struct fuzz_in in = { data, size };
	struct pyruntime_loc loc;
	struct py_offsets off;
	struct remote r;
	struct unwinder *u;
	struct sink s;
	uint8_t flags;
	unsigned samples;

	memset(&loc, 0, sizeof(loc));
	loc.version = fakeimage_versions[fuzz_u8(&in) % ARRAY_SIZE(fakeimage_versions)];
	flags = fuzz_u8(&in);
	s.max_depth = 1 + fuzz_u8(&in) % 16;
	samples = 1 + fuzz_u8(&in) % 3;
	im.esrch_after = fuzz_u32(&in);
	im.reads = 0;
	loc.runtime_addr = fuzz_u64(&in);
	loc.interp_head_addr = fuzz_u64(&in);
	loc.tstate_current_addr = fuzz_u64(&in);
	loc.code_type_addr = fuzz_u64(&in);
	loc.str_type_addr = fuzz_u64(&in);
	loc.bytes_type_addr = fuzz_u64(&in);
	fakeimage_parse_regions(&im, &in);

	r.ops = &fakeimage_ops;
	r.ctx = &im;
	r.pid = flags & FAKEIMAGE_F_PID ? getpid() : 0;
	if (py_offsets__resolve(&r, &loc, &off))
		return 0;

	s.p = profile__new();
	s.proc = profile__process(s.p, 1, "fuzz", "3");
	s.stack = calloc(s.max_depth, sizeof(*s.stack));
	u = unwinder__new(&r, &loc, &off, s.p->strings, s.max_depth);
	if (u && (flags & FAKEIMAGE_F_ASYNC) && off.gen.iframe != PYOFF_NONE) {
		/* 3.14's task layout; the running task sits after PyThreadState, as there */
		struct py_async_offsets a = {
			.task_size = 168, .task_name = 136, .task_coro = 128,
			.ts_running_task = off.tstate.size + 48, .ts_size = off.tstate.size + 112,
			.task_awaited_by = 96, .task_awaited_by_is_set = 109,
			.task_fut_waiter = 120, .task_node = 152,
			.ts_tasks_head = off.tstate.size + 56,
		};
		int all = (flags & FAKEIMAGE_F_ASYNC_ALL) && off.coro.frame_state != PYOFF_NONE;

		FUZZ_CHECK(unwinder__set_async(u, &a, all) == 0);
	}
	if (u && (flags & FAKEIMAGE_F_EXC))
		FUZZ_CHECK(unwinder__want_exceptions(u) == 0 || off.free_threaded);
	if (u) {
		for (unsigned i = 0; i < samples; i++) {
			struct unwind_stats st;
			int err;

			memset(&st, 0, sizeof(st));
			err = unwinder__sample(u, emit, &s, &st);
			FUZZ_CHECK(err == 0 || err == -ESRCH || err == -EFAULT);
			if (err)
				break;
		}
		unwinder__free(u);
	}
	profile_check(s.p);
	free(s.stack);
	profile__free(s.p);
	return 0;
}
