# umq - plain GNU make.  `make` builds the library; `make check` runs the
# tests; `make check SAN=1` runs them under ASan+UBSan; `make demo`,
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
TEST_SRCS := $(filter-out test/t.c,$(wildcard test/*.c))
TESTS     := $(TEST_SRCS:test/%.c=$(BUILD)/test/%)
EXAMPLES  := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
# The operator command `umq` (umq/), and its tests (umq/test/).
UMQ_OBJS  := $(patsubst umq/%.c,$(BUILD)/umq.d/%.o,$(wildcard umq/*.c))
UMQ_TESTS := $(wildcard umq/test/*.sh)

all: $(BUILD)/libumq.so $(BUILD)/libumq.a $(BUILD)/umq

$(BUILD)/pic/%.o: src/%.c $(wildcard src/*.h) include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -fvisibility=hidden -c -o $@ $<

$(BUILD)/libumq.so: $(LIB_PIC) src/libumq.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) -shared -Wl,-soname,libumq.so.0 -Wl,-z,defs \
		-Wl,--version-script=src/libumq.map -o $@ $(LIB_PIC)

$(BUILD)/libumq.a: $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/test/t.o: test/t.c test/t.h include/umq.h
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/test/%: test/%.c $(BUILD)/test/t.o $(BUILD)/libumq.a $(wildcard test/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) -Isrc $(ALLCFLAGS) -o $@ $< $(BUILD)/test/t.o \
		$(BUILD)/libumq.a

$(BUILD)/examples/%: examples/%.c $(wildcard examples/*.c) $(BUILD)/libumq.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -o $@ $< $(BUILD)/libumq.a

$(BUILD)/bench/bench: bench/bench.c $(BUILD)/libumq.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -o $@ $< $(BUILD)/libumq.a -lm

$(BUILD)/umq.d/%.o: umq/%.c $(wildcard umq/*.h) include/umq.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/umq: $(UMQ_OBJS) $(BUILD)/libumq.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) -o $@ $(UMQ_OBJS) $(BUILD)/libumq.a

$(BUILD)/umq-test/qops: umq/test/qops.c $(BUILD)/libumq.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALLCFLAGS) -o $@ $< $(BUILD)/libumq.a

tests: $(TESTS) $(BUILD)/umq-test/qops

check: all $(TESTS) $(BUILD)/umq-test/qops
	@UMQ_BUILD=$(BUILD) test/run.sh $(TESTS) $(UMQ_TESTS)

demo: $(EXAMPLES)
	@examples/demo.sh $(BUILD)/examples

bench: $(BUILD)/bench/bench
	@$(BUILD)/bench/bench

clean:
	rm -rf build build-san

.PHONY: all tests check demo bench clean
.SECONDARY:
