/* --native target: md_hidden is a local function, named only by a MiniDebugInfo (141). */
__attribute__((noinline)) static long md_hidden(long n)
{
	volatile long x = 0;

	for (long i = 0; i < n; i++)
		x += i;
	return x;
}

long md_entry(long n)
{
	return md_hidden(n) + 1;
}
