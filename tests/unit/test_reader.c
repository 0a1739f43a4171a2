/* test_reader - the confined reader: the same facts as policy/ in process,
 * confined for real, and every way a reader can end */
#include "testutil.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <gmime/gmime.h>
#include "../../policy/policy.h"
#include "../../reader/reader.h"

static const struct policy_limits lim = { 20, 500, 65536, 1 << 20 };

/* start - a pool of one reader: the real one, or the test build's */
static void
start_use(const char *prog, size_t cpu, size_t max_use)
{
	struct config cfg;
	struct em_err e;
	char path[4096];

	assert_non_null(realpath(prog, path));
	memset(&cfg, 0, sizeof(cfg));
	cfg.reader_confined = true;
	cfg.reader_program = path;
	cfg.readers = 1;
	cfg.reader_cpu_seconds = cpu;
	cfg.reader_memory = (size_t)1 << 30;
	cfg.reader_max_use = max_use;
	em_err_clear(&e);
	assert_int_equal(reader_start(&cfg, &e), EM_OK);
	assert_true(reader_confined());
}

static void
start(const char *prog, size_t cpu)
{
	start_use(prog, cpu, 100);
}

/* same - what policy_read() and reader_read() make of msg agree */
static void
same(const char *msg, size_t len)
{
	struct facts a, b;
	struct em_err ea, eb;
	int ra, rb;

	facts_init(&a);
	facts_init(&b);
	em_err_clear(&ea);
	em_err_clear(&eb);
	ra = policy_read(msg, len, &lim, &a, &ea);
	rb = reader_read(msg, len, &lim, &b, &eb);
	assert_int_equal(ra, rb);
	assert_string_equal(ea.msg, eb.msg);
	assert_string_equal(a.subject, b.subject);
	assert_int_equal(a.text.len, b.text.len);
	assert_memory_equal(a.text.data ? a.text.data : "", b.text.data ?
	    b.text.data : "", a.text.len);
	assert_int_equal(a.forward.len, b.forward.len);
	assert_int_equal(a.parts, b.parts);
	assert_int_equal(a.depth, b.depth);
	assert_int_equal(a.first_text, b.first_text);
	assert_int_equal(a.n_crypt, b.n_crypt);
	for (size_t i = 0; i < a.n_crypt; i++) {
		assert_int_equal(a.crypt[i].kind, b.crypt[i].kind);
		assert_int_equal(a.crypt[i].data.len, b.crypt[i].data.len);
	}
	assert_int_equal(a.sealed, b.sealed);
	assert_int_equal(a.partial_missing, b.partial_missing);
	assert_true((a.message_id == NULL) == (b.message_id == NULL));
	facts_free(&a);
	facts_free(&b);
}

/* Every message of tests/data reads the same confined as in process. */
static void
t_same_facts(void **st)
{
	DIR *d = opendir("tests/data");
	struct dirent *de;
	size_t n = 0;

	(void)st;
	assert_non_null(d);
	start("build/asan/embargo-reader", 10);
	while ((de = readdir(d)) != NULL) {
		char path[512];
		struct buf b;

		if (strstr(de->d_name, ".eml") == NULL)
			continue;
		(void)snprintf(path, sizeof(path), "tests/data/%s", de->d_name);
		test_read_file(path, &b);
		same(b.data, b.len);
		buf_free(&b);
		n++;
	}
	closedir(d);
	assert_true(n >= 8);
	reader_stop();
}

/* PDFs (poppler under the reader's seccomp filter: every open refused)
 * read the same confined as in process, the advisory's text among it;
 * a sealed one counted the same. */
static void
t_pdf_confined(void **st)
{
	static const char *const pdfs[] = { "xsa405-ghostscript.pdf",
	    "xsa405-owner-only.pdf", "xsa405-infected.pdf", "xsa405-sealed.pdf" };

	(void)st;
	start("build/asan/embargo-reader", 10);
	for (size_t i = 0; i < sizeof(pdfs) / sizeof(pdfs[0]); i++) {
		char path[512], *msg;
		struct buf b;
		struct facts f;
		struct em_err e;
		gchar *b64;

		(void)snprintf(path, sizeof(path), "tests/data/%s", pdfs[i]);
		test_read_file(path, &b);
		b64 = g_base64_encode((const guchar *)b.data, b.len);
		msg = xasprintf("Subject: files\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: application/octet-stream; name=\"a.jpg\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n", b64);
		same(msg, strlen(msg));
		facts_init(&f);
		em_err_clear(&e);
		assert_int_equal(reader_read(msg, strlen(msg), &lim, &f, &e),
		    EM_OK);
		assert_true((strstr(f.text.data ? f.text.data : "", "moved in a "
		    "way allowing for SKBs having references") != NULL) ==
		    (strstr(pdfs[i], "sealed") == NULL));
		facts_free(&f);
		free(msg);
		g_free(b64);
		buf_free(&b);
	}
	reader_stop();
}

