# embargo-milter - see README.md
#
#   make          build build/embargo-milter and build/embargoctl
#   make check    every test (unit, end-to-end, fuzz smoke); last line "N passed, N failed[, N skipped]"
#   make demo     a throwaway Postfix on loopback with the milter at work
#   make install  DESTDIR=... PREFIX=/usr/local
#   make bench    benchmarks (never part of check)
#   make deps     install missing Debian packages (run by all, check, demo)

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR	?= /lib/systemd/system
HOOKDIR	?= $(PREFIX)/share/embargo-milter/hooks
LIBEXECDIR ?= $(PREFIX)/lib/embargo-milter

CC	?= cc
# embargoctl links what it uses: no libmilter.  json-glib: embargoctl's
# --json and the records (record/), the daemon's TLP:AMBER CSAF in copies.
CORE_PKGS = gmime-3.0 gpgme lmdb libconfuse libxml-2.0 libgcrypt libarchive libxxhash \
	    poppler-glib json-glib-1.0
PKGS	= milter $(CORE_PKGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CORE_LIBS  = $(shell pkg-config --libs $(CORE_PKGS) 2>/dev/null) -pthread
MILTER_LIBS = $(shell pkg-config --libs milter 2>/dev/null) $(CORE_LIBS)
CLI_LIBS   = $(CORE_LIBS)
WARN	= -Wall -Wextra -Werror
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -g $(PKG_CFLAGS)
# embargo-reader (reader/main.c): policy/ confined by libseccomp.
READER_LIBS = -Wl,--as-needed $(shell pkg-config --libs libseccomp gmime-3.0 \
	      libxml-2.0 libarchive poppler-glib libconfuse libgcrypt 2>/dev/null) -pthread
CFLAGS	?= -O2

SAN	= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Modules: each folder is one module (DESIGN.md, doc/ARCHITECTURE.md).
UTIL_SRC   = util/em.c util/emtime.c util/sha256.c util/priv.c util/log.c
CONF_SRC   = conf/conf.c conf/schema.c conf/report.c conf/validate.c conf/sections.c conf/values.c
POLICY_SRC = policy/mime.c policy/html.c policy/classify.c policy/decide.c \
	     policy/match.c policy/notice.c policy/prints.c policy/archive.c \
	     policy/timeline.c policy/deploy.c policy/unicode.c policy/leaf.c \
	     policy/uu.c policy/sections.c policy/pdf.c policy/record.c policy/armour.c
READER_SRC = reader/wire.c reader/pool.c
READER_PROG_SRC = reader/main.c reader/confine.c
KEYS_SRC   = keys/keys.c keys/cert.c keys/read.c keys/copy.c keys/helper.c keys/check.c \
	     keys/pkesk.c keys/backup.c
STORE_SRC  = store/store.c store/records.c store/text.c store/audit.c \
	     store/migrate.c store/view.c store/filter.c store/post.c
LEDGER_SRC = ledger/entry.c ledger/hold.c ledger/advisory.c ledger/host.c
RECORD_SRC = record/json.c record/csaf.c
CORE_SRC   = $(UTIL_SRC) $(CONF_SRC) $(POLICY_SRC) $(READER_SRC) $(KEYS_SRC) \
	     $(STORE_SRC) $(LEDGER_SRC) $(RECORD_SRC)
READER_OBJ_SRC = $(UTIL_SRC) $(CONF_SRC) $(POLICY_SRC) reader/wire.c \
	     $(READER_PROG_SRC)
OUTBOX_SRC = outbox/state.c outbox/audit.c outbox/auditq.c outbox/fanout.c \
	     outbox/hold.c outbox/post.c outbox/notice.c outbox/deliver.c \
	     outbox/outcome.c outbox/build.c outbox/csaf.c outbox/warm.c \
	     outbox/smtp.c outbox/release.c outbox/hook.c outbox/hook_run.c \
	     outbox/hook_dir.c outbox/hook_exec.c outbox/guard.c \
	     outbox/public.c outbox/loop.c outbox/clockstep.c \
	     outbox/release_scan.c outbox/release_holds.c outbox/release_prepare.c \
	     outbox/release_copy.c outbox/remind.c outbox/announce.c \
	     outbox/publish.c outbox/release_clock.c outbox/release_late.c
MILTER_SRC = $(OUTBOX_SRC) milter/main.c milter/state.c milter/ctx.c \
	     milter/callbacks.c milter/verdict.c milter/eom.c milter/spool.c
CLI_SRC    = cli/main.c cli/embargoctl.c cli/cli.c cli/cmd_check.c cli/cmd_state.c cli/cmd_embargo.c cli/cmd_hooks.c \
	     cli/cmd_members.c cli/cmd_public.c cli/cmd_trace.c \
	     cli/cmd_report.c cli/cmd_html.c cli/html_svg.c cli/cmd_ics.c \
	     cli/book.c cli/record_io.c cli/record_csaf.c cli/cmd_record.c \
	     cli/backup_io.c cli/cmd_backup.c cli/cmd_restore.c
HDRS	   = $(wildcard */*.h)

UNIT_TESTS = test_emtime test_conf test_marker test_mime test_decide test_match \
	     test_store test_prints test_html test_spool test_auditq test_filter \
	     test_ledger test_keys test_cli test_verdict test_hook test_release \
	     test_reader test_smime
UNIT_BINS  = $(UNIT_TESTS:%=build/asan/tests/%)

B  = build
BA = build/asan

obj   = $(1:%.c=$(B)/%.o)
aobj  = $(1:%.c=$(BA)/%.o)

.SECONDARY:

.PHONY: rooms cycles sizes all deps check unit e2e fuzz fuzzers demo install clean bench asan lint trials trixie

all: deps $(B)/embargo-milter $(B)/embargoctl $(B)/embargo-reader rooms

deps:
	@sh mk/deps.sh

# Where an installed daemon finds embargo-reader (reader/pool.c).
$(B)/reader/pool.o $(BA)/reader/pool.o: \
	BASE_CFLAGS += -DREADER_LIBEXEC='"$(LIBEXECDIR)/embargo-reader"'

$(B)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@

$(BA)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 $(SAN) $(shell pkg-config --cflags cmocka) -c $< -o $@

# The arrows between the rooms (doc/ARCHITECTURE.md), kept by "make rooms"
# (part of make and make check) from one table:
#   ROOM_x   what room x is built with: the rooms above it that it may
#            use, then its own sources (x/...);
#   LIBS_x   the libraries x itself may call and include (pkg-config
#            names; libc is every room's; not inherited: outbox/ calls
#            gpgme and LMDB only through keys/ and store/);
#   NEVER_x  what x may never call, though its libraries have it
#            (policy/: the clock, in libc or GLib; files; sockets);
#   INC_lib  the headers of each library.
# Each room's own objects are linked into a program that does nothing
# (mk/room_main.c), with stand-ins for what the rooms in its row define and
# with its own libraries only: a call to a room below or beside it, or to a
# library not in its row, is an undefined symbol and the build stops; so is
# a call in NEVER_x (nm).  mk/rooms.sh includes then holds every #include
# of the rooms' .c and .h files to the same rows.
ROOM_util   = $(UTIL_SRC)
ROOM_conf   = $(ROOM_util) $(CONF_SRC)
ROOM_policy = $(ROOM_conf) $(POLICY_SRC)
ROOM_reader = $(ROOM_policy) $(READER_SRC) $(READER_PROG_SRC)
ROOM_keys   = $(ROOM_policy) $(READER_SRC) $(KEYS_SRC)
ROOM_store  = $(ROOM_policy) $(STORE_SRC)
ROOM_ledger = $(ROOM_store) $(LEDGER_SRC)
ROOM_record = $(ROOM_policy) $(RECORD_SRC)
ROOM_outbox = $(CORE_SRC) $(OUTBOX_SRC)
ROOM_milter = $(CORE_SRC) $(MILTER_SRC)
ROOM_cli    = $(CORE_SRC) $(CLI_SRC)
LIBS_util   = glib-2.0 libgcrypt
LIBS_conf   = libconfuse
LIBS_policy = gmime-3.0 glib-2.0 libxml-2.0 libarchive poppler-glib
LIBS_reader = libseccomp gmime-3.0
LIBS_keys   = gpgme gmime-3.0 glib-2.0
LIBS_store  = lmdb libxxhash
LIBS_ledger = lmdb
LIBS_record = json-glib-1.0 glib-2.0
LIBS_outbox =
LIBS_milter = milter libgcrypt gmime-3.0
LIBS_cli    = json-glib-1.0 glib-2.0 gmime-3.0 libarchive
NEVER_policy = time clock_gettime gettimeofday ftime timespec_get \
	       __clock_gettime64 __time64 __gettimeofday64 \
	       g_get_real_time g_get_monotonic_time g_get_current_time \
	       g_date_time_new_now g_date_time_new_now_utc \
	       g_date_time_new_now_local \
	       open open64 openat openat64 __open_2 creat fopen fopen64 freopen \
	       opendir socket socketpair connect bind listen accept getaddrinfo
NEVER_ledger = socket socketpair connect bind listen accept getaddrinfo
# record/ builds from what it is given: no clock, no file, no socket.
NEVER_record = $(NEVER_policy)
ROOMS	= util conf policy reader keys store ledger record outbox milter cli

INC_libc    = assert.h ctype.h errno.h float.h inttypes.h limits.h locale.h \
	      math.h setjmp.h signal.h stdalign.h stdarg.h stdatomic.h \
	      stdbool.h stddef.h stdint.h stdio.h stdlib.h stdnoreturn.h \
	      string.h threads.h time.h uchar.h wchar.h wctype.h \
	      dirent.h dlfcn.h endian.h fcntl.h fnmatch.h ftw.h getopt.h glob.h grp.h \
	      iconv.h langinfo.h libgen.h malloc.h netdb.h poll.h pthread.h \
	      pwd.h regex.h sched.h semaphore.h spawn.h strings.h syslog.h \
	      termios.h unistd.h sys/ netinet/ arpa/ linux/
INC_glib-2.0 = glib.h glib/ glib-object.h gobject/ gio/
INC_libgcrypt = gcrypt.h gpg-error.h
INC_libconfuse = confuse.h
INC_gmime-3.0 = gmime/
INC_libxml-2.0 = libxml/
INC_libarchive = archive.h archive_entry.h
INC_poppler-glib = poppler.h
INC_libseccomp = seccomp.h
INC_gpgme   = gpgme.h
INC_lmdb    = lmdb.h
INC_libxxhash = xxhash.h
INC_milter  = libmilter/
INC_json-glib-1.0 = json-glib/

.SECONDEXPANSION:
$(B)/rooms/%: $(B)/mk/room_main.o $$(call obj,$$(ROOM_$$*)) Makefile mk/rooms.sh
	@ROOM=$* OUT=$@ MAIN=$(B)/mk/room_main.o CC="$(CC)" \
	    OWN="$(call obj,$(filter $*/%,$(ROOM_$*)))" \
	    ABOVE="$(call obj,$(filter-out $*/%,$(ROOM_$*)))" \
	    LDLIBS="$(if $(strip $(LIBS_$*)),$$(pkg-config --libs $(LIBS_$*))) -pthread" \
	    NEVER="$(NEVER_$*)" sh mk/rooms.sh link

