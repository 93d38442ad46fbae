/* pyoffsets.c - CPython layouts per minor version (tables) and from _Py_DebugOffsets (3.13+). */
#include "pyflame/pyoffsets.h"

#include <errno.h>
#include <string.h>

#include "pyflame/pyprobe.h"
#include "pyflame/remote.h"
#include "pyflame/util.h"

#define N PYOFF_NONE

/* Fields every table sets to "absent" unless the version has them. */
#define NO_RUNTIME { .interpreters_head = N, .finalizing = N, .gil_locked = N, \
		     .gil_last_holder = N, .tstate_current = N, .gc_collecting = N }
#define NO_GIL { .last_holder = N, .locked = N }
#define NO_FRAMEOBJ { .back = N, .code = N, .lasti = N, .lasti_unit = 1 }
#define NO_CORO { .frame_state = N, .stackpointer = N, .stacktop = N, .localsplus = N, \
		  .yield_from = 0, .awaited_slot = 0, \
		  .tp_name = N, .set_used = N, .set_mask = N, .set_table = N }
/*
 * --async=all before 3.14 (DWARF of pyenv's 3.11.7, 3.12.1, 3.13.0: 'ptype/o PyGenObject',
 * 'ptype/o struct _PyInterpreterFrame', 'ptype/o PySetObject').  The frame keeps the depth
 * of its stack (int stacktop, in slots of localsplus) instead of a pointer; a coroutine
 * suspended in an await has the awaited object on top, as _PyGen_yf() takes it.  3.11 and
 * 3.12 have no FRAME_SUSPENDED_YIELD_FROM: a coroutine (not a generator) suspends only in
 * an await, and FRAME_SUSPENDED is -1; 3.13 added SUSPENDED_YIELD_FROM as -1 (CREATED -3,
 * SUSPENDED -2).
 */
#define CORO_311(fs) { .frame_state = (fs), .stackpointer = N, .stacktop = 64, \
		       .localsplus = 72, .yield_from = -1, .awaited_slot = 1, .tp_name = 24, \
		       .set_used = 24, .set_mask = 32, .set_table = 40 }
#define NO_IFRAME { .size = N, .executable = N, .previous = N, .instr_ptr = N, .owner = N, \
		    .is_entry = N, .tlbc_index = N, .tag_mask = 0, .shim_owner_min = 0, \
		    .owner_generator = 1 }

/*
 * Where the handled exception is (DWARF of every local build; tests/dwarf_offsets.py).
 * tp_flags is 21 pointers into PyTypeObject in every GIL build.
 */
#define EXC_OLD(v) { .ts_value = (v), .ts_info = N, .item_value = N, .item_previous = N, \
		     .tp_flags = 168 }
#define EXC_37(i) { .ts_value = N, .ts_info = (i), .item_value = 8, .item_previous = 24, \
		    .tp_flags = 168 }
#define EXC_311(i) { .ts_value = N, .ts_info = (i), .item_value = 0, .item_previous = 8, \
		     .tp_flags = 168 }

/* PEP 393 strings, 3.6-3.11: PyASCIIObject 48 bytes, PyCompactUnicodeObject 72. */
#define STR_36 .ob_type = 8, .str_length = 16, .str_state = 32, .str_ascii_data = 48, \
	.str_compact_data = 72, .str_legacy_data = 72, .str_kind_shift = 2, \
	.str_compact_bit = 5, .str_ascii_bit = 6, .bytes_size = 16, .bytes_data = 32
/* 3.12+: wstr gone, 40 and 56. */
#define STR_312 .ob_type = 8, .str_length = 16, .str_state = 32, .str_ascii_data = 40, \
	.str_compact_data = 56, .str_legacy_data = 56, .str_kind_shift = 2, \
	.str_compact_bit = 5, .str_ascii_bit = 6, .bytes_size = 16, .bytes_data = 32

/*
 * gc.collecting, the cyclic GC's "a collection runs" flag: 2.7 and 3.6 keep it in a static
 * of gcmodule.c (no address without the symbol table); 3.7 moved the GC state into
 * _PyRuntime (bpo-30860, _PyRuntimeState.gc), 3.9 into each interpreter (bpo-36854,
 * PyInterpreterState.gc); 3.13+ give both offsets in _Py_DebugOffsets.
 */
static const struct py_offsets py_offsets_2_7 = {
	.version = PY_VER(2, 7),
	.frames = PY_FRAMES_OBJECT,
	.strings = PY_STR_27,
	.linetable = LINETABLE_LNOTAB27,
	.runtime = NO_RUNTIME,
	.interp = { .next = 0, .threads_head = 8, .id = N, .ceval_gil = N,
		    .code_object_generation = N, .gc_collecting = N, .modules = N },
	.gil = NO_GIL,
	.tstate = { .size = 168, .next = 0, .interp = 8, .frame = 16, .cframe = N,
		    .cframe_current_frame = N, .current_frame = N, .thread_id = 144,
		    .native_thread_id = N, .datastack_chunk = N, .status = N, .holds_gil = N,
		    .holds_gil_bit = -1 },
	.frame = { .back = 24, .code = 32, .lasti = 120, .lasti_unit = 1 },
	.iframe = NO_IFRAME,
	.code = { .size = 128, .firstlineno = 96, .filename = 80, .name = 88, .qualname = N,
		  .linetable = 104, .firsttraceable = N, .code_adaptive = N, .tlbc = N },
	.gen = { .iframe = N },
	.coro = NO_CORO,
	/* PyStringObject: ob_size 16, ob_sval 36 (str and bytes are the same type). */
	.exc = EXC_OLD(104),
	.obj = { .ob_type = 8, .str_length = 16, .str_state = N, .str_ascii_data = 36,
		 .str_compact_data = N, .str_legacy_data = N, .bytes_size = 16,
		 .bytes_data = 36 },
};

static const struct py_offsets py_offsets_3_6 = {
	.version = PY_VER(3, 6),
	.frames = PY_FRAMES_OBJECT,
	.strings = PY_STR_PEP393,
	.linetable = LINETABLE_LNOTAB36,
	.runtime = NO_RUNTIME,
	.interp = { .next = 0, .threads_head = 8, .id = N, .ceval_gil = N,
		    .code_object_generation = N, .gc_collecting = N, .modules = N },
	.gil = NO_GIL,
	.tstate = { .size = 2272, .next = 8, .interp = 16, .frame = 24, .cframe = N,
		    .cframe_current_frame = N, .current_frame = N, .thread_id = 152,
		    .native_thread_id = N, .datastack_chunk = N, .status = N, .holds_gil = N,
		    .holds_gil_bit = -1 },
	.frame = { .back = 24, .code = 32, .lasti = 120, .lasti_unit = 1 },
	.iframe = NO_IFRAME,
	.code = { .size = 144, .firstlineno = 36, .filename = 96, .name = 104, .qualname = N,
		  .linetable = 112, .firsttraceable = N, .code_adaptive = N, .tlbc = N },
	.gen = { .iframe = N },
	.coro = NO_CORO,
	.exc = EXC_OLD(112),
	.obj = { STR_36 },
};

static const struct py_offsets py_offsets_3_7 = {
	.version = PY_VER(3, 7),
	.frames = PY_FRAMES_OBJECT,
	.strings = PY_STR_PEP393,
	.linetable = LINETABLE_LNOTAB36,
	.runtime = { .interpreters_head = 24, .finalizing = 8, .gil_locked = 1280,
		     .gil_last_holder = 1272, .tstate_current = 1480,
		     .gc_collecting = 632 },
	.interp = { .next = 0, .threads_head = 8, .id = 16, .ceval_gil = N,
		    .code_object_generation = N, .gc_collecting = N, .modules = N },
	.gil = NO_GIL,
	.tstate = { .size = 280, .next = 8, .interp = 16, .frame = 24, .cframe = N,
		    .cframe_current_frame = N, .current_frame = N, .thread_id = 176,
		    .native_thread_id = N, .datastack_chunk = N, .status = N, .holds_gil = N,
		    .holds_gil_bit = -1 },
	.frame = { .back = 24, .code = 32, .lasti = 104, .lasti_unit = 1 },
	.iframe = NO_IFRAME,
	.code = { .size = 144, .firstlineno = 36, .filename = 96, .name = 104, .qualname = N,
		  .linetable = 112, .firsttraceable = N, .code_adaptive = N, .tlbc = N },
	.gen = { .iframe = N },
	.coro = NO_CORO,
	.exc = EXC_37(144),
	.obj = { STR_36 },
};

static const struct py_offsets py_offsets_3_8 = {
	.version = PY_VER(3, 8),
	.frames = PY_FRAMES_OBJECT,
	.strings = PY_STR_PEP393,
	.linetable = LINETABLE_LNOTAB36,
	.runtime = { .interpreters_head = 32, .finalizing = 16, .gil_locked = 1168,
		     .gil_last_holder = 1160, .tstate_current = 1368,
		     .gc_collecting = 544 },
	.interp = { .next = 0, .threads_head = 8, .id = 16, .ceval_gil = N,
		    .code_object_generation = N, .gc_collecting = N, .modules = N },
	.gil = NO_GIL,
	.tstate = { .size = 264, .next = 8, .interp = 16, .frame = 24, .cframe = N,
		    .cframe_current_frame = N, .current_frame = N, .thread_id = 176,
		    .native_thread_id = N, .datastack_chunk = N, .status = N, .holds_gil = N,
		    .holds_gil_bit = -1 },
	.frame = { .back = 24, .code = 32, .lasti = 104, .lasti_unit = 1 },
	.iframe = NO_IFRAME,
	.code = { .size = 176, .firstlineno = 40, .filename = 104, .name = 112, .qualname = N,
		  .linetable = 120, .firsttraceable = N, .code_adaptive = N, .tlbc = N },
	.gen = { .iframe = N },
	.coro = NO_CORO,
	.exc = EXC_37(144),
	.obj = { STR_36 },
};

static const struct py_offsets py_offsets_3_9 = {
	.version = PY_VER(3, 9),
	.frames = PY_FRAMES_OBJECT,
	.strings = PY_STR_PEP393,
	.linetable = LINETABLE_LNOTAB36,
	.runtime = { .interpreters_head = 32, .finalizing = 16, .gil_locked = 368,
		     .gil_last_holder = 360, .tstate_current = 568,
		     .gc_collecting = N },
	.interp = { .next = 0, .threads_head = 8, .id = 24, .ceval_gil = N,
		    .code_object_generation = N, .gc_collecting = 816, .modules = N },
	.gil = NO_GIL,
	.tstate = { .size = 264, .next = 8, .interp = 16, .frame = 24, .cframe = N,
		    .cframe_current_frame = N, .current_frame = N, .thread_id = 176,
		    .native_thread_id = N, .datastack_chunk = N, .status = N, .holds_gil = N,
		    .holds_gil_bit = -1 },
	.frame = { .back = 24, .code = 32, .lasti = 104, .lasti_unit = 1 },
	.iframe = NO_IFRAME,
	.code = { .size = 176, .firstlineno = 40, .filename = 104, .name = 112, .qualname = N,
		  .linetable = 120, .firsttraceable = N, .code_adaptive = N, .tlbc = N },
	.gen = { .iframe = N },
	.coro = NO_CORO,
	.exc = EXC_37(144),
	.obj = { STR_36 },
};

static const struct py_offsets py_offsets_3_10 = {
	.version = PY_VER(3, 10),
	.frames = PY_FRAMES_OBJECT,
	.strings = PY_STR_PEP393,
	.linetable = LINETABLE_310,
	.runtime = { .interpreters_head = 32, .finalizing = 16, .gil_locked = 368,
		     .gil_last_holder = 360, .tstate_current = 568,
		     .gc_collecting = N },
	.interp = { .next = 0, .threads_head = 8, .id = 24, .ceval_gil = N,
		    .code_object_generation = N, .gc_collecting = 816, .modules = N },
	.gil = NO_GIL,
	/* 3.10 has tstate->cframe (48) but frames are still found through tstate->frame. */
	.tstate = { .size = 280, .next = 8, .interp = 16, .frame = 24, .cframe = N,
		    .cframe_current_frame = N, .current_frame = N, .thread_id = 176,
		    .native_thread_id = N, .datastack_chunk = N, .status = N, .holds_gil = N,
		    .holds_gil_bit = -1 },
	.frame = { .back = 24, .code = 32, .lasti = 96, .lasti_unit = 2 },
	.iframe = NO_IFRAME,
	.code = { .size = 176, .firstlineno = 40, .filename = 104, .name = 112, .qualname = N,
		  .linetable = 120, .firsttraceable = N, .code_adaptive = N, .tlbc = N },
	.gen = { .iframe = N },
	.coro = NO_CORO,
	.exc = EXC_37(144),
	.obj = { STR_36 },
};

static const struct py_offsets py_offsets_3_11 = {
	.version = PY_VER(3, 11),
	.frames = PY_FRAMES_INTERP,
	.strings = PY_STR_PEP393,
	.linetable = LINETABLE_311,
	.runtime = { .interpreters_head = 40, .finalizing = 24, .gil_locked = 376,
		     .gil_last_holder = 368, .tstate_current = 576,
		     .gc_collecting = N },
	/* .modules: sys.modules, --async's way to _asyncio's running tasks (3.11-3.13) */
	.interp = { .next = 0, .threads_head = 16, .id = 48, .ceval_gil = N,
		    .code_object_generation = N, .gc_collecting = 848,
		    .modules = 888 },
	.gil = NO_GIL,
	.tstate = { .size = 360, .next = 8, .interp = 16, .frame = N, .cframe = 56,
		    .cframe_current_frame = 8, .current_frame = N, .thread_id = 152,
		    .native_thread_id = 160, .datastack_chunk = 296, .status = N,
		    .holds_gil = N, .holds_gil_bit = -1 },
	.frame = NO_FRAMEOBJ,
	/* No shim frames in 3.11: is_entry marks entry frames instead (bpo-45256). */
	.iframe = { .size = 80, .executable = 32, .previous = 48, .instr_ptr = 56, .owner = 69,
		    .is_entry = 68, .tlbc_index = N, .tag_mask = 0, .shim_owner_min = 0,
		    .owner_generator = 1 },
	.code = { .size = 192, .firstlineno = 72, .filename = 112, .name = 120, .qualname = 128,
		  .linetable = 136, .firsttraceable = 168, .code_adaptive = 184, .tlbc = N },
	/* from 3.11 a coroutine's frame is embedded in it (gi_iframe; DWARF of 3.11.7) */
	.gen = { .iframe = 80 },
	/* gi_frame_state after gi_hooks_inited, gi_closed, gi_running_async */
	.coro = CORO_311(75),
	.exc = EXC_311(120),
	.obj = { STR_36 },
};

static const struct py_offsets py_offsets_3_12 = {
	.version = PY_VER(3, 12),
	.frames = PY_FRAMES_INTERP,
	.strings = PY_STR_PEP393,
	.linetable = LINETABLE_311,
	.runtime = { .interpreters_head = 40, .finalizing = 24, .gil_locked = N,
		     .gil_last_holder = N, .tstate_current = N, .gc_collecting = N },
	/* .modules: 3.12 moved it into interp->imports (DWARF of 3.12.1) */
	.interp = { .next = 0, .threads_head = 72, .id = 8, .ceval_gil = 384,
		    .code_object_generation = N, .gc_collecting = 312,
		    .modules = 944 },
	.gil = { .last_holder = 8, .locked = 16 },
	.tstate = { .size = 288, .next = 8, .interp = 16, .frame = N, .cframe = 56,
		    .cframe_current_frame = 0, .current_frame = N, .thread_id = 136,
		    .native_thread_id = 144, .datastack_chunk = 232, .status = 24,
		    .holds_gil = N, .holds_gil_bit = -1 },
	.frame = NO_FRAMEOBJ,
	.iframe = { .size = 80, .executable = 0, .previous = 8, .instr_ptr = 56, .owner = 70,
		    .is_entry = N, .tlbc_index = N, .tag_mask = 0, .shim_owner_min = 3,
		    .owner_generator = 1 },
	.code = { .size = 200, .firstlineno = 68, .filename = 112, .name = 120, .qualname = 128,
		  .linetable = 136, .firsttraceable = 176, .code_adaptive = 192, .tlbc = N },
	/* gi_code left PyGenObject, gi_iframe moved up 8 (DWARF of 3.12.1 and 3.13.0) */
	.gen = { .iframe = 72 },
	.coro = CORO_311(67),
	.exc = EXC_311(104),
	.obj = { STR_312 },
};

