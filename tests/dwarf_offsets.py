# dwarf_offsets.py - every number of pyflame's struct py_offsets, read from DWARF by gdb.
#
#   PYFLAME_PYVER=3.12 gdb -batch -nx -ex 'source tests/dwarf_offsets.py' LIBPYTHON
#
# With PYFLAME_LIST_FIELDS=1, run against a pyflame binary built with -g instead, it lists
# struct py_offsets' members ("member <field>", "unmapped" after those MAP lacks).
#
# PYFLAME_PYVER (major.minor) is optional: without it the version comes from Py_Version
# (3.11+) or the file name.  Output, one line each:
#
#   version 3.12                 the layout table used
#   nodebug <why>                the file has no usable debug info (then nothing else)
#   <field> <value> <what>       the value pyflame's table must hold (-1 = PYOFF_NONE, absent)
#                                and the C expression it came from
#   <field> error <message>      the mapping names something this DWARF lacks (a test failure)
#   # skip <field>: <reason>     not a fact DWARF can state; not compared
#
# <field> is the member path in struct py_offsets (include/pyflame/pyoffsets.h).  What each
# field is in C is the data in MAP below, by version range; the code only evaluates it.

import os
import re

import gdb

# Spec forms (T is any C type expression gdb understands, M a member path "a.b.c"):
#   ("off", T, M)         offsetof(T, M)
#   ("off?", T, M)        offsetof(T, M), or -1 if T has no such member
#   ("size", T)           sizeof(T)
#   ("bit", T, M)         bit position of bitfield M inside the (anonymous) struct holding it
#   ("enum", NAME, DFLT)  value of enumerator NAME; DFLT (or an error if None) when absent
#   ("has", T, M)         1 if T has member M, else 0
#   ("none",)             the field does not exist in this version: pyflame holds -1
#   ("gil", GIL, FT)      spec GIL in a default build, spec FT in a free-threaded one
#   ("skip", REASON)      not in DWARF (a macro, a convention or pyflame's own choice)
#
# MAP: field -> [((first_version), (last_version), spec), ...]; the first range holding the
# version wins.  A version no range holds is an error: every field must be accounted for.
# The 3.14+ rows hold for Debian's 3.14.10 and 3.15.2 debug builds (scripts/fetch-pythons.sh).

V27, V36, V37, V38, V39, V310, V311, V312, V313, V314 = (
	(2, 7), (3, 6), (3, 7), (3, 8), (3, 9), (3, 10), (3, 11), (3, 12), (3, 13), (3, 14))
ALL = ((2, 7), (3, 99))
LATEST = (3, 99)

RT = "_PyRuntimeState"
IS = "PyInterpreterState"
TS = "PyThreadState"
FO = "PyFrameObject"
IF = "_PyInterpreterFrame"
CO = "PyCodeObject"
GIL = "struct _gil_runtime_state"


def skip(reason):
	return [(ALL[0], ALL[1], ("skip", reason))]


MAP = {
	"version": skip("the table's key, not a layout"),
	"frames": skip("pyflame's frame model (enum py_frame_model), a choice by version"),
	"strings": skip("pyflame's string model (enum py_str_model), a choice by version"),
	"linetable": skip("line table format (enum linetable_kind): bytecode semantics, not DWARF"),
	"free_threaded": [(ALL[0], ALL[1], ("has", "PyObject", "ob_tid"))],

	"runtime.interpreters_head": [
		(V27, V36, ("none",)),
		(V37, LATEST, ("off", RT, "interpreters.head"))],
	"runtime.finalizing": [
		(V27, V36, ("none",)),
		(V37, V38, ("off", RT, "finalizing")),
		(V39, LATEST, ("off", RT, "_finalizing"))],
	"runtime.gil_locked": [
		(V27, V36, ("none",)),
		(V37, V311, ("off", RT, "ceval.gil.locked")),
		(V312, LATEST, ("none",))],
	"runtime.gil_last_holder": [
		(V27, V36, ("none",)),
		(V37, V311, ("off", RT, "ceval.gil.last_holder")),
		(V312, LATEST, ("none",))],
	"runtime.tstate_current": [
		(V27, V36, ("none",)),
		(V37, V311, ("off", RT, "gilstate.tstate_current")),
		(V312, LATEST, ("none",))],

	# 2.7 and 3.6: a static in gcmodule.c, not a struct member
	"runtime.gc_collecting": [
		(V27, V36, ("none",)),
		(V37, V38, ("off", RT, "gc.collecting")),
		(V39, LATEST, ("none",))],

	"interp.next": [(ALL[0], ALL[1], ("off", IS, "next"))],
	"interp.threads_head": [
		(V27, V310, ("off", IS, "tstate_head")),
		(V311, LATEST, ("off", IS, "threads.head"))],
	"interp.id": [
		(V27, V36, ("none",)),
		(V37, LATEST, ("off", IS, "id"))],
	"interp.ceval_gil": [
		(V27, V311, ("none",)),
		(V312, LATEST, ("off", IS, "ceval.gil"))],
	"interp.code_object_generation": [
		(V27, V313, ("none",)),
		(V314, LATEST, ("off", IS, "_code_object_generation"))],
	"interp.gc_collecting": [
		(V27, V38, ("none",)),
		(V39, LATEST, ("off", IS, "gc.collecting"))],
	# sys.modules: --async's way to _asyncio's current_tasks before 3.14 (3.14+ do not
	# need it: the running task is in the thread state)
	"interp.modules": [
		(V27, V310, ("none",)),
		(V311, V311, ("off", IS, "modules")),
		(V312, V313, ("off", IS, "imports.modules")),
		(V314, LATEST, ("none",))],

	"gil.last_holder": [
		(V27, V311, ("none",)),
		(V312, LATEST, ("off", GIL, "last_holder"))],
	"gil.locked": [
		(V27, V311, ("none",)),
		(V312, LATEST, ("off", GIL, "locked"))],

	"tstate.size": [(ALL[0], ALL[1], ("size", TS))],
	"tstate.next": [(ALL[0], ALL[1], ("off", TS, "next"))],
	"tstate.interp": [(ALL[0], ALL[1], ("off", TS, "interp"))],
	# 3.10 has tstate->cframe too, but its frames are found through tstate->frame.
	"tstate.frame": [
		(V27, V310, ("off", TS, "frame")),
		(V311, LATEST, ("none",))],
	"tstate.cframe": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", TS, "cframe")),
		(V313, LATEST, ("none",))],
	"tstate.cframe_current_frame": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", "_PyCFrame", "current_frame")),
		(V313, LATEST, ("none",))],
	"tstate.current_frame": [
		(V27, V312, ("none",)),
		(V313, LATEST, ("off", TS, "current_frame"))],
	"tstate.thread_id": [(ALL[0], ALL[1], ("off", TS, "thread_id"))],
	"tstate.native_thread_id": [
		(V27, V310, ("none",)),
		(V311, LATEST, ("off", TS, "native_thread_id"))],
	"tstate.datastack_chunk": [
		(V27, V310, ("none",)),
		(V311, LATEST, ("off", TS, "datastack_chunk"))],
	"tstate.status": [
		(V27, V311, ("none",)),
		(V312, LATEST, ("off", TS, "_status"))],
	# pyflame reads holds_gil in GIL builds only (reference section 2.3)
	"tstate.holds_gil": [
		(V27, V313, ("none",)),
		(V314, LATEST, ("gil", ("off", TS, "holds_gil"), ("none",)))],
	"tstate.holds_gil_bit": [
		(V27, V312, ("none",)),
		(V313, V313, ("gil", ("bit", TS, "_status.holds_gil"), ("none",))),
		(V314, LATEST, ("none",))],

	"frame.back": [
		(V27, V310, ("off", FO, "f_back")),
		(V311, LATEST, ("none",))],
	"frame.code": [
		(V27, V310, ("off", FO, "f_code")),
		(V311, LATEST, ("none",))],
	"frame.lasti": [
		(V27, V310, ("off", FO, "f_lasti")),
		(V311, LATEST, ("none",))],
	"frame.lasti_unit": skip("bytes per f_lasti unit (2 on 3.10): semantics, not layout"),

	"iframe.size": [
		(V27, V310, ("none",)),
		(V311, LATEST, ("size", IF))],
	"iframe.executable": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", IF, "f_code")),
		(V313, LATEST, ("off", IF, "f_executable"))],
	"iframe.previous": [
		(V27, V310, ("none",)),
		(V311, LATEST, ("off", IF, "previous"))],
	"iframe.instr_ptr": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", IF, "prev_instr")),
		(V313, LATEST, ("off", IF, "instr_ptr"))],
	"iframe.owner": [
		(V27, V310, ("none",)),
		(V311, LATEST, ("off", IF, "owner"))],
	"iframe.is_entry": [
		(V27, V310, ("none",)),
		(V311, V311, ("off", IF, "is_entry")),
		(V312, LATEST, ("none",))],		# entry frames are shims from 3.12
	"iframe.tlbc_index": [
		(V27, V313, ("none",)),
		(V314, LATEST, ("off?", IF, "tlbc_index"))],	# free-threaded builds only
	"iframe.tag_mask": skip("_PyStackRef tag bits (Py_TAG_BITS) are a macro"),
	"iframe.shim_owner_min": [
		(V27, V310, ("skip", "no _PyInterpreterFrame before 3.11; value unused")),
		(V311, V313, ("enum", "FRAME_OWNED_BY_CSTACK", 0)),	# 3.11 has none: 0
		(V314, LATEST, ("enum", "FRAME_OWNED_BY_INTERPRETER", None))],
	"iframe.owner_generator": [
		(V27, V310, ("skip", "no _PyInterpreterFrame before 3.11; value unused")),
		(V311, LATEST, ("enum", "FRAME_OWNED_BY_GENERATOR", None))],

	"code.size": [(ALL[0], ALL[1], ("size", CO))],
	"code.firstlineno": [(ALL[0], ALL[1], ("off", CO, "co_firstlineno"))],
	"code.filename": [(ALL[0], ALL[1], ("off", CO, "co_filename"))],
	"code.name": [(ALL[0], ALL[1], ("off", CO, "co_name"))],
	"code.qualname": [
		(V27, V310, ("none",)),
		(V311, LATEST, ("off", CO, "co_qualname"))],
	"code.linetable": [
		(V27, V39, ("off", CO, "co_lnotab")),
		(V310, LATEST, ("off", CO, "co_linetable"))],
	"code.firsttraceable": [
		(V27, V310, ("none",)),
		(V311, LATEST, ("off", CO, "_co_firsttraceable"))],
	"code.code_adaptive": [
		(V27, V310, ("none",)),
		(V311, LATEST, ("off", CO, "co_code_adaptive"))],
	"code.tlbc": [
		(V27, V313, ("none",)),
		(V314, LATEST, ("off?", CO, "co_tlbc"))],		# free-threaded builds only

	# --async reads coroutine frames from 3.11 (3.13t: not known, no --async)
	"gen.iframe": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", "PyGenObject", "gi_iframe")),
		(V313, V313, ("gil", ("off", "PyGenObject", "gi_iframe"), ("none",))),
		(V314, LATEST, ("off", "PyGenObject", "gi_iframe"))],

	# --async=all: a suspended coroutine and what it awaits (3.14+ from _Py_DebugOffsets,
	# 3.11-3.13 tables; 3.13t: no coroutine frame offset, no --async)
	"coro.frame_state": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", "PyGenObject", "gi_frame_state")),
		(V313, V313, ("gil", ("off", "PyGenObject", "gi_frame_state"), ("none",))),
		(V314, LATEST, ("off", "PyGenObject", "gi_frame_state"))],
	"coro.stackpointer": [
		(V27, V313, ("none",)),
		(V314, LATEST, ("off", IF, "stackpointer"))],
	"coro.stacktop": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", IF, "stacktop")),
		(V313, V313, ("gil", ("off", IF, "stacktop"), ("none",))),
		(V314, LATEST, ("none",))],
	"coro.localsplus": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", IF, "localsplus")),
		(V313, V313, ("gil", ("off", IF, "localsplus"), ("none",))),
		(V314, LATEST, ("none",))],
	"coro.yield_from": [
		(V27, V310, ("skip", "not read before 3.11; value unused")),
		(V311, V312, ("enum", "FRAME_SUSPENDED", None)),
		(V313, V313, ("gil", ("enum", "FRAME_SUSPENDED_YIELD_FROM", None),
			      ("skip", "3.13t: no --async=all"))),
		(V314, LATEST, ("enum", "FRAME_SUSPENDED_YIELD_FROM", None))],
	"coro.awaited_slot": skip("which stack slot _PyGen_yf() reads: code, not layout (checked live)"),
	"coro.tp_name": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", "PyTypeObject", "tp_name")),
		(V313, V313, ("gil", ("off", "PyTypeObject", "tp_name"), ("none",))),
		(V314, LATEST, ("off", "PyTypeObject", "tp_name"))],
	"coro.set_used": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", "PySetObject", "used")),
		(V313, V313, ("gil", ("off", "PySetObject", "used"), ("none",))),
		(V314, LATEST, ("off", "PySetObject", "used"))],
	"coro.set_mask": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", "PySetObject", "mask")),
		(V313, V313, ("gil", ("off", "PySetObject", "mask"), ("none",))),
		(V314, LATEST, ("off", "PySetObject", "mask"))],
	"coro.set_table": [
		(V27, V310, ("none",)),
		(V311, V312, ("off", "PySetObject", "table")),
		(V313, V313, ("gil", ("off", "PySetObject", "table"), ("none",))),
		(V314, LATEST, ("off", "PySetObject", "table"))],

	# --mode exception: read in GIL builds only from 3.13 (the rows of _Py_DebugOffsets
	# layouts hold no free-threaded exc_info)
	"exc.ts_value": [
		(V27, V36, ("off", TS, "exc_value")),
		(V37, LATEST, ("none",))],
	"exc.ts_info": [
		(V27, V36, ("none",)),
		(V37, V312, ("off", TS, "exc_info")),
		(V313, LATEST, ("gil", ("off", TS, "exc_info"), ("none",)))],
	"exc.item_value": [
		(V27, V36, ("none",)),
		(V37, V312, ("off", "_PyErr_StackItem", "exc_value")),
		(V313, LATEST, ("gil", ("off", "_PyErr_StackItem", "exc_value"), ("none",)))],
	"exc.item_previous": [
		(V27, V36, ("none",)),
		(V37, V312, ("off", "_PyErr_StackItem", "previous_item")),
		(V313, LATEST, ("gil", ("off", "_PyErr_StackItem", "previous_item"), ("none",)))],
	"exc.tp_flags": [
		(V27, V312, ("off", "PyTypeObject", "tp_flags")),
		(V313, LATEST, ("gil", ("off", "PyTypeObject", "tp_flags"), ("none",)))],

	"obj.ob_type": [(ALL[0], ALL[1], ("off", "PyObject", "ob_type"))],
	"obj.str_length": [
		(V27, V27, ("off", "PyStringObject", "ob_size")),
		(V36, LATEST, ("off", "PyASCIIObject", "length"))],
	"obj.str_state": [
		(V27, V27, ("none",)),
		(V36, LATEST, ("off", "PyASCIIObject", "state"))],
	"obj.str_ascii_data": [
		(V27, V27, ("off", "PyStringObject", "ob_sval")),
		(V36, LATEST, ("size", "PyASCIIObject"))],
	"obj.str_compact_data": [
		(V27, V27, ("none",)),
		(V36, LATEST, ("size", "PyCompactUnicodeObject"))],
	"obj.str_legacy_data": [
		(V27, V27, ("none",)),
		(V36, LATEST, ("off", "PyUnicodeObject", "data"))],
	"obj.str_kind_shift": [
		(V27, V27, ("skip", "2.7 str has no state bitfield; value unused")),
		(V36, LATEST, ("bit", "PyASCIIObject", "state.kind"))],
	"obj.str_compact_bit": [
		(V27, V27, ("skip", "2.7 str has no state bitfield; value unused")),
		(V36, LATEST, ("bit", "PyASCIIObject", "state.compact"))],
	"obj.str_ascii_bit": [
		(V27, V27, ("skip", "2.7 str has no state bitfield; value unused")),
		(V36, LATEST, ("bit", "PyASCIIObject", "state.ascii"))],
	"obj.bytes_size": [
		(V27, V27, ("off", "PyStringObject", "ob_size")),
		(V36, LATEST, ("off", "PyBytesObject", "ob_base.ob_size"))],
	"obj.bytes_data": [
		(V27, V27, ("off", "PyStringObject", "ob_sval")),
		(V36, LATEST, ("off", "PyBytesObject", "ob_sval"))],
}