rooms: $(ROOMS:%=$(B)/rooms/%) cycles sizes
	@{ $(foreach l,libc $(sort $(foreach r,$(ROOMS),$(LIBS_$r))),\
	    echo 'lib $l $(INC_$l)';) \
	   $(foreach r,$(ROOMS),echo 'room $r $(sort $(patsubst %/,%,\
	    $(dir $(ROOM_$r)))) : $(LIBS_$r)';) } | \
	    sh mk/rooms.sh includes $(wildcard $(ROOMS:%=%/*.c) $(ROOMS:%=%/*.h))

# make cycles: no circle between files, within a room or across rooms
# (mk/cycles.py, from the objects' symbols); part of rooms.
cycles: $(call obj,$(CORE_SRC) $(MILTER_SRC) $(CLI_SRC))
	@python3 mk/cycles.py $(call obj,$(CORE_SRC) $(MILTER_SRC)) -- \
	    $(call obj,$(CORE_SRC) $(CLI_SRC))

# make sizes: no .c file over 800 lines, no function over 60
# (mk/sizes.sh); part of rooms.
sizes:
	@sh mk/sizes.sh $(sort $(CORE_SRC) $(MILTER_SRC) $(CLI_SRC) $(READER_PROG_SRC))

$(B)/embargo-milter: $(call obj,$(CORE_SRC) $(MILTER_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(MILTER_LIBS)

$(B)/embargoctl: $(call obj,$(CORE_SRC) $(CLI_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS)

$(B)/embargo-reader: $(call obj,$(READER_OBJ_SRC))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(READER_LIBS)

# The test build: the same sources under ASan and UBSan.
$(BA)/embargo-milter: $(call aobj,$(CORE_SRC) $(MILTER_SRC))
	$(CC) $(SAN) -o $@ $^ $(MILTER_LIBS)

$(BA)/embargoctl: $(call aobj,$(CORE_SRC) $(CLI_SRC))
	$(CC) $(SAN) -o $@ $^ $(CLI_LIBS)

$(BA)/embargo-reader: $(call aobj,$(READER_OBJ_SRC))
	$(CC) $(SAN) -o $@ $^ $(READER_LIBS)

# The reader with faults on demand (READER_TEST_FAULTS), for test_reader
# and t_hostile: the same sources otherwise.
$(BA)/tests/reader_faults.o: reader/main.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 $(SAN) -DREADER_TEST_FAULTS -c $< -o $@

$(BA)/tests/embargo-reader-faults: $(BA)/tests/reader_faults.o \
	$(call aobj,$(filter-out reader/main.c,$(READER_OBJ_SRC)))
	$(CC) $(SAN) -o $@ $^ $(READER_LIBS)

$(BA)/tests/test_reader: | $(BA)/tests/embargo-reader-faults $(BA)/embargo-reader

# The spool lives in the daemon (milter/) and uses libgcrypt.
$(BA)/tests/test_spool: $(BA)/tests/unit/test_spool.o $(call aobj,$(CORE_SRC) milter/spool.c)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CORE_LIBS) $(shell pkg-config --libs cmocka)

# The verdict lives in the daemon (milter/); the test stands in for
# libmilter's smfi_setreply(), its one call into libmilter.
$(BA)/tests/test_verdict: $(BA)/tests/unit/test_verdict.o $(call aobj,$(CORE_SRC) milter/verdict.c)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CORE_LIBS) $(shell pkg-config --libs cmocka)

# The group commit lives in outbox/ and runs its own thread.
$(BA)/tests/test_auditq: $(BA)/tests/unit/test_auditq.o $(call aobj,$(CORE_SRC) outbox/auditq.c outbox/state.c)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CORE_LIBS) $(shell pkg-config --libs cmocka)

# The release hooks' runner (its seams: outbox/hook_int.h) and the release
# timer's scan (outbox/release.h) live in outbox/; no thread is started.
$(BA)/tests/test_hook: $(BA)/tests/unit/test_hook.o $(call aobj,$(CORE_SRC) $(OUTBOX_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CORE_LIBS) $(shell pkg-config --libs cmocka)

$(BA)/tests/test_release: $(BA)/tests/unit/test_release.o $(call aobj,$(CORE_SRC) $(OUTBOX_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CORE_LIBS) $(shell pkg-config --libs cmocka)

# embargoctl's table and commands, without its main() (cli/main.c).
$(BA)/tests/test_cli: $(BA)/tests/unit/test_cli.o $(call aobj,$(CORE_SRC) $(filter-out cli/main.c,$(CLI_SRC)))
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CLI_LIBS) $(shell pkg-config --libs cmocka)

$(BA)/tests/%: $(BA)/tests/unit/%.o $(call aobj,$(CORE_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(CORE_LIBS) $(shell pkg-config --libs cmocka)

# The libFuzzer targets: clang, the same sources under ASan and UBSan.
BF	= build/fuzz
FUZZ_CC	= clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	   -fno-omit-frame-pointer
FUZZ_TARGETS = mime marker conf pgp
fobj	= $(1:%.c=$(BF)/obj/%.o)

$(BF)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(BF)/fuzz_%: $(BF)/obj/tests/fuzz/fuzz_%.o $(call fobj,$(CORE_SRC))
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(CORE_LIBS)

fuzzers: deps $(FUZZ_TARGETS:%=$(BF)/fuzz_%)

# A test tool: cuts the end of the audit chain as an attacker would.
$(BA)/tests/audit_cut: tests/tools/audit_cut.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 $(SAN) -o $@ $< $(SAN) $(shell pkg-config --libs lmdb)

# Another: reads or rewrites one record of a running daemon's state
# (t_unreadable: a record of a layout this build cannot read).
$(BA)/tests/mdb_rec: tests/tools/mdb_rec.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 $(SAN) -o $@ $< $(SAN) $(shell pkg-config --libs lmdb)

asan: deps $(BA)/embargo-milter $(BA)/embargoctl $(BA)/embargo-reader $(BA)/tests/embargo-reader-faults $(UNIT_BINS) \
	$(BA)/tests/audit_cut $(BA)/tests/mdb_rec $(FUZZ_TARGETS:%=$(BF)/fuzz_%)

# The -O2 daemon too: t_bomb measures the memory administrators will see.
check: asan $(B)/embargo-milter $(B)/embargo-reader rooms
	@UNIT_TESTS="$(UNIT_TESTS)" sh tests/run-all.sh

# make trials N=100: the crash trials with N kills (make check runs 30)
N ?= 100
trials: asan
	@TRIAL_KILLS=$(N) TRIAL_MEMBERS=100 bash tests/e2e/t_trials.sh

# make lint: the house rules, cppcheck and clang-tidy (also run by check)
lint: deps
	@mkdir -p build
	@SUITES=lint sh tests/run-all.sh

unit: asan
	@UNIT_TESTS="$(UNIT_TESTS)" SUITES=unit sh tests/run-all.sh

e2e: asan
	@SUITES=e2e sh tests/run-all.sh

# make fuzz FUZZ_SECONDS=N: every target for N seconds (crashes kept)
FUZZ_SECONDS ?= 60
fuzz: fuzzers
	@sh tests/fuzz/run.sh long $(FUZZ_SECONDS)

demo: all
	@bash tests/e2e/demo.sh

# The reference milters of the throughput bench (null, parse-only).
$(B)/bench/null_milter: tests/bench/null_milter.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(shell pkg-config --libs milter gmime-3.0 2>/dev/null) -pthread

# make trixie: the package built, linted, installed and tested on Debian
# 13 in a debootstrap root (mk/trixie.sh; as root; not part of check).
trixie:
	@bash mk/trixie.sh

# The daemon's reading of one plain message, phase by phase, apart from
# the MTA (the -O2 objects).
$(B)/bench/guard_time: tests/bench/guard_time.c $(call obj,$(CORE_SRC))
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $< \
	    $(call obj,$(CORE_SRC)) $(CORE_LIBS) $(shell pkg-config --libs cmocka)

bench: all $(B)/bench/null_milter $(B)/bench/guard_time
	@bash tests/bench/run.sh
	@bash tests/bench/throughput.sh
	@bash tests/bench/memory.sh
	@bash tests/bench/release.sh
	@bash tests/bench/backup.sh

install: $(B)/embargo-milter $(B)/embargoctl $(B)/embargo-reader
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/embargo-milter \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(HOOKDIR)
	install -m 0755 $(B)/embargo-milter $(B)/embargoctl $(DESTDIR)$(SBINDIR)
	install -m 0755 $(B)/embargo-reader $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 conf/hooks/publish-fix conf/hooks/publish-page \
		$(DESTDIR)$(HOOKDIR)
	install -m 0644 man/embargo-milter.8 man/embargoctl.8 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/embargo-milter.conf.5 $(DESTDIR)$(MANDIR)/man5
	install -m 0640 conf/embargo-milter.conf \
		$(DESTDIR)$(SYSCONFDIR)/embargo-milter/embargo-milter.conf.example
	sed 's|@SBINDIR@|$(SBINDIR)|g' conf/embargo-milter.service > \
		$(DESTDIR)$(UNITDIR)/embargo-milter.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' conf/embargo-milter-backup.service > \
		$(DESTDIR)$(UNITDIR)/embargo-milter-backup.service
	install -m 0644 conf/embargo-milter-backup.timer $(DESTDIR)$(UNITDIR)
	chmod 0644 $(DESTDIR)$(UNITDIR)/embargo-milter.service \
		$(DESTDIR)$(UNITDIR)/embargo-milter-backup.service

clean:
	rm -rf build
