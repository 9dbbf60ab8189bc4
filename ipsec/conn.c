// SPDX-License-Identifier: GPL-2.0
/* The vici requests for an IPsec path; see conn.h and swanctl.conf(5). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipsec/conn.h"
#include "ipsec/vici-msg.h"


/*
 * The whole of a regular file into a buffer the caller frees (zeroing it
 * first when it is a secret).  Never a FIFO or device: gwd must not block.
 */
static int read_file(const char *name, size_t max, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, ret;

	fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	ret = -EINVAL;
	if (!S_ISREG(st.st_mode))
		goto out;
	ret = -EFBIG;
	if ((uint64_t)st.st_size > max)
		goto out;
	ret = -ENOMEM;
	buf = malloc(max + 1);
	if (!buf)
		goto out;
	/* Read to the end, not st_size: the file may change under us. */
	while ((r = read(fd, buf + n, max + 1 - n)) > 0)
		n += r;
	ret = r < 0 ? -errno : n > max ? -EFBIG : 0;
out:
	if (ret < 0 && buf) {
		explicit_bzero(buf, max + 1);
		free(buf);
		buf = NULL;
	}
	close(fd);
	*out = buf;
	*len = n;
	return ret;
}

/* A comma-separated string as a vici list. */
static void put_list(struct vici_builder *b, const char *name, const char *csv)
{
	const char *p = csv, *comma;

	vici_list_start(b, name);
	for (; *p; p = comma + 1) {
		comma = strchr(p, ',');
		if (!comma)
			comma = p + strlen(p);
		vici_list_item(b, p, comma - p);
		if (!*comma)
			break;
	}
	vici_list_end(b);
}

static void put_secs(struct vici_builder *b, const char *name, uint32_t s)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%" PRIu32 "s", s);
	vici_kv_str(b, name, buf);
}

static void put_u32(struct vici_builder *b, const char *name, uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%" PRIu32, v);
	vici_kv_str(b, name, buf);
}

static int put_file_list(struct vici_builder *b, const char *name,
			 const char *file)
{
	uint8_t *data;
	size_t len;
	int ret;

	ret = read_file(file, GW_IKE_FILE_MAX, &data, &len);
	if (ret < 0)
		return ret;
	vici_list_start(b, name);
	vici_list_item(b, data, len);
	vici_list_end(b);
	free(data);
	return 0;
}

/*
 * Rekeying a little early by a random amount keeps the SAs of many
 * customers from rekeying in the same second after a cold start.
 */
static uint32_t jitter(uint32_t secs, uint32_t pct)
{
	return (uint32_t)((uint64_t)secs * pct / 100);
}

static void put_child(struct vici_builder *b, const struct path_conf *p)
{
	const struct ike_conf *ike = &p->ike;
	static const char *const all[] = { "0.0.0.0/0", "::/0" };

	vici_section_start(b, "children");
	vici_section_start(b, p->ifname);
	if (p->ipsec_mode == IPSEC_GRE) {
		/* Only the GRE packets between the two underlay addresses. */
		vici_kv_str(b, "mode", "transport");
		vici_list_start(b, "local_ts");
		vici_list_item_str(b, "dynamic[gre]");
		vici_list_end(b);
		vici_list_start(b, "remote_ts");
		vici_list_item_str(b, "dynamic[gre]");
		vici_list_end(b);
	} else {
		/*
		 * Everything: the policies carry the interface id (or mark),
		 * so only what is routed into the path's link matches them.
		 */
		vici_kv_str(b, "mode", "tunnel");
		for (int ts = 0; ts < 2; ts++) {
			vici_list_start(b, ts ? "remote_ts" : "local_ts");
			vici_list_item_str(b, all[0]);
			vici_list_item_str(b, all[1]);
			vici_list_end(b);
		}
		if (p->ipsec_mode == IPSEC_XFRM) {
			put_u32(b, "if_id_in", p->if_id);
			put_u32(b, "if_id_out", p->if_id);
		} else {
			put_u32(b, "mark_in", p->if_id);
			put_u32(b, "mark_out", p->if_id);
		}
	}
	put_list(b, "esp_proposals", ike->esp_proposals);
	/*
	 * Clean traffic arrives at high rates over several queues: reordering
	 * beyond charon's default window of 32 would be dropped as replays.
	 */
	vici_kv_str(b, "replay_window", "1024");
	put_secs(b, "rekey_time", ike->child_rekey_s);
	put_secs(b, "rand_time", jitter(ike->child_rekey_s, ike->jitter_pct));
	/* gwd notices and initiates again, with backoff: charon must not. */
	vici_kv_str(b, "start_action", "none");
	vici_kv_str(b, "dpd_action", "clear");
	vici_kv_str(b, "close_action", "none");
	vici_section_end(b);
	vici_section_end(b);
}