static const struct py_offsets *const tables[] = {
	&py_offsets_2_7, &py_offsets_3_6, &py_offsets_3_7, &py_offsets_3_8, &py_offsets_3_9,
	&py_offsets_3_10, &py_offsets_3_11, &py_offsets_3_12,
};

const struct py_offsets *py_offsets__table(unsigned version)
{
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		if (tables[i]->version == version)
			return tables[i];
	return NULL;
}

/* --- _Py_DebugOffsets ------------------------------------------------------------ */

/*
 * The fields we use, by name.  A row of dbg_layouts gives the byte offset of each inside
 * _Py_DebugOffsets (all u64 after the 8-byte cookie), or 0 when that version lacks it.
 */
enum dbg_field {
	D_VERSION, D_FREE_THREADED,
	D_RT_SIZE, D_RT_FINALIZING, D_RT_INTERPRETERS_HEAD,
	D_IS_SIZE, D_IS_ID, D_IS_NEXT, D_IS_THREADS_HEAD, D_IS_CEVAL_GIL, D_IS_GIL_STATE,
	D_IS_GIL_ENABLED, D_IS_GIL_LOCKED, D_IS_GIL_HOLDER, D_IS_CODE_GEN, D_IS_GC, D_IS_MODULES,
	D_TS_SIZE, D_TS_NEXT, D_TS_INTERP, D_TS_CURRENT_FRAME, D_TS_THREAD_ID,
	D_TS_NATIVE_THREAD_ID, D_TS_DATASTACK_CHUNK, D_TS_STATUS, D_TS_HOLDS_GIL,
	D_IF_SIZE, D_IF_PREVIOUS, D_IF_EXECUTABLE, D_IF_INSTR_PTR, D_IF_OWNER, D_IF_TLBC_INDEX,
	D_CO_SIZE, D_CO_FILENAME, D_CO_NAME, D_CO_QUALNAME, D_CO_LINETABLE, D_CO_FIRSTLINENO,
	D_CO_CODE_ADAPTIVE, D_CO_TLBC,
	D_OB_SIZE, D_OB_TYPE,
	D_BYTES_SIZE, D_BYTES_OB_SIZE, D_BYTES_OB_SVAL,
	D_STR_SIZE, D_STR_STATE, D_STR_LENGTH, D_STR_ASCIIOBJECT_SIZE, D_STR_COMPACT_SIZE,
	D_GC_SIZE, D_GC_COLLECTING, D_GEN_IFRAME,
	D_GEN_FRAME_STATE, D_IF_STACKPOINTER, D_TP_NAME, D_SET_USED, D_SET_MASK, D_SET_TABLE,
	D__COUNT,
};

/* Bits of PyASCIIObject.state: kind (3 bits) at shift, compact, ascii. */
struct dbg_str_bits {
	int kind_shift, compact_bit, ascii_bit;
};

/*
 * Everything pyflame knows about one minor version's _Py_DebugOffsets: where each field
 * sits in the struct, and the facts the struct does not carry.  This table is the only
 * place that knows which version has what; py_offsets__from_debug() reads a row and never
 * asks which version it is.  Adding a CPython: a row (citing the CPython changes it
 * follows), a blob in tests/test_unwind.c, and the real build in scripts/fetch-pythons.sh.
 */
struct dbg_layout {
	unsigned minor;
	size_t struct_size;		/* sizeof(_Py_DebugOffsets) */
	uint16_t at[D__COUNT];
	int holds_gil_bit;		/* GIL build: bit of tstate->_status that says it, or -1 */
	int64_t holds_gil;		/* GIL build: int tstate->holds_gil the struct omits, or N */
	uint64_t tag_mask, tag_mask_ft;	/* _PyStackRef tag bits of f_executable: GIL, FT build */
	struct dbg_str_bits str, str_ft;
	int64_t compact_extra;		/* sizeof(PyCompactUnicodeObject) - sizeof(PyASCIIObject)
					   when the struct does not give the former */
	int yield_from;			/* FRAME_SUSPENDED_YIELD_FROM, or 0: not known */
	int awaited_slot;		/* a coroutine in an await: stackpointer[-slot] */
	int64_t gen_iframe;		/* GIL build: PyGenObject.gi_iframe the struct omits,
					   or 0 */
	/* GIL build, no gen/set groups in the struct (3.13): --async=all's, or 0 */
	int64_t gen_frame_state, if_stacktop, if_localsplus, tp_name, set_used;
	int64_t exc_info;		/* GIL build: tstate->exc_info, which the struct omits */
};

/* The fields of 3.13 and 3.14 that did not move. */
#define DBG_HEAD [D_VERSION] = 8, [D_FREE_THREADED] = 16, \
	[D_RT_SIZE] = 24, [D_RT_FINALIZING] = 32, [D_RT_INTERPRETERS_HEAD] = 40, \
	[D_IS_SIZE] = 48, [D_IS_ID] = 56, [D_IS_NEXT] = 64, [D_IS_THREADS_HEAD] = 72
#define STR_BITS_312 { .kind_shift = 2, .compact_bit = 5, .ascii_bit = 6 }
/* 3.14t: state.interned became a whole byte (atomic access), the bit fields moved up. */
#define STR_BITS_314T { .kind_shift = 8, .compact_bit = 11, .ascii_bit = 12 }

