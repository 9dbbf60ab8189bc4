# gwd: clean-traffic return gateway.  `make`, `make check`, `make fuzz`.
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
PKGS      := libmnl libnftnl json-c libsystemd libbpf libxdp
LIBDIR    ?= $(PREFIX)/lib/gwd
CC        ?= cc
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter -D_GNU_SOURCE -I. \
             -DGWD_LIBDIR='"$(LIBDIR)"' \
             $(shell pkg-config --cflags $(PKGS))
LDLIBS    += $(shell pkg-config --libs $(PKGS))
ifneq ($(SANITIZE),)
CFLAGS    += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=$(SANITIZE)
endif

CONF_SRC  := $(wildcard conf/*.c)
NL_SRC    := $(wildcard netlink/*.c)
IPSEC_SRC := $(wildcard ipsec/*.c)
GWD_SRC   := $(filter-out gwd/gwctl.c gwd/main.c,$(wildcard gwd/*.c))
LIB_OBJ   := $(CONF_SRC:.c=.o) $(NL_SRC:.c=.o) $(IPSEC_SRC:.c=.o)
# The SYN fast path's user space (gwd/xdp/): attach, workers, cookies, auto.
XDP_USER_OBJ := gwd/xdp/attach.o gwd/xdp/fastpath.o gwd/xdp/cookie.o gwd/xdp/auto.o
GWD_OBJ   := $(GWD_SRC:.c=.o) $(XDP_USER_OBJ)

UNIT_SRC  := $(wildcard tests/unit/test-*.c)
UNIT_BIN  := $(UNIT_SRC:.c=)

# The XDP program: clang -target bpf, BTF from -g; never part of LIB_OBJ.
CLANG     ?= clang
BPF_CFLAGS := -O2 -g -target bpf -Wall -I. -Igwd/xdp \
             -I/usr/include/$(shell $(CC) -print-multiarch) \
             $(shell pkg-config --cflags libbpf)
BPF_OBJ   := gwd/xdp/syn.bpf.o

all: gwd/gwd gwd/gwctl $(BPF_OBJ)

gwd/xdp/%.bpf.o: gwd/xdp/%.bpf.c gwd/xdp/syn-shared.h gwd/xdp/cookie-hash.h
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

gwd/gwd: gwd/main.o $(GWD_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

gwd/gwctl: gwd/gwctl.o gwd/ctl-client.o
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs json-c)

%.o: %.c $(wildcard */*.h gwd/xdp/*.h)
	$(CC) $(CFLAGS) -c -o $@ $<

tests/unit/test-%: tests/unit/test-%.c $(GWD_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS) $(shell pkg-config --libs cmocka)

# A test shares layouts with gwd and the BPF program: rebuilt with any header.
$(UNIT_BIN) tests/bench/syn-bench: $(wildcard */*.h gwd/xdp/*.h)

# SYN cookies in user space (the AF_XDP workers will link it too).
XDP_OBJ   := gwd/xdp/cookie.o

tests/unit/test-xdp-cookie: tests/unit/test-xdp-cookie.c $(XDP_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(shell pkg-config --libs cmocka)

# Mode auto of the SYN fast path: pure, no library.
tests/unit/test-xdp-auto: tests/unit/test-xdp-auto.c gwd/xdp/auto.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(shell pkg-config --libs cmocka)

# The AF_XDP worker (libxdp's xsk API); not in gwd yet.
FASTPATH_OBJ := gwd/xdp/fastpath.o gwd/xdp/cookie.o

# Builds client, gateway and server namespaces on veth; root only (else 77).
tests/unit/test-xdp-fastpath: tests/unit/test-xdp-fastpath.c $(FASTPATH_OBJ) gwd/xdp/fastpath.h | $(BPF_OBJ)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libbpf libxdp) $(LDFLAGS) -o $@ $< $(FASTPATH_OBJ) \
		$(shell pkg-config --libs libxdp libbpf)

# fastpath_synack(), the frame rewrite alone: pure user space, no root.
tests/unit/test-xdp-synack: tests/unit/test-xdp-synack.c $(FASTPATH_OBJ) gwd/xdp/fastpath.h
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libbpf libxdp) $(LDFLAGS) -o $@ $< $(FASTPATH_OBJ) \
		$(shell pkg-config --libs libxdp libbpf cmocka)

# tests/bench/syn: the SYN fast path against XDP_DROP and kernel SYN cookies.
tests/bench/syn-count.bpf.o: tests/bench/syn-count.bpf.c
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

tests/bench/syn-bench: tests/bench/syn-bench.c $(FASTPATH_OBJ) gwd/xdp/fastpath.h | $(BPF_OBJ)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libbpf libxdp) $(LDFLAGS) -o $@ $< $(FASTPATH_OBJ) \
		$(shell pkg-config --libs libxdp libbpf)

# Attach, adopt, replace, detach through libxdp's dispatcher: its own netns
# and a private bpffs; root only (else 77).  Two other builds of syn.bpf.c:
# another instruction set (a different tag, the same maps) and a smaller
# syn_auth (a map that differs), and another tool's program.
ATTACH_OBJ := gwd/xdp/attach.o
TEST_BPF  := tests/unit/xdp-foreign.bpf.o tests/unit/syn-v3.bpf.o tests/unit/syn-small.bpf.o

tests/unit/xdp-foreign.bpf.o: tests/unit/xdp-foreign.bpf.c
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<
tests/unit/syn-v3.bpf.o: gwd/xdp/syn.bpf.c gwd/xdp/syn-shared.h gwd/xdp/cookie-hash.h
	$(CLANG) $(BPF_CFLAGS) -mcpu=v3 -c -o $@ $<
tests/unit/syn-small.bpf.o: gwd/xdp/syn.bpf.c gwd/xdp/syn-shared.h gwd/xdp/cookie-hash.h
	$(CLANG) $(BPF_CFLAGS) -DSYN_MAX_AUTH=1024 -c -o $@ $<

gwd/xdp/attach.o: gwd/xdp/attach.c gwd/xdp/attach.h
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libbpf libxdp) -c -o $@ $<

tests/unit/test-xdp-attach: tests/unit/test-xdp-attach.c $(ATTACH_OBJ) gwd/xdp/attach.h | $(BPF_OBJ) $(TEST_BPF)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libbpf libxdp) $(LDFLAGS) -o $@ $< $(ATTACH_OBJ) \
		$(shell pkg-config --libs libxdp libbpf)

# Loads gwd/xdp/syn.bpf.o (found next to the binary's ../../) with libbpf.
tests/unit/test-xdp-verdict: tests/unit/test-xdp-verdict.c $(XDP_OBJ) gwd/xdp/syn-shared.h | $(BPF_OBJ)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags libbpf) $(LDFLAGS) -o $@ $< $(XDP_OBJ) \
		$(shell pkg-config --libs libbpf cmocka)

# Both install their Debian packages first (tests/deps.sh; root on Debian 12).
check:
	@tests/deps.sh
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@tests/check.sh

demo:
	@tests/deps.sh
	@$(MAKE) --no-print-directory all
	@tests/lab/run tests/lab/demo.sh

fuzz:
	$(MAKE) -C tests/fuzz

install: all
	install -D -m 0755 gwd/gwd $(DESTDIR)$(SBINDIR)/gwd
	install -D -m 0755 gwd/gwctl $(DESTDIR)$(SBINDIR)/gwctl
	install -D -m 0644 gwd/xdp/syn.bpf.o $(DESTDIR)$(LIBDIR)/syn.bpf.o
	install -D -m 0644 docs/gwd.8 $(DESTDIR)$(MANDIR)/man8/gwd.8
	install -D -m 0644 docs/gwctl.8 $(DESTDIR)$(MANDIR)/man8/gwctl.8
	install -D -m 0644 docs/gwd.json.5 $(DESTDIR)$(MANDIR)/man5/gwd.json.5
	install -D -m 0644 examples/rt_protos.gwd.conf $(DESTDIR)/etc/iproute2/rt_protos.d/gwd.conf
	install -D -m 0644 examples/gwd.service $(DESTDIR)/lib/systemd/system/gwd.service

clean:
	rm -f */*.o gwd/xdp/*.o tests/unit/*.bpf.o gwd/gwd gwd/gwctl $(UNIT_BIN)
	$(MAKE) -C tests/fuzz clean

.PHONY: all check demo fuzz install clean
