# call_ops.py - the call-family opcode numbers of the running interpreter (3.11+), as
# pyoffsets.c's call_ops_3XX lists hold them (--native-markers):
#
#   python3.X tests/call_ops.py
#
# CALL, PRECALL (3.11), CALL_KW, CALL_FUNCTION_EX and their specialized and instrumented
# forms; CALL_INTRINSIC_* are not calls of Python-visible callables and are left out.
import opcode
import sys

ops = dict(opcode.opmap)
ops.update(getattr(opcode, "_specialized_opmap", {}))      # 3.13+
if sys.version_info < (3, 13):
    import dis
    for i, n in enumerate(getattr(dis, "_all_opname", [])):  # 3.11, 3.12 specializations
        if n and not n.startswith("<"):
            ops[n] = i
fam = sorted(v for k, v in ops.items()
             if k.startswith(("CALL", "PRECALL", "INSTRUMENTED_CALL")) and "INTRINSIC" not in k)
print("%d.%d" % sys.version_info[:2], ", ".join(map(str, fam)))