static const struct dbg_layout dbg_layouts[] = {
	/*
	 * 3.13: _Py_DebugOffsets first shipped (gh-106597); the free-threaded fields came
	 * with gh-123041.  holds_gil is bit 5 of tstate->_status (gh-118727).  f_executable
	 * is a plain PyObject *; str state bits as 3.12 (3.13t too).
	 */
	{
		.minor = 13, .struct_size = 584,
		.at = {
			DBG_HEAD,
			[D_IS_CEVAL_GIL] = 112, [D_IS_GIL_STATE] = 120,
			[D_IS_GIL_ENABLED] = 128, [D_IS_GIL_LOCKED] = 136,
			[D_IS_GIL_HOLDER] = 144,
			[D_TS_SIZE] = 152, [D_TS_NEXT] = 168, [D_TS_INTERP] = 176,
			[D_TS_CURRENT_FRAME] = 184, [D_TS_THREAD_ID] = 192,
			[D_TS_NATIVE_THREAD_ID] = 200, [D_TS_DATASTACK_CHUNK] = 208,
			[D_TS_STATUS] = 216,
			[D_IF_SIZE] = 224, [D_IF_PREVIOUS] = 232, [D_IF_EXECUTABLE] = 240,
			[D_IF_INSTR_PTR] = 248, [D_IF_OWNER] = 264,
			[D_CO_SIZE] = 272, [D_CO_FILENAME] = 280, [D_CO_NAME] = 288,
			[D_CO_QUALNAME] = 296, [D_CO_LINETABLE] = 304, [D_CO_FIRSTLINENO] = 312,
			[D_CO_CODE_ADAPTIVE] = 344,
			[D_OB_SIZE] = 352, [D_OB_TYPE] = 360,
			[D_BYTES_SIZE] = 512, [D_BYTES_OB_SIZE] = 520, [D_BYTES_OB_SVAL] = 528,
			[D_STR_SIZE] = 536, [D_STR_STATE] = 544, [D_STR_LENGTH] = 552,
			[D_STR_ASCIIOBJECT_SIZE] = 560,
			[D_IS_GC] = 80, [D_GC_SIZE] = 568, [D_GC_COLLECTING] = 576,
			[D_IS_MODULES] = 88,
		},
		.holds_gil_bit = 5, .holds_gil = N,
		.tag_mask = 0, .tag_mask_ft = 0,
		.str = STR_BITS_312, .str_ft = STR_BITS_312,
		.compact_extra = 16,
		/* --async: no gen_object group before 3.14; DWARF of pyenv's 3.13.0 */
		.gen_iframe = 72,
		/* --async=all: as CORO_311(67) (PySetObject: used, mask, table follow) */
		.yield_from = -1, .awaited_slot = 1,
		.gen_frame_state = 67, .if_stacktop = 64, .if_localsplus = 72, .tp_name = 24,
		.set_used = 24,
		.exc_info = 120,
	},
	/*
	 * 3.14: interpreter_state gains threads_main, code_object_generation and
	 * tlbc_generation; interpreter_frame gains stackpointer and tlbc_index; code_object
	 * gains co_tlbc (thread-local bytecode, gh-115999); set, gen and llist_node groups,
	 * and debugger_support for PEP 768's sys.remote_exec (gh-131591).  holds_gil left
	 * _status for an int of its own at 36, which the struct does not give.
	 * f_executable is a tagged _PyStackRef: Py_TAG_BITS 3, 1 in the FT build.
	 */
	{
		.minor = 14, .struct_size = 760,
		.at = {
			DBG_HEAD,
			[D_IS_CEVAL_GIL] = 120, [D_IS_GIL_STATE] = 128,
			[D_IS_GIL_ENABLED] = 136, [D_IS_GIL_LOCKED] = 144,
			[D_IS_GIL_HOLDER] = 152, [D_IS_CODE_GEN] = 160,
			[D_TS_SIZE] = 176, [D_TS_NEXT] = 192, [D_TS_INTERP] = 200,
			[D_TS_CURRENT_FRAME] = 208, [D_TS_THREAD_ID] = 216,
			[D_TS_NATIVE_THREAD_ID] = 224, [D_TS_DATASTACK_CHUNK] = 232,
			[D_TS_STATUS] = 240,
			[D_IF_SIZE] = 248, [D_IF_PREVIOUS] = 256, [D_IF_EXECUTABLE] = 264,
			[D_IF_INSTR_PTR] = 272, [D_IF_OWNER] = 288, [D_IF_TLBC_INDEX] = 304,
			[D_CO_SIZE] = 312, [D_CO_FILENAME] = 320, [D_CO_NAME] = 328,
			[D_CO_QUALNAME] = 336, [D_CO_LINETABLE] = 344, [D_CO_FIRSTLINENO] = 352,
			[D_CO_CODE_ADAPTIVE] = 384, [D_CO_TLBC] = 392,
			[D_OB_SIZE] = 400, [D_OB_TYPE] = 408,
			[D_BYTES_SIZE] = 592, [D_BYTES_OB_SIZE] = 600, [D_BYTES_OB_SVAL] = 608,
			[D_STR_SIZE] = 616, [D_STR_STATE] = 624, [D_STR_LENGTH] = 632,
			[D_STR_ASCIIOBJECT_SIZE] = 640,
			[D_IS_GC] = 88, [D_GC_SIZE] = 648, [D_GC_COLLECTING] = 656,
			[D_GEN_IFRAME] = 680,
			[D_GEN_FRAME_STATE] = 688, [D_IF_STACKPOINTER] = 296, [D_TP_NAME] = 424,
			[D_SET_USED] = 504, [D_SET_TABLE] = 512, [D_SET_MASK] = 520,
		},
		.holds_gil_bit = -1, .holds_gil = 36,
		.tag_mask = 3, .tag_mask_ft = 1,
		.str = STR_BITS_312, .str_ft = STR_BITS_314T,
		.compact_extra = 16,
		/*
		 * FRAME_SUSPENDED_YIELD_FROM is -1 (3.13 renumbered the states); _PyGen_yf()
		 * takes the awaited object from stackpointer[-1].  Checked live on Debian's
		 * 3.14 (a coroutine's cr_await at that slot, tests/../bats/116-async.bats).
		 */
		.yield_from = -1, .awaited_slot = 1,
		.exc_info = 120,
	},
	/*
	 * 3.15: thread_state gains base_frame, last_profiled_frame and
	 * last_profiled_frame_seq after current_frame (profiling.sampling, gh-135953), and
	 * holds_gil, gil_requested, current_exception and exc_state after status (GIL
	 * contention markers, gh-139485); a new err_stackitem group follows it, so every
	 * later group moves.  type_object gains tp_basicsize and tp_dictoffset, a
	 * heap_type_object group follows; unicode_object gains compactunicodeobject_size;
	 * gc gains frame and generation stats.  Py_TAG_BITS is 3 in every build.
	 * Checked against Debian's 3.15.2 (PIE, non-PIE, debug, libpython3.15.so).
	 */
	{
		.minor = 15, .struct_size = 888,
		.at = {
			DBG_HEAD,
			[D_IS_CEVAL_GIL] = 120, [D_IS_GIL_STATE] = 128,
			[D_IS_GIL_ENABLED] = 136, [D_IS_GIL_LOCKED] = 144,
			[D_IS_GIL_HOLDER] = 152, [D_IS_CODE_GEN] = 160,
			[D_TS_SIZE] = 176, [D_TS_NEXT] = 192, [D_TS_INTERP] = 200,
			[D_TS_CURRENT_FRAME] = 208, [D_TS_THREAD_ID] = 240,
			[D_TS_NATIVE_THREAD_ID] = 248, [D_TS_DATASTACK_CHUNK] = 256,
			[D_TS_STATUS] = 264, [D_TS_HOLDS_GIL] = 272,
			[D_IF_SIZE] = 312, [D_IF_PREVIOUS] = 320, [D_IF_EXECUTABLE] = 328,
			[D_IF_INSTR_PTR] = 336, [D_IF_OWNER] = 352, [D_IF_TLBC_INDEX] = 368,
			[D_CO_SIZE] = 376, [D_CO_FILENAME] = 384, [D_CO_NAME] = 392,
			[D_CO_QUALNAME] = 400, [D_CO_LINETABLE] = 408, [D_CO_FIRSTLINENO] = 416,
			[D_CO_CODE_ADAPTIVE] = 448, [D_CO_TLBC] = 456,
			[D_OB_SIZE] = 464, [D_OB_TYPE] = 472,
			[D_BYTES_SIZE] = 688, [D_BYTES_OB_SIZE] = 696, [D_BYTES_OB_SVAL] = 704,
			[D_STR_SIZE] = 712, [D_STR_STATE] = 720, [D_STR_LENGTH] = 728,
			[D_STR_ASCIIOBJECT_SIZE] = 736, [D_STR_COMPACT_SIZE] = 744,
			[D_IS_GC] = 88, [D_GC_SIZE] = 752, [D_GC_COLLECTING] = 760,
			[D_GEN_IFRAME] = 808,
			[D_GEN_FRAME_STATE] = 816, [D_IF_STACKPOINTER] = 360, [D_TP_NAME] = 488,
			[D_SET_USED] = 600, [D_SET_TABLE] = 608, [D_SET_MASK] = 616,
		},
		.holds_gil_bit = -1, .holds_gil = N,
		.tag_mask = 3, .tag_mask_ft = 3,
		.str = STR_BITS_312, .str_ft = STR_BITS_314T,
		.compact_extra = N,
		/*
		 * The frame states were renumbered from 0 (FRAME_SUSPENDED_YIELD_FROM 2, a
		 * _LOCKED variant 3 for free-threaded builds), and a suspended await keeps
		 * the awaited object one slot deeper, at stackpointer[-2].  Checked live on
		 * Debian's 3.15.2 (cr_await at that slot; at [-1] it is not).
		 */
		.yield_from = 2, .awaited_slot = 2,
		.exc_info = 144,
	},
};

unsigned py_offsets__newest(void)
{
	return PY_VER(3, dbg_layouts[ARRAY_SIZE(dbg_layouts) - 1].minor);
}

