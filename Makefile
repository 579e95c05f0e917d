# umq - plain GNU make.  `make` builds the library; `make check` runs the
# tests; `make check SAN=1` runs them under ASan+UBSan; `make check
# TSAN=1` runs the threaded ones under ThreadSanitizer; `make demo`,
# `make bench`.  V=1 shows the commands.

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Iinclude
ifeq ($(SAN),1)
  BUILD ?= build-san
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
else ifeq ($(TSAN),1)
  # ThreadSanitizer: not with ASan (one runtime per program).
  BUILD ?= build-tsan
  SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else
  BUILD ?= build
endif
ALLCFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) -pthread

Q := @
ifeq ($(V),1)
  Q :=
endif

LIB_SRCS  := $(wildcard src/*.c)
LIB_PIC   := $(LIB_SRCS:src/%.c=$(BUILD)/pic/%.o)
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
T_SRCS    := test/t.c test/trace.c test/call.c test/syscount.c test/garbage.c \
             test/garbage_store.c test/qfile.c test/qview.c
T_OBJS    := $(T_SRCS:test/%.c=$(BUILD)/test/%.o)
# A POSIX queue's rounds of damage, shared by test/posix_garbage_*.c.
GMQ_SRCS  := $(wildcard test/garbage_mq*.c)
GMQ_OBJS  := $(GMQ_SRCS:test/%.c=$(BUILD)/test/%.o)
# A System V queue's, shared by test/sysv_garbage_*.c.
GSV_SRCS  := $(wildcard test/garbage_sysv*.c)
GSV_OBJS  := $(GSV_SRCS:test/%.c=$(BUILD)/test/%.o)
TEST_SRCS := $(filter-out $(T_SRCS) $(GMQ_SRCS) $(GSV_SRCS),$(wildcard test/*.c))
TESTS     := $(TEST_SRCS:test/%.c=$(BUILD)/test/%)
EXAMPLES  := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
PRELOAD   := $(BUILD)/libumq-preload.so
PRELOAD_OBJS := $(patsubst preload/%.c,$(BUILD)/preload/%.o,$(wildcard preload/*.c))
PRELOAD_WRAP := close dup dup2 dup3 fcntl fcntl64 ioctl close_range closefrom \
                read write pread pread64 pwrite pwrite64 readv writev \
                lseek lseek64 syscall poll recvmsg

all: $(BUILD)/libumq.so $(BUILD)/libumq.a $(PRELOAD)

$(BUILD)/pic/%.o: src/%.c $(wildcard src/*.h) include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(LIB_UNWIND) -fPIC -fvisibility=hidden \
		-c -o $@ $<

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) $(LIB_UNWIND) -fvisibility=hidden -c -o $@ $<

# A cancelled wait unwinds through the library's frames to futex.c's
# cleanup attribute (futex_sleep_cancel): unwind tables in every object,
# whatever CFLAGS says; in futex.c, where the request may act at any
# instruction, exact at each, and -fexceptions for the cleanup.
LIB_UNWIND := -funwind-tables
$(BUILD)/pic/futex.o $(BUILD)/obj/futex.o: \
	ALLCFLAGS += -fexceptions -fasynchronous-unwind-tables

$(BUILD)/libumq.so: $(LIB_PIC) src/libumq.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) -shared -Wl,-soname,libumq.so.0 -Wl,-z,defs \
		-Wl,--version-script=src/libumq.map -o $@ $(LIB_PIC)

$(BUILD)/libumq.a: $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# ---- libumq-preload.so: the library's objects and the interposers of
# preload/, under one version script.  --wrap routes the library's own
# calls to the libc functions the preload interposes to libc itself
# (preload/libc.c): every interposed libc function the library might call
# is in PRELOAD_WRAP; one it calls without a forwarder in libc.c fails the
# link (undefined __wrap_<name>).
$(BUILD)/preload/%.o: preload/%.c preload/preload.h $(wildcard src/*.h) \
		include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(ALLCFLAGS) -fPIC -fvisibility=hidden \
		-c -o $@ $<

# Its version script: libc's names (preload/preload.map), then the umq
# API exactly as libumq.so versions it (src/libumq.map).
$(BUILD)/preload/preload.map: preload/preload.map src/libumq.map
	@mkdir -p $(@D)
	$(Q)cat $^ > $@

$(PRELOAD): $(LIB_PIC) $(PRELOAD_OBJS) $(BUILD)/preload/preload.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) -shared -Wl,-soname,libumq-preload.so \
		-Wl,-z,defs -Wl,-Bsymbolic-functions \
		-Wl,--version-script=$(BUILD)/preload/preload.map \
		$(PRELOAD_WRAP:%=-Wl,--wrap=%) \
		-o $@ $(LIB_PIC) $(PRELOAD_OBJS) -ldl

# The harness and the libraries the tests share, linked into every test.
$(BUILD)/test/%.o: test/%.c $(wildcard test/*.h) include/umq.h
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/test/%: test/%.c $(T_OBJS) $(BUILD)/libumq.a $(wildcard test/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(ALLCFLAGS) -o $@ $< $(T_OBJS) \
		$(BUILD)/libumq.a

# The garbage tests link their family's rounds too (G_OBJS).  A static
# pattern rule: it, not the one above, makes them in a fresh build
# directory too.
GMQ_TESTS := $(filter $(BUILD)/test/posix_garbage_%,$(TESTS))
GSV_TESTS := $(filter $(BUILD)/test/sysv_garbage_%,$(TESTS))
$(GMQ_TESTS): G_OBJS := $(GMQ_OBJS)
$(GSV_TESTS): G_OBJS := $(GSV_OBJS)
$(GMQ_TESTS): $(GMQ_OBJS)
$(GSV_TESTS): $(GSV_OBJS)
$(GMQ_TESTS) $(GSV_TESTS): $(BUILD)/test/%: test/%.c $(T_OBJS) \
		$(BUILD)/libumq.a $(wildcard test/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(ALLCFLAGS) -o $@ test/$*.c $(T_OBJS) \
		$(G_OBJS) $(BUILD)/libumq.a

# test/so_*.c link libumq.so as programs do (-lumq, found by the rpath);
# test/dl_*.c load it with dlopen() from UMQ_SO.
$(BUILD)/test/so_%: test/so_%.c $(BUILD)/test/t.o $(BUILD)/libumq.so $(wildcard test/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)ln -sf libumq.so $(BUILD)/libumq.so.0
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -o $@ $< $(BUILD)/test/t.o \
		-L$(BUILD) -lumq -Wl,-rpath,$(abspath $(BUILD))

# test/spec_diff_*.c: the differential suites written from the spec,
# linked with libumq.so as programs load it (the harness and trace.c only:
# no test object that reaches into the library's internals).
$(BUILD)/test/spec_diff_%: test/spec_diff_%.c $(BUILD)/test/t.o \
		$(BUILD)/test/trace.o $(BUILD)/libumq.so $(wildcard test/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)ln -sf libumq.so $(BUILD)/libumq.so.0
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(ALLCFLAGS) -o $@ $< $(BUILD)/test/t.o \
		$(BUILD)/test/trace.o -L$(BUILD) -lumq \
		-Wl,-rpath,$(abspath $(BUILD))

$(BUILD)/test/dl_%: test/dl_%.c $(BUILD)/test/t.o $(BUILD)/libumq.so $(wildcard test/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) \
		-DUMQ_SO='"$(abspath $(BUILD))/libumq.so"' -o $@ $< \
		$(BUILD)/test/t.o -ldl

$(BUILD)/examples/%: examples/%.c $(wildcard examples/*.c) $(BUILD)/libumq.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -o $@ $< $(BUILD)/libumq.a

# The bench: bench/*.c, and bench/boost.cc for the Boost.Interprocess
# column when there is a C++ compiler (without one, or without Boost's
# headers, the bench says so and skips that column).  Not run by `make
# check`; QUICK=1 runs `bench --quick`.  It counts system calls with the
# tests' counter, test/syscount.c (no test harness in it).
BENCH_OBJS := $(patsubst bench/%.c,$(BUILD)/bench/%.o,$(wildcard bench/*.c)) \
	      $(BUILD)/test/syscount.o
BENCH_LD   := $(CC)
ifneq ($(shell command -v $(CXX) 2>/dev/null),)
  BENCH_OBJS += $(BUILD)/bench/boost.o
  BENCH_LD   := $(CXX)
endif

$(BUILD)/bench/%.o: bench/%.c $(wildcard bench/*.h) test/syscount.h \
		include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) -Itest $(ALLCFLAGS) -DUMQ_PRELOAD='"$(PL_LD_PRELOAD)"' \
		-c -o $@ $<

$(BUILD)/bench/boost.o: bench/boost.cc bench/boost.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CXX     $@")
	$(Q)$(CXX) -std=gnu++17 -Wall -Wextra $(CFLAGS) $(SANFLAGS) -pthread \
		-c -o $@ $<

$(BUILD)/bench/bench: $(BENCH_OBJS) $(BUILD)/libumq.a $(PRELOAD)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(BENCH_LD) $(ALLCFLAGS) -o $@ $(BENCH_OBJS) $(BUILD)/libumq.a \
		-lm -ldl

# The umq tool: umq/main.c dispatches to one file per subcommand.  `umq run`
# finds libumq-preload.so next to itself, else in $(libdir).
prefix   ?= /usr/local
exec_prefix ?= $(prefix)
libdir   ?= $(exec_prefix)/lib
UMQ_OBJS := $(patsubst umq/%.c,$(BUILD)/umq.d/%.o,$(wildcard umq/*.c))

# run.o is rebuilt when libdir changes: the stamp holds the last one, so
# that `make install libdir=...` installs a umq that looks there.
LIBDIR_STAMP := $(BUILD)/umq.d/libdir
$(shell mkdir -p $(BUILD)/umq.d && echo '$(libdir)' | \
	cmp -s - $(LIBDIR_STAMP) || echo '$(libdir)' > $(LIBDIR_STAMP))
$(BUILD)/umq.d/run.o: $(LIBDIR_STAMP)

all: $(BUILD)/umq

$(BUILD)/umq.d/%.o: umq/%.c $(wildcard umq/*.h) include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -DUMQ_LIBDIR='"$(libdir)"' -c -o $@ $<

$(BUILD)/umq: $(UMQ_OBJS) $(BUILD)/libumq.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) -o $@ $(UMQ_OBJS) $(BUILD)/libumq.a

$(BUILD)/umq-test/qops: umq/test/qops.c $(BUILD)/libumq.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -o $@ $< $(BUILD)/libumq.a

# ---- umq-agent (agent/): a root process that applies IPC_SET to the files
# when the caller may not (DESIGN §6).  Part of the library's own
# implementation, so it reads src/internal.h; `umq agent` executes it.
AGENT_OBJS := $(patsubst agent/%.c,$(BUILD)/agent.d/%.o,$(wildcard agent/*.c))

all: $(BUILD)/umq-agent

$(BUILD)/agent.d/%.o: agent/%.c agent/agent.h $(wildcard src/*.h) include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/umq-agent: $(AGENT_OBJS) $(BUILD)/libumq.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) -o $@ $(AGENT_OBJS) $(BUILD)/libumq.a

# agent/test/*.c: linked with libumq.so as programs load it; they start
# the umq-agent of this build.
AGENT_TESTS := $(patsubst agent/test/%.c,$(BUILD)/agent-test/%, \
		$(filter-out agent/test/at.c,$(wildcard agent/test/*.c)))
$(BUILD)/agent-test/at.o: agent/test/at.c agent/test/at.h $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itest -Isrc $(ALLCFLAGS) \
		-DUMQ_AGENT='"$(abspath $(BUILD))/umq-agent"' -c -o $@ $<
$(BUILD)/agent-test/%: agent/test/%.c $(BUILD)/agent-test/at.o \
		$(BUILD)/test/t.o $(BUILD)/libumq.so $(BUILD)/umq-agent \
		$(wildcard test/*.h) agent/test/at.h $(wildcard src/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)ln -sf libumq.so $(BUILD)/libumq.so.0
	$(Q)$(CC) $(CPPFLAGS) -Itest -Isrc $(ALLCFLAGS) -o $@ $< \
		$(BUILD)/agent-test/at.o $(BUILD)/test/t.o -L$(BUILD) -lumq \
		-Wl,-rpath,$(abspath $(BUILD))

# ---- umq-bridge (bridge/): relays queues to and from NATS JetStream.  It
# needs libnats (Debian libnats-dev); without it everything else builds and
# the bridge's tests report skip.  `umq bridge` executes it, so the umq
# command itself never links libnats.
HAVE_NATS   := $(shell pkg-config --exists libnats 2>/dev/null && echo 1)
BRIDGE_OBJS := $(patsubst bridge/%.c,$(BUILD)/bridge/%.o,$(wildcard bridge/*.c))
BRIDGE_TEST := $(BUILD)/bridge/test/tq
ifeq ($(HAVE_NATS),1)
  NATS_CFLAGS := $(shell pkg-config --cflags libnats)
  NATS_LIBS   := $(shell pkg-config --libs libnats)
  BRIDGE      := $(BUILD)/umq-bridge $(BUILD)/bridge/test/jsbench
all: $(BUILD)/umq-bridge
endif

$(BUILD)/bridge/%.o: bridge/%.c bridge/bridge.h include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(NATS_CFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/umq-bridge: $(BRIDGE_OBJS) $(BUILD)/libumq.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) -o $@ $(BRIDGE_OBJS) $(BUILD)/libumq.a $(NATS_LIBS)

$(BUILD)/bridge/test/tq: bridge/test/tq.c $(BUILD)/libumq.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -o $@ $< $(BUILD)/libumq.a

$(BUILD)/bridge/test/jsbench: bridge/test/jsbench.c $(BUILD)/libumq.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(NATS_CFLAGS) $(ALLCFLAGS) -o $@ $< \
		$(BUILD)/libumq.a $(NATS_LIBS) -lm

# The bridge's throughput and latency beside libnats used directly, on
# 1-node and 3-node clusters started for the purpose (bridge/test/bench.sh).
bench-bridge: $(BUILD)/umq $(BRIDGE) $(BRIDGE_TEST)
	@UMQ_BUILD=$(BUILD) bridge/test/bench.sh

# Unmodified programs on the preload library, compared with the kernel:
# built from <sys/msg.h> and <mqueue.h> alone, and never sanitized, as the
# programs users run are not (under SAN=1 the preload library is).
CLIENT_CFLAGS := -D_GNU_SOURCE -std=gnu11 $(WARN) $(CFLAGS) -pthread
CLIENT_PROGS  := $(patsubst preload/test/%.c,$(BUILD)/clients/%,\
                   $(wildcard preload/test/prog_*.c preload/test/progtool_*.c))
SCRIPT_TESTS  := $(filter-out umq/test/lib.sh,$(wildcard umq/test/*.sh)) \
                 preload/test/progs.sh \
                 preload/test/clients.sh preload/test/versions.sh \
                 test/install.sh \
                 bridge/test/cluster.sh agent/test/python.sh
SCRIPT_DEPS   := $(BUILD)/umq $(BUILD)/umq-agent $(CLIENT_PROGS) $(BUILD)/clients/libstub.so \
                 $(PRELOAD) $(BUILD)/umq-test/qops $(BRIDGE) $(BRIDGE_TEST)

$(BUILD)/clients/%: preload/test/%.c preload/test/prog.c preload/test/prog.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CLIENT_CFLAGS) -o $@ $< preload/test/prog.c

$(BUILD)/clients/libstub.so: umq/test/stub.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CLIENT_CFLAGS) -shared -fPIC -o $@ $<

# ---- the preload's tests: programs that run themselves under it.
PL_TESTS := $(patsubst preload/test/%.c,$(BUILD)/preload/test/%, \
		$(wildcard preload/test/pl_*.c))
PL_PLAIN := $(BUILD)/preload/test/plain
ifeq ($(SAN),1)
  # The sanitizer's runtime must come first in the list of libraries.
  PL_LD_PRELOAD := $(shell $(CC) -print-file-name=libasan.so) \
                   $(abspath $(PRELOAD))
else
  PL_LD_PRELOAD := $(abspath $(PRELOAD))
endif
PL_DEFS := -DPT_PRELOAD='"$(abspath $(PRELOAD))"' \
           -DPT_LD_PRELOAD='"$(PL_LD_PRELOAD)"' \
           -DPT_PLAIN='"$(abspath $(PL_PLAIN))"'

$(PL_PLAIN): preload/test/plain.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALLCFLAGS) -o $@ $<

$(BUILD)/preload/test/pt.o: preload/test/pt.c preload/test/pt.h test/t.h
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itest $(PL_DEFS) $(ALLCFLAGS) -c -o $@ $<

# Linked with libumq.so, whose copy the preload's replaces at run time.
$(BUILD)/preload/test/pl_%: preload/test/pl_%.c preload/test/pt.h \
		$(BUILD)/preload/test/pt.o $(BUILD)/test/t.o \
		$(BUILD)/libumq.so $(PRELOAD) $(PL_PLAIN)
	@$(if $(Q),echo "  CC      $@")
	$(Q)ln -sf libumq.so $(BUILD)/libumq.so.0
	$(Q)$(CC) $(CPPFLAGS) -Itest $(PL_DEFS) $(ALLCFLAGS) -o $@ $< \
		$(BUILD)/preload/test/pt.o $(BUILD)/test/t.o \
		$(BUILD)/libumq.so -Wl,-rpath,$(abspath $(BUILD)) -ldl

tests: $(TESTS) $(PL_TESTS) $(AGENT_TESTS) $(SCRIPT_DEPS)

ifeq ($(TSAN),1)
# Under ThreadSanitizer, the programs that start threads in one process:
# it sees races between the threads of a process only, not across the
# processes that share a queue, so the others would only run slower.  Not
# the preload's tests nor the scripts (their clients are never sanitized,
# and TSan's runtime intercepts the names the preload does).  Reports
# that are no race in the library are suppressed, each with its reason,
# in test/tsan.supp; die_after_fork=0: some cases start a thread in the
# child of a fork made beside threads, which TSan refuses by default.
# The cred tests' user-namespace cases skip: TSan starts a thread of its
# own in the child of every fork (each case runs in one), and
# unshare(CLONE_NEWUSER) refuses a multi-threaded process.
TSAN_TESTS := $(addprefix $(BUILD)/test/,regress review3 forked cancel \
		lock_wedge sysv_block posix_lane so_reentry \
		spec_diff_sysv_procs spec_diff_posix_procs \
		cred_static so_cred dl_cred)
check: $(TSAN_TESTS)
	@TSAN_OPTIONS="suppressions=$(abspath test/tsan.supp) die_after_fork=0 \
		$(TSAN_OPTIONS)" UMQ_BUILD=$(BUILD) test/run.sh $(TSAN_TESTS)
else
check: all $(TESTS) $(PL_TESTS) $(AGENT_TESTS) $(SCRIPT_DEPS)
	@UMQ_BUILD=$(BUILD) test/run.sh $(TESTS) $(PL_TESTS) $(AGENT_TESTS) $(SCRIPT_TESTS)
endif

demo: $(EXAMPLES) $(BUILD)/umq
	@examples/demo.sh $(BUILD)/examples

bench: $(BUILD)/bench/bench
	@$(BUILD)/bench/bench$(if $(filter 1,$(QUICK)), --quick)
	@$(MAKE) --no-print-directory bench-bridge

clean:
	rm -rf build build-san build-tsan

# ---- install, GNU style: make install [DESTDIR=...] [prefix=...] [libdir=...]
# The version is include/umq.h's; the library's real name is
# libumq.so.MAJOR.MINOR.0, its SONAME libumq.so.0.
bindir      ?= $(exec_prefix)/bin
includedir  ?= $(prefix)/include
datarootdir ?= $(prefix)/share
mandir      ?= $(datarootdir)/man
pkgconfigdir ?= $(libdir)/pkgconfig
systemdunitdir ?= $(prefix)/lib/systemd/system
INSTALL     ?= install
VERSION_MAJOR := $(shell sed -n 's/^\#define UMQ_VERSION_MAJOR \([0-9]*\)$$/\1/p' include/umq.h)
VERSION_MINOR := $(shell sed -n 's/^\#define UMQ_VERSION_MINOR \([0-9]*\)$$/\1/p' include/umq.h)
VERSION     := $(VERSION_MAJOR).$(VERSION_MINOR).0
SO_REAL     := libumq.so.$(VERSION)
MAN_PAGES   := $(wildcard man/*.[1-8])

# Made afresh at every install: the directories are the command line's.
$(BUILD)/umq.pc: umq.pc.in include/umq.h FORCE
	@mkdir -p $(@D)
	$(Q)sed -e 's|@prefix@|$(prefix)|' -e 's|@exec_prefix@|$(exec_prefix)|' \
		-e 's|@libdir@|$(libdir)|' -e 's|@includedir@|$(includedir)|' \
		-e 's|@VERSION@|$(VERSION_MAJOR).$(VERSION_MINOR)|' $< > $@

# The agent's unit names the installed program.
$(BUILD)/umq-agent@.service: agent/systemd/umq-agent@.service FORCE
	@mkdir -p $(@D)
	$(Q)sed -e 's|@bindir@|$(bindir)|' $< > $@

install: all $(BUILD)/umq.pc $(BUILD)/umq-agent@.service
	$(INSTALL) -d $(DESTDIR)$(libdir) $(DESTDIR)$(bindir) \
		$(DESTDIR)$(includedir) $(DESTDIR)$(pkgconfigdir) \
		$(DESTDIR)$(systemdunitdir)
	$(INSTALL) -m 755 $(BUILD)/libumq.so $(DESTDIR)$(libdir)/$(SO_REAL)
	ln -sf $(SO_REAL) $(DESTDIR)$(libdir)/libumq.so.0
	ln -sf libumq.so.0 $(DESTDIR)$(libdir)/libumq.so
	$(INSTALL) -m 644 $(BUILD)/libumq.a $(DESTDIR)$(libdir)/libumq.a
	$(INSTALL) -m 755 $(PRELOAD) $(DESTDIR)$(libdir)/libumq-preload.so
	$(INSTALL) -m 755 $(BUILD)/umq $(DESTDIR)$(bindir)/umq
	$(INSTALL) -m 755 $(BUILD)/umq-agent $(DESTDIR)$(bindir)/umq-agent
	$(INSTALL) -m 644 $(BUILD)/umq-agent@.service \
		$(DESTDIR)$(systemdunitdir)/umq-agent@.service
	$(if $(HAVE_NATS),$(INSTALL) -m 755 $(BUILD)/umq-bridge $(DESTDIR)$(bindir)/umq-bridge)
	$(INSTALL) -m 644 include/umq.h $(DESTDIR)$(includedir)/umq.h
	$(INSTALL) -m 644 $(BUILD)/umq.pc $(DESTDIR)$(pkgconfigdir)/umq.pc
	$(Q)for f in $(MAN_PAGES); do \
		d=$(DESTDIR)$(mandir)/man$${f##*.}; \
		$(INSTALL) -d $$d && $(INSTALL) -m 644 $$f $$d/ || exit 1; \
	done

FORCE:

uninstall:
	rm -f $(DESTDIR)$(libdir)/$(SO_REAL) $(DESTDIR)$(libdir)/libumq.so.0 \
		$(DESTDIR)$(libdir)/libumq.so $(DESTDIR)$(libdir)/libumq.a \
		$(DESTDIR)$(libdir)/libumq-preload.so $(DESTDIR)$(bindir)/umq \
		$(DESTDIR)$(bindir)/umq-bridge $(DESTDIR)$(bindir)/umq-agent \
		$(DESTDIR)$(systemdunitdir)/umq-agent@.service \
		$(DESTDIR)$(includedir)/umq.h $(DESTDIR)$(pkgconfigdir)/umq.pc
	$(Q)for f in $(MAN_PAGES); do \
		rm -f $(DESTDIR)$(mandir)/man$${f##*.}/$${f#man/}; \
	done

.PHONY: all tests check demo bench bench-bridge clean install uninstall FORCE
.SECONDARY:
