"""A subinterpreter running sub_hot() on the main thread for 1.5 s (3.12+).

Its code is named <string> by run_string (3.12, 3.13) and <script> by exec (3.14+).
"""
try:
    import _interpreters as interpreters
except ImportError:
    import _xxsubinterpreters as interpreters
code = """
import time
def sub_hot():
    e = time.time() + 1.5
    while time.time() < e: pass
sub_hot()
"""
iid = interpreters.create()
if hasattr(interpreters, "run_string"):
    interpreters.run_string(iid, code)
else:
    interpreters.exec(iid, code)