size_t py_offsets__versions(unsigned *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		if (n < max)
			out[n++] = tables[i]->version;
	for (size_t i = 0; i < ARRAY_SIZE(dbg_layouts); i++)
		if (n < max)
			out[n++] = PY_VER(3, dbg_layouts[i].minor);
	return n;
}

/* Plausibility bounds for struct sizes read from the target. */
#define DBG_MAX_RUNTIME_SIZE	(16u << 20)
#define DBG_MAX_INTERP_SIZE	(16u << 20)
#define DBG_MAX_SMALL_SIZE	(64u << 10)	/* tstate */
#define DBG_MAX_OBJ_SIZE	4096u		/* frame, code, str, bytes headers */

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Does the field at offset v[f], width bytes wide, lie inside a struct of size bytes?  The
 * walker reads it from a buffer of exactly that size (a u64 for pointers and sizes).
 */
static int dbg_in_w(const uint64_t *v, enum dbg_field f, uint64_t size, uint64_t width)
{
	return v[f] < size && size - v[f] >= width;
}

static int dbg_in(const uint64_t *v, enum dbg_field f, uint64_t size)
{
	return dbg_in_w(v, f, size, 8);
}

int py_offsets__from_debug(const uint8_t *dbg, size_t len, struct py_offsets *out)
{
	const struct dbg_layout *l = NULL;
	const struct dbg_str_bits *bits;
	uint64_t v[D__COUNT];
	uint64_t version;
	unsigned major, minor;
	struct py_offsets o;

	if (!dbg || len < 16 || memcmp(dbg, "xdebugpy", 8) != 0)
		return -EINVAL;
	version = get_u64(dbg + 8);
	major = (version >> 24) & 0xff;
	minor = (version >> 16) & 0xff;
	if (major != 3 || minor < 13)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(dbg_layouts); i++)
		if (dbg_layouts[i].minor == minor)
			l = &dbg_layouts[i];
	if (!l)
		return -ENOTSUP;	/* newer than every row: see py_offsets__newest() */
	if (len < l->struct_size)
		return -EINVAL;
	for (int f = 0; f < D__COUNT; f++)
		v[f] = l->at[f] ? get_u64(dbg + l->at[f]) : (uint64_t)PYOFF_NONE;
	if (v[D_FREE_THREADED] > 1)
		return -EINVAL;

	/* Sizes must be sane and every offset inside its struct. */
	if (v[D_RT_SIZE] == 0 || v[D_RT_SIZE] > DBG_MAX_RUNTIME_SIZE ||
	    v[D_IS_SIZE] == 0 || v[D_IS_SIZE] > DBG_MAX_INTERP_SIZE ||
	    v[D_TS_SIZE] == 0 || v[D_TS_SIZE] > DBG_MAX_SMALL_SIZE ||
	    v[D_IF_SIZE] == 0 || v[D_IF_SIZE] > DBG_MAX_OBJ_SIZE ||
	    v[D_CO_SIZE] == 0 || v[D_CO_SIZE] > DBG_MAX_OBJ_SIZE ||
	    v[D_OB_SIZE] == 0 || v[D_OB_SIZE] > DBG_MAX_OBJ_SIZE ||
	    v[D_BYTES_SIZE] == 0 || v[D_BYTES_SIZE] > DBG_MAX_OBJ_SIZE ||
	    v[D_STR_SIZE] == 0 || v[D_STR_SIZE] > DBG_MAX_OBJ_SIZE)
		return -EINVAL;
	if (!dbg_in(v, D_RT_INTERPRETERS_HEAD, v[D_RT_SIZE]) ||
	    !dbg_in(v, D_RT_FINALIZING, v[D_RT_SIZE]) ||
	    !dbg_in(v, D_IS_ID, v[D_IS_SIZE]) || !dbg_in(v, D_IS_NEXT, v[D_IS_SIZE]) ||
	    !dbg_in(v, D_IS_THREADS_HEAD, v[D_IS_SIZE]) ||
	    !dbg_in(v, D_IS_CEVAL_GIL, v[D_IS_SIZE]) ||
	    !dbg_in(v, D_IS_GIL_STATE, v[D_IS_SIZE]) ||
	    !dbg_in(v, D_IS_GIL_LOCKED, v[D_IS_SIZE]) ||
	    !dbg_in(v, D_IS_GIL_HOLDER, v[D_IS_SIZE]) ||
	    !dbg_in(v, D_TS_NEXT, v[D_TS_SIZE]) || !dbg_in(v, D_TS_INTERP, v[D_TS_SIZE]) ||
	    !dbg_in(v, D_TS_CURRENT_FRAME, v[D_TS_SIZE]) ||
	    !dbg_in(v, D_TS_THREAD_ID, v[D_TS_SIZE]) ||
	    !dbg_in(v, D_TS_NATIVE_THREAD_ID, v[D_TS_SIZE]) ||
	    !dbg_in(v, D_TS_DATASTACK_CHUNK, v[D_TS_SIZE]) ||
	    !dbg_in_w(v, D_TS_STATUS, v[D_TS_SIZE], 4) ||
	    (l->at[D_TS_HOLDS_GIL] && !dbg_in_w(v, D_TS_HOLDS_GIL, v[D_TS_SIZE], 4)) ||
	    !dbg_in(v, D_IF_PREVIOUS, v[D_IF_SIZE]) ||
	    !dbg_in(v, D_IF_EXECUTABLE, v[D_IF_SIZE]) ||
	    !dbg_in(v, D_IF_INSTR_PTR, v[D_IF_SIZE]) ||
	    !dbg_in_w(v, D_IF_OWNER, v[D_IF_SIZE], 1) ||
	    !dbg_in(v, D_CO_FILENAME, v[D_CO_SIZE]) || !dbg_in(v, D_CO_NAME, v[D_CO_SIZE]) ||
	    !dbg_in(v, D_CO_QUALNAME, v[D_CO_SIZE]) ||
	    !dbg_in(v, D_CO_LINETABLE, v[D_CO_SIZE]) ||
	    !dbg_in_w(v, D_CO_FIRSTLINENO, v[D_CO_SIZE], 4) ||
	    v[D_CO_CODE_ADAPTIVE] > v[D_CO_SIZE] || v[D_CO_CODE_ADAPTIVE] < 16 ||
	    !dbg_in(v, D_OB_TYPE, v[D_OB_SIZE]) ||
	    !dbg_in(v, D_BYTES_OB_SIZE, v[D_BYTES_SIZE]) ||
	    v[D_BYTES_OB_SVAL] > v[D_BYTES_SIZE] ||
	    !dbg_in_w(v, D_STR_STATE, v[D_STR_SIZE], 4) ||
	    !dbg_in(v, D_STR_LENGTH, v[D_STR_SIZE]) ||
	    v[D_STR_ASCIIOBJECT_SIZE] > v[D_STR_SIZE] ||
	    (l->at[D_STR_COMPACT_SIZE] &&
	     (v[D_STR_COMPACT_SIZE] < v[D_STR_ASCIIOBJECT_SIZE] ||
	      !dbg_in(v, D_STR_COMPACT_SIZE, v[D_STR_SIZE]))))
		return -EINVAL;
	/* The GIL's fields relative to the _gil_runtime_state inside the interpreter. */
	if (v[D_IS_GIL_LOCKED] <= v[D_IS_GIL_STATE] || v[D_IS_GIL_HOLDER] <= v[D_IS_GIL_STATE] ||
	    v[D_IS_GIL_LOCKED] - v[D_IS_GIL_STATE] > 256 ||
	    v[D_IS_GIL_HOLDER] - v[D_IS_GIL_STATE] > 256)
		return -EINVAL;
	/* Free-threaded-only fields are 0 in GIL builds. */
	/* _co_firsttraceable is read 16 bytes before co_tlbc: see below. */
	if (v[D_CO_TLBC] != (uint64_t)PYOFF_NONE && v[D_CO_TLBC] != 0 &&
	    (!dbg_in(v, D_CO_TLBC, v[D_CO_SIZE]) || v[D_CO_TLBC] < 16))
		return -EINVAL;
	if (v[D_IF_TLBC_INDEX] != (uint64_t)PYOFF_NONE && v[D_IF_TLBC_INDEX] != 0 &&
	    !dbg_in_w(v, D_IF_TLBC_INDEX, v[D_IF_SIZE], 4))
		return -EINVAL;
	if (v[D_IS_CODE_GEN] != (uint64_t)PYOFF_NONE && v[D_IS_CODE_GEN] >= v[D_IS_SIZE])
		return -EINVAL;

	memset(&o, 0, sizeof(o));
	o.version = PY_VER(3, l->minor);
	o.frames = PY_FRAMES_INTERP;
	o.strings = PY_STR_PEP393;
	o.linetable = LINETABLE_311;
	o.free_threaded = (int)v[D_FREE_THREADED];

	o.runtime.interpreters_head = (int64_t)v[D_RT_INTERPRETERS_HEAD];
	o.runtime.finalizing = (int64_t)v[D_RT_FINALIZING];
	o.runtime.gil_locked = N;
	o.runtime.gil_last_holder = N;
	o.runtime.tstate_current = N;
	o.runtime.gc_collecting = N;

	o.interp.next = (int64_t)v[D_IS_NEXT];
	o.interp.threads_head = (int64_t)v[D_IS_THREADS_HEAD];
	o.interp.id = (int64_t)v[D_IS_ID];
	o.interp.ceval_gil = (int64_t)v[D_IS_CEVAL_GIL];
	o.interp.code_object_generation = (int64_t)v[D_IS_CODE_GEN];
	/*
	 * gc.collecting only marks samples <GC>: an implausible one turns that off rather
	 * than refusing the process.
	 */
	o.interp.gc_collecting = N;
	if (l->at[D_IS_GC] && v[D_GC_SIZE] && v[D_GC_SIZE] <= DBG_MAX_SMALL_SIZE &&
	    dbg_in_w(v, D_GC_COLLECTING, v[D_GC_SIZE], 4) && v[D_IS_GC] < v[D_IS_SIZE] &&
	    v[D_IS_SIZE] - v[D_IS_GC] >= v[D_GC_SIZE])
		o.interp.gc_collecting = (int64_t)(v[D_IS_GC] + v[D_GC_COLLECTING]);
	o.gil.last_holder = (int64_t)(v[D_IS_GIL_HOLDER] - v[D_IS_GIL_STATE]);
	o.gil.locked = (int64_t)(v[D_IS_GIL_LOCKED] - v[D_IS_GIL_STATE]);

	o.tstate.size = (int64_t)v[D_TS_SIZE];
	o.tstate.next = (int64_t)v[D_TS_NEXT];
	o.tstate.interp = (int64_t)v[D_TS_INTERP];
	o.tstate.frame = N;
	o.tstate.cframe = N;
	o.tstate.cframe_current_frame = N;
	o.tstate.current_frame = (int64_t)v[D_TS_CURRENT_FRAME];
	o.tstate.thread_id = (int64_t)v[D_TS_THREAD_ID];
	o.tstate.native_thread_id = (int64_t)v[D_TS_NATIVE_THREAD_ID];
	o.tstate.datastack_chunk = (int64_t)v[D_TS_DATASTACK_CHUNK];
	o.tstate.status = (int64_t)v[D_TS_STATUS];
	/* Where the struct does not say who holds the GIL, the row does (GIL builds). */
	o.tstate.holds_gil = N;
	o.tstate.holds_gil_bit = -1;
	if (l->at[D_TS_HOLDS_GIL])
		o.tstate.holds_gil = (int64_t)v[D_TS_HOLDS_GIL];
	else if (!o.free_threaded && l->holds_gil != N && o.tstate.size >= l->holds_gil + 4)
		o.tstate.holds_gil = l->holds_gil;
	if (!o.free_threaded)
		o.tstate.holds_gil_bit = l->holds_gil_bit;

	o.frame.back = N;
	o.frame.code = N;
	o.frame.lasti = N;
	o.frame.lasti_unit = 1;

	o.iframe.size = (int64_t)v[D_IF_SIZE];
	o.iframe.executable = (int64_t)v[D_IF_EXECUTABLE];
	o.iframe.previous = (int64_t)v[D_IF_PREVIOUS];
	o.iframe.instr_ptr = (int64_t)v[D_IF_INSTR_PTR];
	o.iframe.owner = (int64_t)v[D_IF_OWNER];
	o.iframe.is_entry = N;			/* entry frames are shims (owner CSTACK) */
	o.iframe.tlbc_index = (v[D_IF_TLBC_INDEX] && o.free_threaded) ?
			      (int64_t)v[D_IF_TLBC_INDEX] : N;
	o.iframe.tag_mask = o.free_threaded ? l->tag_mask_ft : l->tag_mask;
	o.iframe.shim_owner_min = 3;		/* CSTACK (3.13) / INTERPRETER (3.14+) and up */
	o.iframe.owner_generator = 1;

	o.code.size = (int64_t)v[D_CO_SIZE];
	o.code.firstlineno = (int64_t)v[D_CO_FIRSTLINENO];
	o.code.filename = (int64_t)v[D_CO_FILENAME];
	o.code.name = (int64_t)v[D_CO_NAME];
	o.code.qualname = (int64_t)v[D_CO_QUALNAME];
	o.code.linetable = (int64_t)v[D_CO_LINETABLE];
	o.code.code_adaptive = (int64_t)v[D_CO_CODE_ADAPTIVE];
	o.code.tlbc = (v[D_CO_TLBC] && o.free_threaded) ? (int64_t)v[D_CO_TLBC] : N;
	/*
	 * _co_firsttraceable (int) is followed by co_extra and (3.14t+) co_tlbc before
	 * co_code_adaptive: 3.13 184 = 200 - 16, 3.14 and 3.15 192 = 208 - 16.
	 */
	o.code.firsttraceable = (o.code.tlbc != N ? o.code.tlbc : o.code.code_adaptive) - 16;

	/* The coroutine's frame lies inside the object, past its header. */
	o.gen.iframe = N;
	if (l->at[D_GEN_IFRAME] && v[D_GEN_IFRAME] >= 16 && v[D_GEN_IFRAME] <= DBG_MAX_OBJ_SIZE)
		o.gen.iframe = (int64_t)v[D_GEN_IFRAME];
	else if (!l->at[D_GEN_IFRAME] && l->gen_iframe && !o.free_threaded)
		o.gen.iframe = l->gen_iframe;
	/* sys.modules, where --async finds _asyncio before 3.14 */
	o.interp.modules = N;
	if (l->at[D_IS_MODULES] && v[D_IS_MODULES] >= 8 && v[D_IS_MODULES] + 8 <= v[D_IS_SIZE])
		o.interp.modules = (int64_t)v[D_IS_MODULES];

	/* --async=all: a suspended coroutine's state and what it awaits */
	o.coro.frame_state = o.coro.stackpointer = o.coro.stacktop = o.coro.localsplus = N;
	o.coro.yield_from = o.coro.awaited_slot = 0;
	o.coro.tp_name = o.coro.set_used = o.coro.set_mask = o.coro.set_table = N;
	if (o.gen.iframe != N && l->awaited_slot && !l->at[D_GEN_FRAME_STATE] &&
	    l->gen_frame_state && !o.free_threaded) {
		o.coro.frame_state = l->gen_frame_state;
		o.coro.stacktop = l->if_stacktop;
		o.coro.localsplus = l->if_localsplus;
		o.coro.yield_from = l->yield_from;
		o.coro.awaited_slot = l->awaited_slot;
		o.coro.tp_name = l->tp_name;
		o.coro.set_used = l->set_used;
		o.coro.set_mask = l->set_used + 8;
		o.coro.set_table = l->set_used + 16;
	} else if (o.gen.iframe != N && l->awaited_slot && l->at[D_GEN_FRAME_STATE] &&
	    l->at[D_IF_STACKPOINTER] && v[D_GEN_FRAME_STATE] < (uint64_t)o.gen.iframe &&
	    v[D_IF_STACKPOINTER] + 8 <= v[D_IF_SIZE]) {
		o.coro.frame_state = (int64_t)v[D_GEN_FRAME_STATE];
		o.coro.stackpointer = (int64_t)v[D_IF_STACKPOINTER];
		o.coro.yield_from = l->yield_from;
		o.coro.awaited_slot = l->awaited_slot;
		if (l->at[D_TP_NAME] && v[D_TP_NAME] < DBG_MAX_SMALL_SIZE)
			o.coro.tp_name = (int64_t)v[D_TP_NAME];
		if (l->at[D_SET_TABLE] && v[D_SET_USED] < DBG_MAX_SMALL_SIZE &&
		    v[D_SET_MASK] < DBG_MAX_SMALL_SIZE && v[D_SET_TABLE] < DBG_MAX_SMALL_SIZE) {
			o.coro.set_used = (int64_t)v[D_SET_USED];
			o.coro.set_mask = (int64_t)v[D_SET_MASK];
			o.coro.set_table = (int64_t)v[D_SET_TABLE];
		}
	}

	/*
	 * --mode exception: the chain of handled exceptions (GIL builds; the rows hold no
	 * free-threaded layout of it).  tp_flags follows tp_name by 18 pointers.
	 */
	o.exc.ts_value = o.exc.ts_info = o.exc.item_value = o.exc.item_previous = N;
	o.exc.tp_flags = N;
	if (!o.free_threaded && l->exc_info && l->exc_info + 8 <= o.tstate.size) {
		o.exc.ts_info = l->exc_info;
		o.exc.item_value = 0;
		o.exc.item_previous = 8;
		o.exc.tp_flags = (l->at[D_TP_NAME] && v[D_TP_NAME] < DBG_MAX_OBJ_SIZE ?
				  (int64_t)v[D_TP_NAME] : 24) + 18 * 8;
	}

	o.obj.ob_type = (int64_t)v[D_OB_TYPE];
	o.obj.str_length = (int64_t)v[D_STR_LENGTH];
	o.obj.str_state = (int64_t)v[D_STR_STATE];
	o.obj.str_ascii_data = (int64_t)v[D_STR_ASCIIOBJECT_SIZE];
	/* Compact non-ASCII data follows PyCompactUnicodeObject; legacy data.any too. */
	o.obj.str_compact_data = l->at[D_STR_COMPACT_SIZE] ?
				 (int64_t)v[D_STR_COMPACT_SIZE] :
				 o.obj.str_ascii_data + l->compact_extra;
	o.obj.str_legacy_data = o.obj.str_compact_data;
	bits = o.free_threaded ? &l->str_ft : &l->str;
	o.obj.str_kind_shift = bits->kind_shift;
	o.obj.str_compact_bit = bits->compact_bit;
	o.obj.str_ascii_bit = bits->ascii_bit;
	o.obj.bytes_size = (int64_t)v[D_BYTES_OB_SIZE];
	o.obj.bytes_data = (int64_t)v[D_BYTES_OB_SVAL];

	*out = o;
	return 0;
}