/* read_more: a decrypted payload added to facts, as keys/ does. */
static void
t_read_more(void **st)
{
	static const char outer[] = "Subject: ...\r\nMessage-ID: <m@x>\r\n\r\n"
	    "outer text\r\n";
	static const char inner[] = "Content-Type: multipart/mixed; "
	    "boundary=b\r\nSubject: the real subject\r\n\r\n--b\r\n"
	    "Content-Type: text/plain\r\n\r\ninner text\r\n--b\r\n"
	    "Content-Type: text/plain\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n"
	    "\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n--b--\r\n";
	struct facts a, b;
	struct em_err e;

	(void)st;
	start("build/asan/embargo-reader", 10);
	facts_init(&a);
	facts_init(&b);
	assert_int_equal(policy_read(outer, strlen(outer), &lim, &a, &e), EM_OK);
	assert_int_equal(reader_read(outer, strlen(outer), &lim, &b, &e), EM_OK);
	(void)snprintf(b.signer, sizeof(b.signer), "%s",
	    "0123456789ABCDEF0123456789ABCDEF01234567");
	assert_int_equal(policy_read_more(inner, strlen(inner), &lim, true, &a,
	    &e), EM_OK);
	assert_int_equal(reader_read_more(inner, strlen(inner), &lim, true, &b,
	    &e), EM_OK);
	assert_string_equal(a.subject, "the real subject");
	assert_string_equal(b.subject, "the real subject");
	assert_string_equal(a.text.data, b.text.data);
	assert_int_equal(a.n_crypt, b.n_crypt);
	assert_int_equal(a.parts, b.parts);
	/* What keys/ set is the daemon's: never taken from the reader. */
	assert_string_equal(b.signer, "0123456789ABCDEF0123456789ABCDEF01234567");
	facts_free(&a);
	facts_free(&b);
	reader_stop();
}

/* status_of - a line of /proc/PID/status */
static bool
status_has(pid_t pid, const char *line)
{
	char path[64];
	struct buf b;
	bool yes;

	(void)snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	test_read_file(path, &b);
	yes = strstr(b.data, line) != NULL;
	buf_free(&b);
	return yes;
}

/* fault - a message with a fault asked of the test build's child */
static int
fault(const char *what, struct em_err *e)
{
	char msg[256];
	struct facts f;
	int rc;

	(void)snprintf(msg, sizeof(msg), "X-Reader-Test: %s\r\nSubject: x"
	    "\r\n\r\nbody\r\n", what);
	facts_init(&f);
	em_err_clear(e);
	rc = reader_read(msg, strlen(msg), &lim, &f, e);
	facts_free(&f);
	return rc;
}

/* Confined for real: seccomp on, no way back to privileges, no file, no
 * signal to others, no socket; a crash and a spin are the message's. */
static void
t_confined_and_faults(void **st)
{
	pid_t pid[2];
	struct em_err e;

	(void)st;
	start("build/asan/tests/embargo-reader-faults", 1);
	assert_int_equal(reader_pids(pid, 2), 1);
	/* Confined before it reads its first request. */
	assert_int_equal(fault("none", &e), EM_OK);
	assert_true(status_has(pid[0], "Seccomp:\t2"));
	assert_true(status_has(pid[0], "NoNewPrivs:\t1"));
	assert_int_equal(fault("open", &e), EM_EREADER);
	assert_non_null(strstr(e.msg, "exited with status 41"));
	assert_int_equal(fault("kill", &e), EM_EREADER);
	assert_non_null(strstr(e.msg, "exited with status 43"));
	assert_int_equal(fault("socket", &e), EM_EREADER);
	assert_non_null(strstr(e.msg, "signal 31"));	/* SIGSYS: ended */
	assert_int_equal(fault("segv", &e), EM_EREADER);
	/* SIGSEGV; under AddressSanitizer its report, and status 1. */
	assert_true(strstr(e.msg, "signal 11") != NULL ||
	    strstr(e.msg, "exited with status 1 reading") != NULL);
	assert_int_equal(fault("spin", &e), EM_EREADER);
	assert_non_null(strstr(e.msg, "CPU ceiling"));
	/* The same reader served them all, and reads on. */
	assert_int_equal(reader_pids(pid + 1, 1), 1);
	assert_int_equal(pid[0], pid[1]);
	assert_int_equal(fault("none", &e), EM_OK);
	reader_stop();
}

