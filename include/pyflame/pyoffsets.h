/* pyoffsets.h - per-version CPython layouts, as data. */
#ifndef PYFLAME_PYOFFSETS_H
#define PYFLAME_PYOFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "pyflame/linetable.h"

#define PY_VER(maj, min) (((maj) << 8) | (min))
#define PY_VER_MAJOR(v) (((v) >> 8) & 0xff)
#define PY_VER_MINOR(v) ((v) & 0xff)

/* Offsets that do not exist in a version are PYOFF_NONE. */
#define PYOFF_NONE (-1)

enum py_frame_model {
	PY_FRAMES_OBJECT,	/* <= 3.10: PyFrameObject chain via f_back, code via f_code */
	PY_FRAMES_INTERP,	/* 3.11+: _PyInterpreterFrame chain via previous */
};

enum py_str_model {
	PY_STR_27,		/* PyStringObject: ob_size, ob_sval bytes */
	PY_STR_PEP393,		/* 3.3+: compact ASCII / compact / legacy unicode */
};

struct py_offsets {
	unsigned version;			/* PY_VER(major, minor) */
	enum py_frame_model frames;
	enum py_str_model strings;
	enum linetable_kind linetable;
	int free_threaded;

	struct {				/* _PyRuntimeState; all PYOFF_NONE for 2.7/3.6 */
		int64_t interpreters_head;
		int64_t finalizing;
		int64_t gil_locked;		/* 3.7-3.11 runtime-wide GIL */
		int64_t gil_last_holder;
		int64_t tstate_current;		/* 3.7-3.11 gilstate.tstate_current */
		int64_t gc_collecting;		/* 3.7, 3.8: gc.collecting (int), runtime-wide */
	} runtime;
	struct {				/* PyInterpreterState */
		int64_t next;
		int64_t threads_head;
		int64_t id;
		int64_t ceval_gil;		/* 3.12+: pointer to the _gil_runtime_state in use */
		int64_t code_object_generation;	/* 3.14+ */
		int64_t gc_collecting;		/* 3.9+: gc.collecting (int), per interpreter */
		int64_t modules;		/* 3.11-3.13: sys.modules (a dict), where --async
						   finds _asyncio's running tasks */
	} interp;
	struct {				/* _gil_runtime_state (3.12+ via interp.ceval_gil) */
		int64_t last_holder;
		int64_t locked;
	} gil;
	struct {				/* PyThreadState */
		int64_t size;
		int64_t next;
		int64_t interp;
		int64_t frame;			/* <= 3.10: PyFrameObject * */
		int64_t cframe;			/* 3.11, 3.12: _PyCFrame * */
		int64_t cframe_current_frame;	/* offset inside _PyCFrame */
		int64_t current_frame;		/* 3.13+: _PyInterpreterFrame * */
		int64_t thread_id;		/* pthread_self() */
		int64_t native_thread_id;	/* 3.11+: gettid() */
		int64_t datastack_chunk;	/* 3.11+: _PyStackChunk * (frames live in it) */
		int64_t status;			/* 3.12+: _status bitfield */
		int64_t holds_gil;		/* 3.14+: int (GIL builds) */
		int holds_gil_bit;		/* 3.13: bit in _status; -1 none */
	} tstate;
	struct {				/* PyFrameObject (<= 3.10) */
		int64_t back;
		int64_t code;
		int64_t lasti;
		int lasti_unit;			/* bytes per f_lasti unit: 1, or 2 on 3.10 */
	} frame;
	struct {				/* _PyInterpreterFrame (3.11+) */
		int64_t size;
		int64_t executable;		/* f_code / f_executable */
		int64_t previous;
		int64_t instr_ptr;		/* prev_instr (3.11/3.12) / instr_ptr (3.13+) */
		int64_t owner;
		int64_t is_entry;		/* 3.11: bool, the first frame an eval call runs */
		int64_t tlbc_index;		/* 3.14t: int32 index into code.tlbc */
		uint64_t tag_mask;		/* bits to clear from executable: 3 on 3.14+, else 0 */
		int shim_owner_min;		/* skip owner >= this (3.12+: 3); 0 disables */
		int owner_generator;		/* owner value of generator frames (1) */
	} iframe;
	struct {				/* PyCodeObject */
		int64_t size;			/* bytes to read to cover every field below */
		int64_t firstlineno;
		int64_t filename;
		int64_t name;
		int64_t qualname;		/* 3.11+ */
		int64_t linetable;		/* co_lnotab / co_linetable */
		int64_t firsttraceable;		/* 3.11+ */
		int64_t code_adaptive;		/* 3.11+ */
		int64_t tlbc;			/* 3.14t: _PyCodeArray * (bytecode copies) */
	} code;
	struct {				/* PyGenObject (coroutines) */
		int64_t iframe;			/* 3.11+: the embedded _PyInterpreterFrame
						   (3.13t: N, not known) */
	} gen;
	/*
	 * What --async=all reads of a suspended coroutine and of the objects it waits on
	 * (3.14+ from _Py_DebugOffsets, 3.11-3.13 from tables; PYOFF_NONE elsewhere).
	 */
	struct {
		int64_t frame_state;		/* PyGenObject.gi_frame_state (int8) */
		int64_t stackpointer;		/* _PyInterpreterFrame.stackpointer (3.14+) */
		int64_t stacktop;		/* 3.11-3.13: int _PyInterpreterFrame.stacktop,
						   the stack's depth in localsplus slots */
		int64_t localsplus;		/* 3.11-3.13: _PyInterpreterFrame.localsplus */
		int yield_from;			/* gi_frame_state of a coroutine suspended in
						   an await (FRAME_SUSPENDED_YIELD_FROM) */
		int awaited_slot;		/* the awaited object: stackpointer[-slot] */
		int64_t tp_name;		/* PyTypeObject.tp_name (const char *) */
		int64_t set_used;		/* PySetObject: used, mask, table */
		int64_t set_mask;
		int64_t set_table;
	} coro;
	/*
	 * --mode exception: the exception a thread handles, what sys.exc_info() returns.
	 * 2.7 and 3.6 keep it in the thread state; 3.7+ in a chain of _PyErr_StackItem from
	 * tstate->exc_info (a running generator's own item in front of its caller's).
	 */
	struct {
		int64_t ts_value;		/* 2.7, 3.6: tstate->exc_value */
		int64_t ts_info;		/* 3.7+: tstate->exc_info */
		int64_t item_value;		/* 3.7+: _PyErr_StackItem.exc_value */
		int64_t item_previous;		/* 3.7+: _PyErr_StackItem.previous_item */
		int64_t tp_flags;		/* PyTypeObject.tp_flags */
	} exc;
	struct {				/* object headers, str and bytes */
		int64_t ob_type;
		int64_t str_length;
		int64_t str_state;
		int64_t str_ascii_data;		/* sizeof(PyASCIIObject) */
		int64_t str_compact_data;	/* sizeof(PyCompactUnicodeObject) */
		int64_t str_legacy_data;	/* PyUnicodeObject.data.any */
		int str_kind_shift;		/* state bits: kind (3 bits), compact, ascii */
		int str_compact_bit;
		int str_ascii_bit;
		int64_t bytes_size;		/* ob_size of bytes (2.7 str) */
		int64_t bytes_data;		/* ob_sval */
	} obj;
};

