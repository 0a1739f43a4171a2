/* test_spool - a message past SPOOL_MEM and the shared SPOOL_BUDGET goes to
 * disk encrypted, comes back whole */
#include "testutil.h"
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include "../../milter/spool.h"

static char dir[64];

static int
setup(void **state)
{
	struct em_err err;

	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/em-spool-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	return spool_lib_init(&err);
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(dir);	/* fails unless the spool left nothing behind */
}

/* text - n bytes of recognisable plain text */
static char *
text(size_t n)
{
	static const char line[] = "EMBARGOED UNTIL 2026-12-01 12:00 UTC: the "
	    "hypervisor trusts a guest-controlled index.\r\n";
	char *p = xmalloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = line[i % (sizeof(line) - 1)];
	return p;
}

static void
t_small_stays_in_memory(void **st)
{
	struct spool sp;
	struct buf out;
	struct em_err err;
	char *p = text(1000);

	(void)st;
	spool_init(&sp);
	buf_init(&out);
	spool_add(&sp, dir, p, 1000);
	assert_false(spool_on_disk(&sp));
	assert_int_equal(spool_take(&sp, &out, &err), EM_OK);
	assert_int_equal(out.len, 1000);
	assert_memory_equal(out.data, p, 1000);
	spool_reset(&sp);
	buf_free(&out);
	free(p);
}

static void
t_large_goes_to_disk_sealed(void **st)
{
	size_t n = SPOOL_MEM + SPOOL_BUDGET + 12345, off = 0, step = 1;
	struct spool sp;
	struct buf out, disk;
	struct em_err err;
	char *p = text(n), fdpath[64], chunk[4096];
	int fd;
	ssize_t r;

	(void)st;
	spool_init(&sp);
	buf_init(&out);
	buf_init(&disk);
	while (off < n) {	/* chunks of every size, as libmilter's vary */
		size_t k = step < n - off ? step : n - off;

		spool_add(&sp, dir, p + off, k);
		off += k;
		step = step * 3 + 1;
	}
	assert_true(spool_on_disk(&sp));
	/* What rests on disk: every byte, none of them the plain text. */
	(void)snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", sp.fd);
	fd = open(fdpath, O_RDONLY);
	assert_true(fd >= 0);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&disk, chunk, (size_t)r);
	close(fd);
	assert_int_equal(disk.len, n);
	assert_null(memmem(disk.data, disk.len, "EMBARGOED", 9));
	assert_null(memmem(disk.data, disk.len, "hypervisor", 10));
	/* ... and it has no name in the folder. */
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		int names = 0;

		while ((e = readdir(d)) != NULL)
			names += e->d_name[0] != '.';
		closedir(d);
		assert_int_equal(names, 0);
	}
	assert_int_equal(spool_take(&sp, &out, &err), EM_OK);
	assert_int_equal(out.len, n);
	assert_memory_equal(out.data, p, n);
	spool_reset(&sp);
	assert_false(spool_on_disk(&sp));
	buf_free(&out);
	buf_free(&disk);
	free(p);
}

static void
t_unwritable_folder_defers(void **st)
{
	struct spool sp;
	struct buf out;
	struct em_err err;
	size_t n = SPOOL_MEM + SPOOL_BUDGET + 1;
	char *p = text(n);

	(void)st;
	spool_init(&sp);
	buf_init(&out);
	spool_add(&sp, "/nonexistent/state", p, n);
	assert_int_equal(spool_take(&sp, &out, &err), EM_EIO);
	assert_non_null(strstr(err.msg, "a spool file in state_dir"));
	assert_non_null(strstr(err.msg, "deferred"));
	spool_reset(&sp);
	buf_free(&out);
	free(p);
}

/* The budget is shared: past it, the next large message goes to disk;
 * given back, the one after stays in memory (and is moved out whole). */
static void
t_budget_shared(void **st)
{
	struct spool a, b, c;
	struct buf out;
	struct em_err err;
	char *p = text(SPOOL_MEM + SPOOL_BUDGET);

	(void)st;
	spool_init(&a);
	spool_init(&b);
	spool_init(&c);
	buf_init(&out);
	spool_add(&a, dir, p, 200 * 1024);
	assert_false(spool_on_disk(&a));
	assert_true(spool_large(&a));
	spool_add(&b, dir, p, SPOOL_MEM + SPOOL_BUDGET - 100 * 1024);
	assert_true(spool_on_disk(&b));		/* a holds part of the budget */
	spool_reset(&a);
	spool_add(&c, dir, p, SPOOL_MEM + SPOOL_BUDGET);
	assert_false(spool_on_disk(&c));	/* all of it, given back */
	assert_int_equal(spool_take(&c, &out, &err), EM_OK);
	assert_int_equal(out.len, SPOOL_MEM + SPOOL_BUDGET);
	assert_memory_equal(out.data, p, out.len);
	spool_reset(&b);
	spool_reset(&c);
	buf_free(&out);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_budget_shared),
		cmocka_unit_test(t_small_stays_in_memory),
		cmocka_unit_test(t_large_goes_to_disk_sealed),
		cmocka_unit_test(t_unwritable_folder_defers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