/* child_of - the reader's one child now (0: none), from /proc */
static pid_t
child_of(pid_t reader)
{
	char path[96];
	struct buf b;
	pid_t kid;

	(void)snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
	    (int)reader, (int)reader);
	test_read_file(path, &b);
	kid = (pid_t)strtol(b.data, NULL, 10);
	/* "PID " or nothing: never two at once. */
	assert_true(b.len == 0 || strchr(b.data, ' ') == b.data + b.len - 1);
	buf_free(&b);
	return kid;
}

/* A child reads up to reader_max_use messages, then makes way for a new
 * one forked at once; a child that fails after reading others is not
 * taken at its word (the message is read again by a fresh one); a spin
 * is the message's, read once. */
static void
t_reuse(void **st)
{
	pid_t reader, c1, c2, c3;
	struct em_err e;

	(void)st;
	start_use("build/asan/tests/embargo-reader-faults", 1, 3);
	assert_int_equal(reader_pids(&reader, 1), 1);
	assert_int_equal(fault("none", &e), EM_OK);
	c1 = child_of(reader);
	assert_true(c1 > 0);
	assert_int_equal(fault("none", &e), EM_OK);
	assert_int_equal(child_of(reader), c1);
	assert_int_equal(fault("none", &e), EM_OK);
	/* The third answered: c1 retired, its successor already there. */
	c2 = child_of(reader);
	assert_true(c2 > 0);
	assert_int_not_equal(c1, c2);
	assert_int_equal(kill(c1, 0), -1);	/* reaped */
	assert_int_equal(fault("none", &e), EM_OK);
	/* Worn: crashes in a child that has read one; a fresh one reads it. */
	assert_int_equal(fault("worn", &e), EM_OK);
	c3 = child_of(reader);
	assert_int_not_equal(c3, c2);
	assert_int_equal(fault("none", &e), EM_OK);
	assert_int_equal(child_of(reader), c3);
	/* The same crash in a fresh child is the message's. */
	assert_int_equal(fault("segv", &e), EM_EREADER);
	assert_int_equal(fault("spin", &e), EM_EREADER);
	assert_non_null(strstr(e.msg, "CPU ceiling"));
	reader_stop();
	/* One message per child: each answered child is replaced. */
	start_use("build/asan/tests/embargo-reader-faults", 1, 1);
	assert_int_equal(reader_pids(&reader, 1), 1);
	assert_int_equal(fault("none", &e), EM_OK);
	c1 = child_of(reader);
	assert_int_equal(fault("worn", &e), EM_OK);
	assert_int_not_equal(child_of(reader), c1);
	reader_stop();
}

/* A reader killed from outside is started again; no message is lost. */
static void
t_reader_killed(void **st)
{
	pid_t before, after;
	struct em_err e;

	(void)st;
	start("build/asan/embargo-reader", 10);
	assert_int_equal(reader_pids(&before, 1), 1);
	assert_int_equal(kill(before, SIGKILL), 0);
	assert_int_equal(fault("none", &e), EM_OK);
	assert_int_equal(reader_pids(&after, 1), 1);
	assert_int_not_equal(before, after);
	assert_int_equal(kill(before, 0), -1);	/* reaped */
	reader_stop();
}

/* A program that is not there is said at start, naming the cure. */
static void
t_missing_program(void **st)
{
	struct config cfg;
	struct em_err e;

	(void)st;
	memset(&cfg, 0, sizeof(cfg));
	cfg.reader_confined = true;
	cfg.reader_program = (char *)"/nonexistent/embargo-reader";
	cfg.readers = 1;
	cfg.reader_cpu_seconds = 10;
	em_err_clear(&e);
	assert_int_equal(reader_start(&cfg, &e), EM_EIO);
	assert_non_null(strstr(e.msg, "reader_program"));
	assert_false(reader_confined());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_same_facts),
		cmocka_unit_test(t_read_more),
		cmocka_unit_test(t_pdf_confined),
		cmocka_unit_test(t_confined_and_faults),
		cmocka_unit_test(t_reader_killed),
		cmocka_unit_test(t_reuse),
		cmocka_unit_test(t_missing_program),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