class Missing(Exception):
	pass


TYPES = {}


def struct_type(texpr):
	"""The type texpr names, typedefs stripped.  gdb.lookup_type finds "struct tag" types
	much faster than the expression parser does (0.3 s against 4 s on libpython3.13)."""
	if texpr not in TYPES:
		try:
			TYPES[texpr] = gdb.lookup_type(texpr).strip_typedefs()
		except gdb.error:
			try:
				t = gdb.parse_and_eval("(%s *)0" % texpr).type.target()
				TYPES[texpr] = t.strip_typedefs()
			except gdb.error as e:
				raise Missing("no type %s (%s)" % (texpr, e))
	return TYPES[texpr]


def member(t, name):
	"""The gdb.Field called name in struct t (typedefs stripped)."""
	for f in t.fields():
		if f.name == name:
			return f
	raise Missing("%s has no member %s" % (t, name))


def walk(texpr, path):
	"""The gdb.Field at the end of path, and its bit offset from the start of texpr."""
	t = struct_type(texpr)
	f = None
	bits = 0
	for name in path.split("."):
		if f is not None:
			t = f.type.strip_typedefs()
		f = member(t, name)
		bits += f.bitpos
	return f, bits


def offsetof(texpr, path):
	"""offsetof(texpr, path): what "print (long)&((texpr *)0)->path" prints."""
	f, bits = walk(texpr, path)
	if f.bitsize or bits % 8:
		raise Missing("%s.%s is a bitfield" % (texpr, path))
	return bits // 8


