"""Check a pstats file with the pstats module of the Python running this script (2.7, 3.x).

usage: check_pstats.py FILE HOT OTHER SHARE TOL
  FILE loads with pstats.Stats; sorted by tottime, the first function is named HOT; the
  share of HOT's own time in HOT + OTHER's is SHARE within TOL; print_stats and
  print_callers run; HOT's caller is main.
"""
import io
import pstats
import sys

path, hot, other, share, tol = sys.argv[1:6]
share, tol = float(share), float(tol)

sink = io.BytesIO() if sys.version_info[0] == 2 else io.StringIO()
st = pstats.Stats(path, stream=sink)
st.sort_stats("tottime")
first = st.fcn_list[0]
assert first[2] == hot, "first by tottime is %r, not %r" % (first, hot)
st.print_stats(10)
st.print_callers(5)
st.print_callees(5)

tt = {}
for func, (cc, nc, t, ct, callers) in st.stats.items():
    if func[2] in (hot, other):
        assert func[2] not in tt, "two functions named %r" % func[2]
        tt[func[2]] = t
        assert cc > 0 and nc >= cc and ct >= t > 0, (func, cc, nc, t, ct)
        names = [c[2] for c in callers]
        assert names == ["main"], "callers of %r: %r" % (func, names)
got = tt[hot] / (tt[hot] + tt[other])
print("# %s: %.4f of the own time of %s + %s (expected %.4f +- %.2f)"
      % (sys.version.split()[0], got, hot, other, share, tol))
assert abs(got - share) <= tol, "share %.4f, expected %.4f +- %.2f" % (got, share, tol)