/*
 * Read _Py_DebugOffsets: as much as we want, else up to the end of the page, else the size
 * of each known variant, largest first.
 */
static int read_debug_offsets(const struct remote *r, uint64_t addr, uint8_t *buf, size_t *len)
{
	size_t want[2 + ARRAY_SIZE(dbg_layouts)];
	int err = -EFAULT;

	want[0] = PY_DEBUG_OFFSETS_MAX;
	want[1] = 4096 - (size_t)(addr & 4095);
	for (size_t i = 0; i < ARRAY_SIZE(dbg_layouts); i++)
		want[2 + i] = dbg_layouts[ARRAY_SIZE(dbg_layouts) - 1 - i].struct_size;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		if (want[i] > PY_DEBUG_OFFSETS_MAX || want[i] < 16)
			continue;
		err = remote__read(r, addr, buf, want[i]);
		if (err == 0) {
			*len = want[i];
			return 0;
		}
		if (err == -ESRCH)
			return err;
	}
	return err;
}

int py_offsets__resolve(const struct remote *r, const struct pyruntime_loc *loc,
			struct py_offsets *out)
{
	uint64_t head_addr, head = 0;
	int err;

	if (loc->version >= PY_VER(3, 13)) {
		uint8_t buf[PY_DEBUG_OFFSETS_MAX];
		size_t len = 0;

		if (!loc->runtime_addr)
			return -EINVAL;
		err = read_debug_offsets(r, loc->runtime_addr, buf, &len);
		if (err)
			return err;
		err = py_offsets__from_debug(buf, len, out);
		if (err)
			return err;
		if (PY_VER_MINOR(out->version) != PY_VER_MINOR(loc->version))
			return -EINVAL;
	} else {
		const struct py_offsets *t = py_offsets__table(loc->version);

		if (!t)
			return -ENOTSUP;
		*out = *t;
	}