def free_threaded():
	try:
		walk("PyObject", "ob_tid")
		return True
	except Missing:
		return False


def evaluate(spec):
	kind = spec[0]
	if kind == "gil":
		return evaluate(spec[2] if free_threaded() else spec[1])
	if kind == "none":
		return -1
	if kind == "off":
		return offsetof(spec[1], spec[2])
	if kind == "off?":
		try:
			walk(spec[1], spec[2])
		except Missing:
			return -1
		return offsetof(spec[1], spec[2])
	if kind == "size":
		return struct_type(spec[1]).sizeof
	if kind == "bit":
		# bitpos of the last member: relative to the struct that directly holds it
		f = walk(spec[1], spec[2])[0]
		if not f.bitsize:
			raise Missing("%s.%s is not a bitfield" % (spec[1], spec[2]))
		return f.bitpos
	if kind == "has":
		try:
			walk(spec[1], spec[2])
			return 1
		except Missing:
			return 0
	if kind == "enum":
		try:
			return int(gdb.parse_and_eval("(long)%s" % spec[1]))
		except gdb.error as e:
			if spec[2] is None:
				raise Missing("no enumerator %s (%s)" % (spec[1], e))
			return spec[2]
	raise Missing("bad spec %r" % (spec,))


def describe(spec):
	kind = spec[0]
	if kind == "gil":
		return describe(spec[2] if free_threaded() else spec[1])
	if kind in ("off", "off?"):
		return "offsetof(%s, %s)%s" % (spec[1], spec[2], " or -1" if kind == "off?" else "")
	if kind == "size":
		return "sizeof(%s)" % spec[1]
	if kind == "bit":
		return "bit of %s.%s" % (spec[1], spec[2])
	if kind == "has":
		return "has %s.%s" % (spec[1], spec[2])
	if kind == "enum":
		return spec[1] if spec[2] is None else "%s or %d" % (spec[1], spec[2])
	return "absent in this version"


