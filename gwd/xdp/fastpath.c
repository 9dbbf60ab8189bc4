// SPDX-License-Identifier: GPL-2.0
/* The AF_XDP worker of the SYN fast path: see fastpath.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>

#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include "gwd/xdp/fastpath.h"

#define FP_FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE	/* 4096 */
#define FP_BATCH	64
#define FP_TTL		64
#define FP_WINDOW	65535
#define FP_MIN_FRAME	60	/* Ethernet minimum without the FCS */

struct fastpath {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	void *area;
	size_t area_len;
	uint64_t *free_frames;	/* a stack of UMEM addresses not in any ring */
	uint32_t nfree, nframes;
	uint32_t outstanding_tx;
	int xsks_map_fd;
	uint32_t queue;
	bool zerocopy;
	const struct syn_cookie_keys *keys;
	struct fastpath_stats st;
};

/* ---- the frame rewrite ------------------------------------------------ */

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* The client's MSS option, 0 when absent or the options are bogus. */
static unsigned syn_mss(const uint8_t *opt, unsigned len)
{
	unsigned i = 0;

	while (i < len) {
		uint8_t kind = opt[i];

		if (kind == 0)		/* end of options */
			break;
		if (kind == 1) {	/* NOP */
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			return 0;
		if (kind == 2 && opt[i + 1] == 4)
			return rd16(opt + i + 2);
		i += opt[i + 1];
	}
	return 0;
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60;	/* hop-by-hop, routing, dest opts */
}

int fastpath_synack(uint8_t *buf, unsigned len, unsigned cap,
		    const struct syn_cookie_keys *keys, uint64_t now_ns, bool *v6out)
{
	struct cookie_tuple t = { 0 };
	unsigned l2 = 12, tags = 0, ip, tcp, iplen, tcplen, mss, out_mss, n;
	uint8_t mac[6], src[16], dst[16], *th;
	uint16_t proto;
	uint32_t isn, cookie, sum;
	bool v6;

	if (len < 14 || cap < 128)
		return 0;
	proto = rd16(buf + l2);
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) && tags < 2) {
		if (len < l2 + 6)
			return 0;
		l2 += 4;
		tags++;
		proto = rd16(buf + l2);
	}
	l2 += 2;
	ip = l2;
	if (proto == ETH_P_IP) {
		unsigned ihl, tot;

		v6 = false;
		if (len < ip + 20 || buf[ip] >> 4 != 4)
			return 0;
		ihl = (buf[ip] & 15) * 4;
		tot = rd16(buf + ip + 2);
		if (ihl < 20 || tot < ihl || len < ip + tot)
			return 0;
		if (rd16(buf + ip + 6) & 0x3fff)	/* MF or an offset: a fragment */
			return 0;
		if (buf[ip + 9] != IPPROTO_TCP)
			return 0;
		cookie_addr_v4(t.saddr, buf + ip + 12);
		cookie_addr_v4(t.daddr, buf + ip + 16);
		tcp = ip + ihl;
		iplen = ip + tot;
	} else if (proto == ETH_P_IPV6) {
		uint8_t nh;
		int i;

		v6 = true;
		if (len < ip + 40 || buf[ip] >> 4 != 6)
			return 0;
		iplen = ip + 40 + rd16(buf + ip + 4);
		if (len < iplen)
			return 0;
		memcpy(t.saddr, buf + ip + 8, 16);
		memcpy(t.daddr, buf + ip + 24, 16);
		nh = buf[ip + 6];
		tcp = ip + 40;
		for (i = 0; i < 6 && ipv6_ext(nh); i++) {
			if (iplen < tcp + 8)
				return 0;
			nh = buf[tcp];
			tcp += (buf[tcp + 1] + 1) * 8;
		}
		if (nh != IPPROTO_TCP)
			return 0;
	} else {
		return 0;
	}
	if (iplen < tcp + 20)
		return 0;
	th = buf + tcp;
	tcplen = (th[12] >> 4) * 4;
	if (tcplen < 20 || iplen < tcp + tcplen)
		return 0;
	/* SYN, and none of ACK, RST, FIN. */
	if ((th[13] & 0x17) != 0x02)
		return 0;
	if (!keys || !(keys->valid & SYN_COOKIE_CUR_VALID))
		return -1;

	memcpy(&t.sport, th, 2);
	memcpy(&t.dport, th + 2, 2);
	isn = rd32(th + 4);
	mss = syn_mss(th + 20, tcplen - 20);
	cookie = cookie_make(keys, &t, isn, now_ns, mss, &out_mss);

	/* Ethernet: swap the MACs, keep the tags. */
	memcpy(mac, buf, 6);
	memcpy(buf, buf + 6, 6);
	memcpy(buf + 6, mac, 6);

	/* A fresh IP header without options or extension headers. */
	if (v6) {
		memcpy(src, buf + ip + 24, 16);	/* we are the server */
		memcpy(dst, buf + ip + 8, 16);
		wr32(buf + ip, 6u << 28);
		wr16(buf + ip + 4, 24);
		buf[ip + 6] = IPPROTO_TCP;
		buf[ip + 7] = FP_TTL;
		memcpy(buf + ip + 8, src, 16);
		memcpy(buf + ip + 24, dst, 16);
		tcp = ip + 40;
	} else {
		memcpy(src, buf + ip + 16, 4);
		memcpy(dst, buf + ip + 12, 4);
		buf[ip] = 0x45;
		buf[ip + 1] = 0;
		wr16(buf + ip + 2, 20 + 24);
		wr16(buf + ip + 4, 0);
		wr16(buf + ip + 6, 0x4000);	/* DF */
		buf[ip + 8] = FP_TTL;
		buf[ip + 9] = IPPROTO_TCP;
		wr16(buf + ip + 10, 0);
		memcpy(buf + ip + 12, src, 4);
		memcpy(buf + ip + 16, dst, 4);
		sum = csum_add(0, buf + ip, 20);
		memcpy(buf + ip + 10, &(uint16_t){ csum_fold(sum) }, 2);
		tcp = ip + 20;
	}
	/* TCP: the ports were read from the old place; write them anew. */
	memmove(buf + tcp, th, 8);	/* sport, dport, seq (th may sit later) */
	th = buf + tcp;
	{
		uint8_t p[2];

		memcpy(p, th, 2);
		memcpy(th, th + 2, 2);
		memcpy(th + 2, p, 2);
	}
	wr32(th + 4, cookie);
	wr32(th + 8, isn + 1);
	th[12] = 6 << 4;		/* 24 bytes: the header and MSS */
	th[13] = 0x12;			/* SYN, ACK */
	wr16(th + 14, FP_WINDOW);
	wr16(th + 16, 0);
	wr16(th + 18, 0);
	th[20] = 2;
	th[21] = 4;
	wr16(th + 22, (uint16_t)out_mss);
	/* Pseudo-header: addresses, protocol, TCP length. */
	sum = v6 ? csum_add(csum_add(0, src, 16), dst, 16)
		 : csum_add(csum_add(0, src, 4), dst, 4);
	sum += IPPROTO_TCP + 24;
	sum = csum_add(sum, th, 24);
	memcpy(th + 16, &(uint16_t){ csum_fold(sum) }, 2);

	n = tcp + 24;
	if (n < FP_MIN_FRAME) {
		memset(buf + n, 0, FP_MIN_FRAME - n);
		n = FP_MIN_FRAME;
	}
	if (v6out)
		*v6out = v6;
	return (int)n;
}