/*
 * The facts of _asyncio's task objects: 3.14+ from _Py_AsyncioModuleDebugOffsets
 * (_AsyncioDebug, 3.15 _Py_AsyncioDebug; section .AsyncioDebug of the _asyncio module),
 * 3.11-3.13 from py_offsets__async_table().
 */
struct py_async_offsets {
	int64_t task_size;		/* sizeof(TaskObj) */
	int64_t task_name;		/* PyObject *: a str, or an int n meaning "Task-n" */
	int64_t task_coro;		/* PyObject *: the coroutine the task drives */
	int64_t ts_size;		/* sizeof(_PyThreadStateImpl); N before 3.14 */
	int64_t ts_running_task;	/* _PyThreadStateImpl.asyncio_running_task; N before
					   3.14, where the running tasks are the values of
					   _asyncio's current_tasks dict (loop -> task) */
	/*
	 * 3.11-3.13 (N on 3.14+): how current_tasks is reached, sys.modules['_asyncio']
	 * .__dict__['_current_tasks'], and read: PyModuleObject, PyDictObject and
	 * PyDictKeysObject fields.
	 */
	int64_t md_dict;		/* PyModuleObject.md_dict */
	int64_t dict_used;		/* PyDictObject.ma_used */
	int64_t dict_keys;		/* PyDictObject.ma_keys */
	int64_t dict_values;		/* PyDictObject.ma_values (split table: not read) */
	int64_t keys_log2_size;		/* uint8 */
	int64_t keys_log2_index_bytes;	/* uint8 */
	int64_t keys_kind;		/* uint8: 0 general, 1 str keys, 2 split */
	int64_t keys_nentries;		/* Py_ssize_t: entries used, deleted ones too */
	int64_t keys_indices;		/* the index table; the entries follow it */
	/* --async=all */
	int64_t task_awaited_by;	/* PyObject *: the one task awaiting it, or a set */
	int64_t task_awaited_by_is_set;	/* char */
	int64_t task_fut_waiter;	/* PyObject *: the future it waits on (not in the
					   struct: the field before task_coro in TaskObj) */
	int64_t task_node;		/* struct llist_node, in its thread's list */
	int64_t ts_tasks_head;		/* _PyThreadStateImpl.asyncio_tasks_head (llist) */
	/*
	 * --async=all, 3.11-3.13 (N on 3.14+): every task of the process is in _asyncio's
	 * _all_tasks (3.11) or _scheduled_tasks (3.12, 3.13), a weakref.WeakSet whose
	 * instance attribute data is a set of weakrefs, and while it runs eagerly in
	 * _eager_tasks (3.12+, a set).  A thread's tasks are those of the loop it runs.
	 */
	int64_t task_loop;		/* PyObject *: the task's event loop */
	int64_t task_state;		/* fut_state (int): 0 pending */
	int64_t task_callback0;		/* PyObject *: its first done callback */
	int64_t func_closure;		/* PyFunctionObject.func_closure (a tuple of cells) */
	int64_t ts_loop;		/* 3.13: _PyThreadStateImpl.asyncio_running_loop */
	int64_t ts_dict;		/* 3.11, 3.12: PyThreadState.dict, whose
					   __asyncio_running_event_loop__ is the loop ... */
	int64_t holder_loop;		/* ... 3.11: in a _RunningLoopHolder, rl_loop */
	int64_t obj_dict;		/* a managed dict: PyDictObject * at obj + this (< 0)
					   (3.12: odd, values + -1, when not materialized) */
	int64_t obj_values;		/* 3.11: PyDictValues * at obj + this, or N */
	int obj_values_tagged;		/* 3.12: obj_dict holds the tagged values pointer */
	int64_t inline_values;		/* 3.13: PyDictValues inline at obj + tp_basicsize */
	int64_t values_head;		/* PyDictValues: bytes before values[] (3.13: 8) */
	int64_t tp_basicsize;		/* PyTypeObject */
	int64_t tp_base;
	int64_t ht_cached_keys;		/* PyHeapTypeObject: the instances' shared keys */
	int64_t wr_object;		/* PyWeakReference.wr_object (Py_None once dead) */
};