	if (out->runtime.interpreters_head != PYOFF_NONE) {
		if (!loc->runtime_addr)
			return -EINVAL;
		head_addr = loc->runtime_addr + (uint64_t)out->runtime.interpreters_head;
	} else {
		if (!loc->interp_head_addr)
			return -EINVAL;
		head_addr = loc->interp_head_addr;
	}
	err = remote__read(r, head_addr, &head, sizeof(head));
	if (err)
		return err;
	return head ? 0 : -EAGAIN;
}

/* --- _Py_AsyncioModuleDebugOffsets (3.14+) -------------------------------------------- */

/* Where each field sits in the struct (3.14 and 3.15 alike: seven task fields, then the
 * interpreter's and the thread's groups, all u64). */
enum {
	A_TASK_SIZE = 0, A_TASK_NAME = 8, A_TASK_AWAITED_BY = 16, A_TASK_AWAITED_BY_IS_SET = 32,
	A_TASK_CORO = 40, A_TASK_NODE = 48,
	A_TS_SIZE = 72, A_TS_RUNNING_TASK = 88, A_TS_TASKS_HEAD = 96,
};

/* A field of a task object: inside it, past the object header, room for a pointer. */
static int task_field_ok(int64_t off, int64_t size, int64_t width)
{
	return off >= 16 && off <= size - width;
}

int py_offsets__from_async_debug(const uint8_t *buf, size_t len, const struct py_offsets *o,
				 struct py_async_offsets *out)
{
	struct py_async_offsets a;

	if (o->version < PY_VER(3, 14) || o->gen.iframe == N)
		return -ENOTSUP;
	if (!buf || len < PY_ASYNC_DEBUG_SIZE)
		return -EINVAL;
	a.task_size = (int64_t)get_u64(buf + A_TASK_SIZE);
	a.task_name = (int64_t)get_u64(buf + A_TASK_NAME);
	a.task_coro = (int64_t)get_u64(buf + A_TASK_CORO);
	a.ts_size = (int64_t)get_u64(buf + A_TS_SIZE);
	a.ts_running_task = (int64_t)get_u64(buf + A_TS_RUNNING_TASK);
	a.task_awaited_by = (int64_t)get_u64(buf + A_TASK_AWAITED_BY);
	a.task_awaited_by_is_set = (int64_t)get_u64(buf + A_TASK_AWAITED_BY_IS_SET);
	a.task_node = (int64_t)get_u64(buf + A_TASK_NODE);
	a.ts_tasks_head = (int64_t)get_u64(buf + A_TS_TASKS_HEAD);
	/*
	 * TaskObj (Modules/_asynciomodule.c, 3.14 and 3.15): task_fut_waiter is declared
	 * right before task_coro, both PyObject *.  The struct does not give it; checked
	 * in the DWARF of Debian's 3.14 and 3.15 debug builds (gdb 'ptype/o TaskObj': 120
	 * and 128, release layout as the struct's values) and live (Task._fut_waiter).
	 */
	a.task_fut_waiter = a.task_coro - 8;
	a.md_dict = a.dict_used = a.dict_keys = a.dict_values = N;
	a.task_loop = a.task_state = a.task_callback0 = a.func_closure = N;
	a.ts_loop = a.ts_dict = a.holder_loop = a.obj_dict = a.obj_values = N;
	a.obj_values_tagged = 0;
	a.inline_values = a.values_head = a.tp_basicsize = a.tp_base = N;
	a.ht_cached_keys = a.wr_object = N;
	a.keys_log2_size = a.keys_log2_index_bytes = a.keys_kind = N;
	a.keys_nentries = a.keys_indices = N;
	if (a.task_size <= 16 || a.task_size > (int64_t)DBG_MAX_OBJ_SIZE ||
	    !task_field_ok(a.task_name, a.task_size, 8) ||
	    !task_field_ok(a.task_coro, a.task_size, 8) ||
	    a.ts_size < o->tstate.size || a.ts_size > (int64_t)DBG_MAX_SMALL_SIZE ||
	    a.ts_running_task < o->tstate.size || a.ts_running_task > a.ts_size - 8)
		return -EINVAL;
	/* what only --async=all reads: absent (N) when implausible */
	if (!task_field_ok(a.task_awaited_by, a.task_size, 8) ||
	    !task_field_ok(a.task_awaited_by_is_set, a.task_size, 1) ||
	    !task_field_ok(a.task_fut_waiter, a.task_size, 8) ||
	    !task_field_ok(a.task_node, a.task_size, 16) ||
	    a.ts_tasks_head < o->tstate.size || a.ts_tasks_head > a.ts_size - 16) {
		a.task_awaited_by = a.task_awaited_by_is_set = a.task_fut_waiter = N;
		a.task_node = a.ts_tasks_head = N;
	}
	*out = a;
	return 0;
}