/* ---- the rings ------------------------------------------------------- */

static void free_frame(struct fastpath *fp, uint64_t addr)
{
	fp->free_frames[fp->nfree++] = addr;
}

static void refill(struct fastpath *fp)
{
	uint32_t idx, n = xsk_prod_nb_free(&fp->fill, fp->nfree), i;

	if (n > fp->nfree)
		n = fp->nfree;
	if (!n || xsk_ring_prod__reserve(&fp->fill, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&fp->fill, idx + i) = fp->free_frames[--fp->nfree];
	xsk_ring_prod__submit(&fp->fill, n);
}

static void complete(struct fastpath *fp)
{
	uint32_t idx, n, i;

	if (!fp->outstanding_tx)
		return;
	n = xsk_ring_cons__peek(&fp->comp, FP_BATCH * 4, &idx);
	for (i = 0; i < n; i++)
		free_frame(fp, *xsk_ring_cons__comp_addr(&fp->comp, idx + i) &
			       ~(uint64_t)(FP_FRAME_SIZE - 1));
	xsk_ring_cons__release(&fp->comp, n);
	fp->outstanding_tx -= n;
}

/* Descriptors on the TX ring the kernel has not taken yet. */
static uint32_t tx_pending(struct fastpath *fp)
{
	return fp->tx.size - xsk_prod_nb_free(&fp->tx, fp->tx.size);
}

/*
 * In copy mode the kernel sends only a batch (32) per sendto(): one kick
 * per call left the rest to fill the ring under a flood (tx_full drops).
 * So kick until the kernel has taken everything, or stops taking.
 */
static int kick_tx(struct fastpath *fp)
{
	uint32_t pending = tx_pending(fp), before;

	while (pending && xsk_ring_prod__needs_wakeup(&fp->tx)) {
		fp->st.kicks++;
		if (sendto(xsk_socket__fd(fp->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) {
			if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS &&
			    errno != ENETDOWN)
				return -errno;
			break;
		}
		before = pending;
		pending = tx_pending(fp);
		if (pending >= before)
			break;		/* taken nothing: the device is busy */
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int fastpath_process(struct fastpath *fp, unsigned budget)
{
	unsigned done = 0;
	int err;

	complete(fp);
	while (done < budget) {
		uint32_t idx_rx, idx_tx = 0, n, reserved, used = 0, i, want = budget - done;
		uint64_t now = now_ns();

		if (want > FP_BATCH)
			want = FP_BATCH;
		n = xsk_ring_cons__peek(&fp->rx, want, &idx_rx);
		if (!n)
			break;
		/* Room for every answer at once, or answer fewer. */
		reserved = xsk_ring_prod__reserve(&fp->tx, n, &idx_tx);
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&fp->rx, idx_rx + i);
			uint64_t base = d->addr & ~(uint64_t)(FP_FRAME_SIZE - 1);
			uint8_t *pkt = xsk_umem__get_data(fp->area, d->addr);
			unsigned cap = FP_FRAME_SIZE - (unsigned)(d->addr - base);
			struct xdp_desc *td;
			bool v6 = false;
			int len;

			fp->st.rx++;
			len = fastpath_synack(pkt, d->len, cap, fp->keys, now, &v6);
			if (len == 0) {
				fp->st.malformed++;
				free_frame(fp, base);
				continue;
			}
			fp->st.syns++;
			fp->st.syns_v6 += v6;
			if (len < 0) {
				fp->st.no_key++;
				free_frame(fp, base);
				continue;
			}
			if (used == reserved) {
				fp->st.tx_full++;
				free_frame(fp, base);
				continue;
			}
			td = xsk_ring_prod__tx_desc(&fp->tx, idx_tx + used++);
			td->addr = d->addr;
			td->len = (uint32_t)len;
			td->options = 0;
			fp->outstanding_tx++;
			fp->st.synacks++;
		}
		/* Hand back the reserved descriptors not written. */
		fp->tx.cached_prod -= reserved - used;
		xsk_ring_prod__submit(&fp->tx, used);
		xsk_ring_cons__release(&fp->rx, n);
		done += n;
	}
	err = kick_tx(fp);
	complete(fp);
	refill(fp);
	if (xsk_ring_prod__needs_wakeup(&fp->fill))
		recvfrom(xsk_socket__fd(fp->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
	return err ? err : (int)done;
}

/* ---- open, close ----------------------------------------------------- */

int fastpath_open(const struct fastpath_config *cfg, struct fastpath **out)
{
	struct xsk_umem_config ucfg = { 0 };
	struct xsk_socket_config scfg = { 0 };
	struct xdp_options opts;
	socklen_t optlen = sizeof(opts);
	struct fastpath *fp;
	uint32_t ring = cfg->ring_size ? cfg->ring_size : XSK_RING_CONS__DEFAULT_NUM_DESCS;
	uint32_t i;
	int fd, err;

	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return -ENOMEM;
	fp->nframes = cfg->frames ? cfg->frames : 2 * ring;
	fp->keys = cfg->keys;
	fp->queue = cfg->queue;
	fp->xsks_map_fd = cfg->xsks_map_fd;
	fp->area_len = (size_t)fp->nframes * FP_FRAME_SIZE;
	fp->area = mmap(NULL, fp->area_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fp->free_frames = calloc(fp->nframes, sizeof(*fp->free_frames));
	if (fp->area == MAP_FAILED || !fp->free_frames) {
		err = -ENOMEM;
		fp->area = fp->area == MAP_FAILED ? NULL : fp->area;
		goto fail;
	}
	ucfg.fill_size = ring;
	ucfg.comp_size = ring;
	ucfg.frame_size = FP_FRAME_SIZE;
	ucfg.frame_headroom = 0;
	err = xsk_umem__create(&fp->umem, fp->area, fp->area_len, &fp->fill, &fp->comp, &ucfg);
	if (err)
		goto fail;
	scfg.rx_size = ring;
	scfg.tx_size = ring;
	scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	scfg.bind_flags = XDP_USE_NEED_WAKEUP | (cfg->force_copy ? XDP_COPY : 0);
	err = xsk_socket__create(&fp->xsk, cfg->ifname, cfg->queue, fp->umem,
				 &fp->rx, &fp->tx, &scfg);
	if (err)
		goto fail;
	fd = xsk_socket__fd(fp->xsk);
	if (!getsockopt(fd, SOL_XDP, XDP_OPTIONS, &opts, &optlen))
		fp->zerocopy = opts.flags & XDP_OPTIONS_ZEROCOPY;
	for (i = 0; i < fp->nframes; i++)
		free_frame(fp, (uint64_t)i * FP_FRAME_SIZE);
	refill(fp);
	if (bpf_map_update_elem(cfg->xsks_map_fd, &fp->queue, &fd, BPF_ANY)) {
		err = -errno;
		goto fail;
	}
	*out = fp;
	return 0;
fail:
	if (fp->xsk)
		xsk_socket__delete(fp->xsk);
	if (fp->umem)
		xsk_umem__delete(fp->umem);
	if (fp->area)
		munmap(fp->area, fp->area_len);
	free(fp->free_frames);
	free(fp);
	return err < 0 ? err : -err;
}

void fastpath_close(struct fastpath *fp)
{
	if (!fp)
		return;
	bpf_map_delete_elem(fp->xsks_map_fd, &fp->queue);
	xsk_socket__delete(fp->xsk);
	xsk_umem__delete(fp->umem);
	munmap(fp->area, fp->area_len);
	free(fp->free_frames);
	free(fp);
}

int fastpath_pause(struct fastpath *fp, bool paused)
{
	int fd = xsk_socket__fd(fp->xsk), ret;

	if (paused)
		ret = bpf_map_delete_elem(fp->xsks_map_fd, &fp->queue);
	else
		ret = bpf_map_update_elem(fp->xsks_map_fd, &fp->queue, &fd, BPF_ANY);
	return ret && errno != ENOENT ? -errno : 0;
}

int fastpath_fd(const struct fastpath *fp)
{
	return xsk_socket__fd(fp->xsk);
}

bool fastpath_zerocopy(const struct fastpath *fp)
{
	return fp->zerocopy;
}

const struct fastpath_stats *fastpath_stats(const struct fastpath *fp)
{
	return &fp->st;
}