/* Bytes of _Py_AsyncioModuleDebugOffsets (3.14, 3.15). */
#define PY_ASYNC_DEBUG_SIZE 104

/*
 * Decode _Py_AsyncioModuleDebugOffsets as read from the target (len bytes) for the
 * interpreter whose offsets are o (its thread state must fit in ts_size).  0, or -EINVAL
 * (implausible values), -ENOTSUP (a version before 3.14).
 */
int py_offsets__from_async_debug(const uint8_t *buf, size_t len, const struct py_offsets *o,
				 struct py_async_offsets *out);

/*
 * 3.11-3.13 (GIL builds): _asyncio's task layout for the interpreter whose offsets are o,
 * checked against the DWARF of pyenv's builds.  0, or -ENOTSUP (another version, a
 * free-threaded build).  --async=all's fields are N: only the running tasks are read.
 */
int py_offsets__async_table(const struct py_offsets *o, struct py_async_offsets *out);

/*
 * 3.11+: the opcodes that call (CALL, PRECALL, CALL_FUNCTION_EX, CALL_KW, their specialized
 * and instrumented forms) as a 256-bit map, or NULL for a version pyflame has no list for.
 * An innermost frame stopped on one of them is running what it called: C code, when no
 * Python frame is above it.  From each build's own opcode module (its specialized
 * opcodes included); --native-markers reads it.
 */
const uint8_t *py_offsets__call_ops(unsigned version);

/* The built-in table for major.minor (2.7, 3.6-3.12), or NULL. */
const struct py_offsets *py_offsets__table(unsigned version);

/*
 * Build offsets for 3.13+ from the target's own _Py_DebugOffsets (the bytes read at
 * _PyRuntime; len as read).  Picks the field layout by the minor version inside the
 * struct.  0, -EINVAL (bad cookie or implausible values), -ENOTSUP (a minor newer than
 * py_offsets__newest(): its field list is unknown, and the previous one is not tried,
 * since CPython inserts fields mid-struct between minors and a shifted list still reads
 * as plausible offsets).
 */
int py_offsets__from_debug(const uint8_t *dbg, size_t len, struct py_offsets *out);

/* The newest CPython whose layout pyflame knows, as PY_VER(major, minor). */
unsigned py_offsets__newest(void);

/*
 * Every CPython pyflame reads, oldest first, as PY_VER(major, minor): the built-in tables
 * then the _Py_DebugOffsets layouts.  Fills at most max; returns the count filled.
 */
#define PY_OFFSETS_MAX_VERSIONS 64
size_t py_offsets__versions(unsigned *out, size_t max);
struct pyruntime_loc;
struct remote;
/*
 * Finish a probe against live memory: read _Py_DebugOffsets (3.13+) or take the built-in
 * table for loc->version, and check that the runtime has an interpreter.  0, -EAGAIN while
 * the interpreter is not initialised yet (try again later), -ENOTSUP, -EFAULT, -ESRCH.
 */
int py_offsets__resolve(const struct remote *r, const struct pyruntime_loc *loc,
			struct py_offsets *out);

/* Bytes of _Py_DebugOffsets to read so py_offsets__from_debug() sees every field it needs. */
#define PY_DEBUG_OFFSETS_MAX 1024

#endif
