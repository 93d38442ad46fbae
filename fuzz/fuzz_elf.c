/*
 * fuzz_elf.c - elf__from_memory over arbitrary bytes, then every lookup pyprobe makes.
 *
 * The image is an exact-size heap copy, so one byte read past it is an ASan report.  After
 * the direct lookups (the runtime symbols, the sections pyprobe scans, the first PT_LOAD,
 * initialised data by vaddr, DT_NEEDED), the same bytes go through pyprobe's own ELF logic
 * via a memfd, as pyprobe__inspect_file() would open a file from a target's maps.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "pyflame/elf.h"
#include "pyflame/pyprobe.h"

static const char *const symbols[] = {
	"_PyRuntime", "interp_head", "_PyThreadState_Current", "PyCode_Type",
	"_Py_NegativeRefcount", "PyString_Type", "PyUnicode_Type", "PyBytes_Type",
	"Py_Version", "Py_GetVersion", "main", "", "a",
};

static const char *const sections[] = {
	".PyRuntime", ".rodata", ".data", ".dynsym", ".symtab", ".dynamic", ".gnu.hash",
	".text", ".bss", "",
};

#define READ_MAX 4096

static void read_some(const struct elf *e, uint64_t vaddr, uint64_t len)
{
	static uint8_t buf[READ_MAX];

	if (len > READ_MAX)
		len = READ_MAX;
	(void)elf__read_vaddr(e, vaddr, buf, (size_t)len);
	(void)elf__read_vaddr(e, vaddr, buf, 0);
	(void)elf__read_vaddr(e, vaddr, buf, 1);
}

static void lookups(const struct elf *e, uint64_t probe)
{
	uint64_t v, sz;

	(void)elf__type(e);
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		if (elf__symbol(e, symbols[i], &v, &sz) == 0)
			read_some(e, v, sz ? sz : 16);
		(void)elf__symbol(e, symbols[i], NULL, NULL);
	}
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (elf__section(e, sections[i], &v, &sz) == 0)
			read_some(e, v, sz);
		(void)elf__section(e, sections[i], NULL, NULL);
	}
	if (elf__first_load_vaddr(e, &v) == 0)
		read_some(e, v, 64);
	read_some(e, probe, 8);
	read_some(e, UINT64_MAX - 3, 8);
	(void)elf__needs(e, "libpython");
	(void)elf__needs(e, "");
}

/* pyprobe's view of the same bytes, through a file as in real use. */
static void inspect(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct pyruntime_loc loc;

	if (fd < 0) {
		fd = memfd_create("fuzz_elf", MFD_CLOEXEC);
		if (fd < 0)
			return;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		return;
	(void)pyprobe__inspect_file(path, "libpython3.11.so.1.0", &loc);
	(void)pyprobe__inspect_file(path, "python", &loc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	uint64_t probe = 0;
	struct elf *e;

	if (size)
		memcpy(copy, data, size);
	if (size >= 8)
		memcpy(&probe, data + size - 8, 8);
	e = elf__from_memory(copy, size);
	if (e) {
		lookups(e, probe);
		elf__free(e);
		inspect(data, size);
	}
	/* An odd address: nothing may depend on the buffer's alignment. */
	if (size > 1) {
		uint8_t *odd = malloc(size);

		memcpy(odd + 1, data, size - 1);
		e = elf__from_memory(odd + 1, size - 1);
		if (e) {
			lookups(e, probe);
			elf__free(e);
		}
		free(odd);
	}
	free(copy);
	return 0;
}