/* Our identity with a PSK: local_id, else the underlay address the peer sees. */
static const char *psk_local_id(const struct gw_conf *c, const struct path_conf *p,
				char buf[GW_ADDRSTRLEN])
{
	if (p->ike.local_id[0])
		return p->ike.local_id;
	return gw_addr_str(p->remote.family == AF_INET6 ? &c->site.underlay_v6 :
			   &c->site.underlay_v4, buf, GW_ADDRSTRLEN);
}

static int put_auth(struct vici_builder *b, const struct gw_conf *c,
		    const struct path_conf *p, bool local, const char **why)
{
	const struct ike_conf *ike = &p->ike;
	bool psk = ike->auth == IKE_AUTH_PSK;
	char addr[GW_ADDRSTRLEN];
	int ret = 0;

	vici_section_start(b, local ? "local" : "remote");
	vici_kv_str(b, "auth", psk ? "psk" : "pubkey");
	if (!local)
		vici_kv_str(b, "id", ike->remote_id);
	else if (psk)
		vici_kv_str(b, "id", psk_local_id(c, p, addr));
	else if (ike->local_id[0])
		vici_kv_str(b, "id", ike->local_id);
	/* pubkey without local_id: the certificate's subject */
	if (!psk) {
		ret = put_file_list(b, local ? "certs" : "cacerts",
				    local ? ike->cert : ike->ca);
		if (ret < 0)
			*why = local ? "cert" : "ca";
	}
	vici_section_end(b);
	return ret;
}

int ipsec_load_conn(const struct gw_conf *c, const struct path_conf *p,
		    uint8_t **pkt, size_t *len, const char **why)
{
	const struct ike_conf *ike = &p->ike;
	const struct gw_addr *local;
	struct vici_builder b;
	char addr[GW_ADDRSTRLEN];
	int ret;

	*why = NULL;
	local = p->remote.family == AF_INET6 ? &c->site.underlay_v6 :
					       &c->site.underlay_v4;
	if (p->type != PATH_IPSEC || !local->family)
		return -EINVAL;
	ret = vici_build_init(&b, VICI_CMD_REQUEST, "load-conn");
	if (ret < 0)
		return ret;
	vici_section_start(&b, p->ifname);
	vici_kv_str(&b, "version", "2");
	vici_list_start(&b, "local_addrs");
	vici_list_item_str(&b, gw_addr_str(local, addr, sizeof(addr)));
	vici_list_end(&b);
	vici_list_start(&b, "remote_addrs");
	vici_list_item_str(&b, gw_addr_str(&p->remote, addr, sizeof(addr)));
	vici_list_end(&b);
	put_list(&b, "proposals", ike->proposals);
	put_secs(&b, "dpd_delay", ike->dpd_s);
	put_secs(&b, "rekey_time", ike->rekey_s);
	put_secs(&b, "reauth_time", ike->reauth_s);
	put_secs(&b, "rand_time",
		 jitter(ike->reauth_s ? ike->reauth_s : ike->rekey_s, ike->jitter_pct));
	/* A customer router that reconnects replaces its old IKE_SA. */
	vici_kv_str(&b, "unique", "replace");
	vici_kv_str(&b, "keyingtries", "1");
	/* Both ends have fixed addresses: nothing to move. */
	vici_kv_str(&b, "mobike", "no");
	ret = put_auth(&b, c, p, true, why);
	if (ret == 0)
		ret = put_auth(&b, c, p, false, why);
	if (ret < 0) {
		vici_build_free(&b);
		return ret;
	}
	put_child(&b, p);
	vici_section_end(&b);
	return vici_build_finish(&b, pkt, len);
}

static const char *shared_id(const char *conn, char id[IF_NAMESIZE + 8])
{
	snprintf(id, IF_NAMESIZE + 8, "gwd-%s", conn);
	return id;
}