/* --- _asyncio before 3.14: per-version tables -------------------------------------------- */

/*
 * TaskObj and what leads to current_tasks, as pyenv's 3.11.7, 3.12.1 and 3.13.0 builds'
 * DWARF has them (gdb on _asyncio.cpython-3XX*.so and libpython3.X.so: 'print
 * &((TaskObj *)0)->task_coro' ...).  3.13's FutureObj head is 16 bytes shorter, so the
 * task fields moved down 16 (TaskObj 176 -> 144 bytes).  The module and dict fields are
 * the same in all three (GIL builds: 3.13t's object header is longer).
 */
#define ASYNC_DICT_311 .md_dict = 16, .dict_used = 16, .dict_keys = 32, .dict_values = 40, \
	.keys_log2_size = 8, .keys_log2_index_bytes = 9, .keys_kind = 10, \
	.keys_nentries = 24, .keys_indices = 32
#define ASYNC_NO_314 .ts_size = N, .ts_running_task = N, .task_awaited_by = N, \
	.task_awaited_by_is_set = N, .task_node = N, .ts_tasks_head = N
/*
 * --async=all: FutureObj starts task_loop, task_callback0; PyFunctionObject.func_closure,
 * PyTypeObject.tp_basicsize and tp_base, PyWeakReference.wr_object did not move in
 * 3.11-3.13.  An instance's dict (Py_TPFLAGS_MANAGED_DICT) sits before its object header:
 * 3.11 the dict at -24 and the values at -32; 3.12 one tagged word at -24 (PyDictOrValues),
 * values - 1 (odd) or the dict; 3.13 the dict at -24, the values inline after the object,
 * at tp_basicsize, behind a 4-byte header padded to 8 (capacity, size, embedded, valid).
 * ht_cached_keys 872 (3.11), 880 (3.12, 3.13).  Checked live on all three (a WeakSet's
 * data).
 */
#define ASYNC_ALL_311 .task_loop = 16, .task_callback0 = 24, .func_closure = 72, \
	.tp_basicsize = 32, .tp_base = 256, .wr_object = 16, .obj_dict = -24

static const struct {
	unsigned version;
	struct py_async_offsets a;
} async_tables[] = {
	{ PY_VER(3, 11), { .task_size = 176, .task_fut_waiter = 128, .task_coro = 136,
			   .task_name = 144, ASYNC_NO_314, ASYNC_DICT_311,
			   ASYNC_ALL_311, .task_state = 88, .ts_loop = N, .ts_dict = 128,
			   .holder_loop = 16, .obj_values = -32, .obj_values_tagged = 0,
			   .inline_values = N, .values_head = 0, .ht_cached_keys = 872 } },
	{ PY_VER(3, 12), { .task_size = 176, .task_fut_waiter = 128, .task_coro = 136,
			   .task_name = 144, ASYNC_NO_314, ASYNC_DICT_311,
			   ASYNC_ALL_311, .task_state = 88, .ts_loop = N, .ts_dict = 112,
			   .holder_loop = N, .obj_values = N, .obj_values_tagged = 1,
			   .inline_values = N, .values_head = 0, .ht_cached_keys = 880 } },
	/* 3.13: the running loop left the thread's dict for _PyThreadStateImpl */
	{ PY_VER(3, 13), { .task_size = 144, .task_fut_waiter = 112, .task_coro = 120,
			   .task_name = 128, ASYNC_NO_314, ASYNC_DICT_311,
			   ASYNC_ALL_311, .task_state = 96, .ts_loop = 304, .ts_dict = N,
			   .holder_loop = N, .obj_values = N, .obj_values_tagged = 0,
			   .inline_values = 1, .values_head = 8, .ht_cached_keys = 880 } },
};

int py_offsets__async_table(const struct py_offsets *o, struct py_async_offsets *out)
{
	if (o->free_threaded || o->gen.iframe == N || o->interp.modules == N)
		return -ENOTSUP;
	for (size_t i = 0; i < ARRAY_SIZE(async_tables); i++) {
		if (async_tables[i].version == o->version) {
			*out = async_tables[i].a;
			return 0;
		}
	}
	return -ENOTSUP;
}

/* --- opcodes that call (--native-markers) ------------------------------------------------- */

/*
 * Per version, the call family's opcode numbers, as each build's opcode module gives them
 * (opcode.opmap with dis._all_opname's specialized ones on 3.11/3.12,
 * opcode._specialized_opmap from 3.13; tests/call_ops.py prints them): pyenv's 3.11.7,
 * 3.12.1, 3.13.0, Debian's 3.11.2, 3.14.10 and 3.15.2.  3.11 calls in PRECALL (its
 * specialized forms call builtins) or CALL.
 */
static const uint8_t call_ops_311[] = {
	22, 23, 24, 64, 65, 66, 67, 72, 73, 76, 77, 78, 79, 80, 81, 113, 121, 127, 141, 142,
	143, 166, 171,
};
static const uint8_t call_ops_312[] = {
	23, 24, 28, 29, 34, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 56, 142, 171, 241, 244,
};
static const uint8_t call_ops_313[] = {
	53, 54, 57, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176,
	177, 178, 179, 180, 181, 244, 245, 246,
};
static const uint8_t call_ops_314[] = {
	4, 52, 55, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157,
	158, 159, 160, 161, 162, 163, 164, 165, 250, 251, 252,
};
static const uint8_t call_ops_315[] = {
	4, 50, 53, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158,
	159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 249, 250, 251,
};

static const struct {
	unsigned version;
	const uint8_t *ops;
	size_t n;
} call_op_lists[] = {
	{ PY_VER(3, 11), call_ops_311, ARRAY_SIZE(call_ops_311) },
	{ PY_VER(3, 12), call_ops_312, ARRAY_SIZE(call_ops_312) },
	{ PY_VER(3, 13), call_ops_313, ARRAY_SIZE(call_ops_313) },
	{ PY_VER(3, 14), call_ops_314, ARRAY_SIZE(call_ops_314) },
	{ PY_VER(3, 15), call_ops_315, ARRAY_SIZE(call_ops_315) },
};

const uint8_t *py_offsets__call_ops(unsigned version)
{
	static uint8_t maps[ARRAY_SIZE(call_op_lists)][32];
	static int built;

	if (!built) {
		for (size_t i = 0; i < ARRAY_SIZE(call_op_lists); i++)
			for (size_t k = 0; k < call_op_lists[i].n; k++)
				maps[i][call_op_lists[i].ops[k] >> 3] |=
					(uint8_t)(1u << (call_op_lists[i].ops[k] & 7));
		built = 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(call_op_lists); i++)
		if (call_op_lists[i].version == version)
			return maps[i];
	return NULL;
}
