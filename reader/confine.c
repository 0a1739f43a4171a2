/*
 * confine.c - what embargo-reader may do: loaded first, then a seccomp
 * filter for the reader, a second one and ceilings for each child
 *
 * The reader's filter (reader_confine_self) allows what a parser needs
 * (memory, reading and writing the descriptors it has, the clock, signals
 * to itself, and for the reader: fork, wait, kill its child) and answers
 * any open with EACCES and anything else with EPERM: a library that tries
 * a file reads as it does on a machine without it.  A socket, a connect,
 * an exec or a ptrace ends the process at once: no parser needs them, so
 * one that asks has been taken over.  The child's filter
 * (reader_confine_child) adds: no fork, no signal to any process but
 * itself, no change of its ceilings.  Filters only ever narrow.
 *
 * Before the filter, reader_preload() opens the charset converters the
 * child may need (glibc loads each from a file the first time, and keeps
 * it while a converter is open): a charset outside the list cannot be
 * converted in the child, and policy/ then reads its bytes as it reads
 * any text it cannot convert.
 *
 * The address-space ceiling is not set in a build with AddressSanitizer,
 * whose shadow memory is terabytes of address space: the test build.
 */

/* System library. */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* Utility library. */
#include <seccomp.h>

/* Application-specific. */
#include "reader_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define READER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define READER_ASAN	1
#endif
#endif

/* What any parser may do. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(fcntl),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(brk), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getrusage),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(getrandom), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(prlimit64),
	SCMP_SYS(pipe2), SCMP_SYS(clone), SCMP_SYS(wait4), SCMP_SYS(kill),
	SCMP_SYS(tgkill), SCMP_SYS(restart_syscall), SCMP_SYS(seccomp),
	SCMP_SYS(prctl),
};

/* What only a parser that has been taken over asks for. */
static const int fatal[] = {
	SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect),
	SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept),
	SCMP_SYS(accept4), SCMP_SYS(execve), SCMP_SYS(execveat),
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(memfd_create),
};

/* What the child may no longer do (the reader may). */
static const int child_denied[] = {
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(fork), SCMP_SYS(vfork),
	SCMP_SYS(kill), SCMP_SYS(tkill), SCMP_SYS(prlimit64),
	SCMP_SYS(setrlimit), SCMP_SYS(wait4), SCMP_SYS(pipe2),
	SCMP_SYS(setpriority),
};

/* The charsets whose converters are loaded before the filter. */
static const char *const charsets[] = {
	"ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5", "ISO-8859-6",
	"ISO-8859-7", "ISO-8859-8", "ISO-8859-9", "ISO-8859-10",
	"ISO-8859-13", "ISO-8859-14", "ISO-8859-15", "ISO-8859-16",
	"WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "WINDOWS-1253",
	"WINDOWS-1254", "WINDOWS-1255", "WINDOWS-1256", "WINDOWS-1257",
	"WINDOWS-1258", "KOI8-R", "KOI8-U", "CP437", "CP850", "CP852",
	"CP866", "CP1125", "MACINTOSH", "UTF-7", "SHIFT_JIS", "CP932",
	"EUC-JP", "ISO-2022-JP", "EUC-KR", "CP949", "ISO-2022-KR",
	"GB2312", "GBK", "GB18030", "BIG5", "BIG5-HKSCS", "EUC-TW",
	"TIS-620", "CP874", "VISCII", "ARMSCII-8", "GEORGIAN-PS",
	"HZ-GB-2312", "IBM037", "IBM500", "IBM1047", "UCS-2", "UCS-4",
	"UTF-16", "UTF-32",
};

/* reader_preload - the charset converters, kept open for good */

/* The converters, kept: glibc unloads a converter no one holds. */
static iconv_t held[2 * sizeof(charsets) / sizeof(charsets[0])];

void
reader_preload(void)
{
	for (size_t i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++) {
		held[2 * i] = iconv_open("UTF-8", charsets[i]);
		held[2 * i + 1] = iconv_open(charsets[i], "UTF-8");
	}
}

/* add_all - one action for each call of a table */

static int
add_all(scmp_filter_ctx ctx, uint32_t action, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (calls[i] >= 0 &&
		    seccomp_rule_add(ctx, action, calls[i], 0) < 0)
			return -1;
	return 0;
}

/* reader_confine_self - the reader's filter; -1 with errno */

int
reader_confine_self(void)
{
	scmp_filter_ctx ctx;
	int rc = -1;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    (ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return -1;
	if (add_all(ctx, SCMP_ACT_ALLOW, allowed,
	    sizeof(allowed) / sizeof(allowed[0])) == 0 &&
	    add_all(ctx, SCMP_ACT_KILL_PROCESS, fatal,
	    sizeof(fatal) / sizeof(fatal[0])) == 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) == 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) == 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat2), 0) == 0)
		rc = seccomp_load(ctx) < 0 ? -1 : 0;
	seccomp_release(ctx);
	return rc;
}

/* set_limit - a ceiling, soft and hard: never raised again */

static int
set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit r = { soft, hard };

	return setrlimit(resource, &r);
}

/* reader_confine_child - a child's ceilings and filter; -1 on failure
 * (its CPU time is watched by the reader, message by message) */

int
reader_confine_child(uint64_t memory)
{
	scmp_filter_ctx ctx;
	int rc = -1;

	if (set_limit(RLIMIT_CORE, 0, 0) < 0)
		return -1;
#ifndef READER_ASAN
	if (memory > 0 && set_limit(RLIMIT_AS, memory, memory) < 0)
		return -1;
#else
	(void)memory;
#endif
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return -1;
	if (add_all(ctx, SCMP_ACT_ERRNO(EPERM), child_denied,
	    sizeof(child_denied) / sizeof(child_denied[0])) == 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)getpid())) == 0)
		rc = seccomp_load(ctx) < 0 ? -1 : 0;
	seccomp_release(ctx);
	return rc;
}