/* Trailing newlines and carriage returns are the editor's, not the key's. */
static size_t psk_len(const uint8_t *data, size_t len)
{
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	return len;
}

int ipsec_load_secret(const struct gw_conf *c, const struct path_conf *p,
		      uint8_t **pkt, size_t *len)
{
	const struct ike_conf *ike = &p->ike;
	bool psk = ike->auth == IKE_AUTH_PSK;
	struct vici_builder b;
	uint8_t *data;
	size_t n, max = psk ? GW_PSK_FILE_MAX : GW_IKE_FILE_MAX;
	char id[IF_NAMESIZE + 8];
	int ret;

	ret = read_file(psk ? ike->psk_file : ike->key, max, &data, &n);
	if (ret < 0)
		return ret;
	ret = -EINVAL;
	if (psk && !(n = psk_len(data, n)))
		goto out;
	ret = vici_build_init(&b, VICI_CMD_REQUEST, psk ? "load-shared" : "load-key");
	if (ret < 0)
		goto out;
	if (psk) {
		/* An id of its own: loading it again replaces it. */
		vici_kv_str(&b, "id", shared_id(p->ifname, id));
		vici_kv_str(&b, "type", "IKE");
		vici_kv(&b, "data", data, n);
		/*
		 * Owned by the peer's identity alone (unique among PSK paths:
		 * conf/validate.c).  Owned by gwd's own identity as well, it
		 * would be tried for every peer: one customer could then
		 * authenticate with another's key.
		 */
		vici_list_start(&b, "owners");
		vici_list_item_str(&b, ike->remote_id);
		vici_list_end(&b);
	} else {
		vici_kv_str(&b, "type", "any");
		vici_kv(&b, "data", data, n);
	}
	ret = vici_build_finish(&b, pkt, len);
out:
	explicit_bzero(data, max + 1);
	free(data);
	return ret;
}

/* A request with one key/value, or none when value is NULL. */
static int one_kv(const char *cmd, const char *key, const char *value,
		  uint8_t **pkt, size_t *len)
{
	struct vici_builder b;
	int ret;

	ret = vici_build_init(&b, VICI_CMD_REQUEST, cmd);
	if (ret < 0)
		return ret;
	if (value)
		vici_kv_str(&b, key, value);
	return vici_build_finish(&b, pkt, len);
}

int ipsec_unload_shared(const char *name, uint8_t **pkt, size_t *len)
{
	char id[IF_NAMESIZE + 8];

	return one_kv("unload-shared", "id", shared_id(name, id), pkt, len);
}

int ipsec_unload_key(const char *key_id, uint8_t **pkt, size_t *len)
{
	return one_kv("unload-key", "id", key_id, pkt, len);
}

int ipsec_unload_conn(const char *name, uint8_t **pkt, size_t *len)
{
	return one_kv("unload-conn", "name", name, pkt, len);
}

/*
 * initiate and terminate of the conn name (and its CHILD_SA, named alike),
 * with a timeout of -1: charon answers at once, and the outcome arrives as
 * child-updown, or as log events naming what failed.  Waiting would hold
 * up every request behind it on the connection for a negotiation's length.
 */
static int control(const char *cmd, const char *name, bool child, uint8_t **pkt,
		   size_t *len)
{
	struct vici_builder b;
	int ret;

	ret = vici_build_init(&b, VICI_CMD_REQUEST, cmd);
	if (ret < 0)
		return ret;
	vici_kv_str(&b, "ike", name);
	if (child)
		vici_kv_str(&b, "child", name);
	vici_kv_str(&b, "timeout", "-1");
	return vici_build_finish(&b, pkt, len);
}

int ipsec_initiate(const char *name, uint8_t **pkt, size_t *len)
{
	return control("initiate", name, true, pkt, len);
}

int ipsec_terminate(const char *name, uint8_t **pkt, size_t *len)
{
	return control("terminate", name, false, pkt, len);
}

/*
 * Not noblock: that skips the IKE_SAs another of charon's threads holds,
 * and an IKE_SA being rekeyed would look gone, its path down.
 */
int ipsec_list_sas(const char *name, uint8_t **pkt, size_t *len)
{
	return one_kv("list-sas", "ike", name, pkt, len);
}

int ipsec_list_conns(uint8_t **pkt, size_t *len)
{
	return one_kv("list-conns", NULL, NULL, pkt, len);
}