def find_version():
	v = os.environ.get("PYFLAME_PYVER", "")
	m = re.match(r"^(\d+)\.(\d+)", v)
	if m:
		return int(m.group(1)), int(m.group(2))
	try:
		hexv = int(gdb.parse_and_eval("(unsigned long)Py_Version"))
		if hexv >> 24 in (2, 3):
			return hexv >> 24, (hexv >> 16) & 0xff
	except gdb.error:
		pass
	for objfile in gdb.objfiles():
		m = re.search(r"python(\d)\.(\d+)", os.path.basename(objfile.filename))
		if m:
			return int(m.group(1)), int(m.group(2))
	return None


def list_fields(t, prefix, out):
	"""Leaf member paths of struct t, as MAP names them."""
	for f in t.fields():
		ft = f.type.strip_typedefs()
		if ft.code == gdb.TYPE_CODE_STRUCT:
			list_fields(ft, prefix + f.name + ".", out)
		else:
			out.append(prefix + f.name)


def main():
	out = []
	if os.environ.get("PYFLAME_LIST_FIELDS"):
		# Run against a pyflame binary: is every member of struct py_offsets in MAP?
		try:
			list_fields(struct_type("struct py_offsets"), "", out)
		except Missing as e:
			print("nodebug %s" % e)
			return
		for name in out:
			print("member %s%s" % (name, "" if name in MAP else " unmapped"))
		return
	version = find_version()
	try:
		struct_type("PyObject")
		struct_type(TS)
	except Missing as e:
		print("nodebug %s" % e)
		return
	if version is None:
		print("nodebug cannot tell the Python version (set PYFLAME_PYVER)")
		return
	out.append("version %d.%d" % version)
	for field in sorted(MAP):
		spec = None
		for first, last, s in MAP[field]:
			if first <= version <= last:
				spec = s
				break
		if spec is None:
			out.append("%s error no mapping for %d.%d" % ((field,) + version))
		elif spec[0] == "skip":
			out.append("# skip %s: %s" % (field, spec[1]))
		else:
			try:
				out.append("%s %d %s" % (field, evaluate(spec), describe(spec)))
			except (Missing, gdb.error) as e:
				out.append("%s error %s" % (field, str(e).replace("\n", " ")))
	print("\n".join(out))


main()
