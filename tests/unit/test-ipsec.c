// SPDX-License-Identifier: GPL-2.0
/*
 * IPsec paths as charon sees them: the vici requests gwd builds for a path
 * (read back through the parser), the secrets read from their files, and
 * charon's SA reports read into structs, hostile ones included.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipsec/conn.h"
#include "ipsec/sa.h"

static char dir[] = "/tmp/gwd-test-ipsec.XXXXXX";

static void write_file(const char *name, const char *data, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void site(struct gw_conf *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(gw_addr_parse("198.51.100.1", &c->site.underlay_v4), 0);
}

static void ipsec_path(struct path_conf *p, enum ipsec_mode mode)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->name, "sec1");
	strcpy(p->ifname, "gw17-sec1");
	p->type = PATH_IPSEC;
	p->ipsec_mode = mode;
	p->if_id = 0x11abcd;
	assert_int_equal(gw_addr_parse("192.0.2.117", &p->remote), 0);
	p->ike.auth = IKE_AUTH_PSK;
	snprintf(p->ike.psk_file, sizeof(p->ike.psk_file), "%s/psk", dir);
	strcpy(p->ike.remote_id, "cpe-a.example");
	strcpy(p->ike.proposals, "aes256gcm16-prfsha384-x25519,aes256gcm16-prfsha384-ecp384");
	strcpy(p->ike.esp_proposals, "aes256gcm16-x25519");
	p->ike.dpd_s = 10;
	p->ike.rekey_s = 14400;
	p->ike.child_rekey_s = 3600;
	p->ike.jitter_pct = 10;
}

struct msg {
	uint8_t *buf;
	size_t len;
	struct vici_msg m;
	struct vici_iter root;
};

static void parse(struct msg *x)
{
	const char *why = NULL;

	if (vici_parse(x->buf, x->len, &x->m, &why))
		fail_msg("refused: %s", why);
	x->root = vici_root(&x->m);
}

static void assert_at(const struct msg *x, const char *path, const char *want)
{
	char buf[256];
	int ret = vici_get_str(&x->root, path, buf, sizeof(buf));

	if (ret)
		fail_msg("%s: %d", path, ret);
	assert_string_equal(buf, want);
}

static void assert_absent(const struct msg *x, const char *path)
{
	struct vici_elem e;

	assert_int_equal(vici_get(&x->root, path, &e), -ENOENT);
}

/* The items of the list at path, joined with ','. */
static void assert_list(const struct msg *x, const char *path, const char *want)
{
	struct vici_elem e, item;
	char buf[512] = "";
	size_t off = 0;

	assert_int_equal(vici_get(&x->root, path, &e), 0);
	assert_int_equal(e.type, VICI_LIST_START);
	while (vici_next(&e.inner, &item))
		off += snprintf(buf + off, sizeof(buf) - off, "%s%.*s", off ? "," : "",
				(int)item.value_len, (const char *)item.value);
	assert_string_equal(buf, want);
}

static void load_conn(const struct gw_conf *c, const struct path_conf *p, struct msg *x)
{
	const char *why = "unset";

	assert_int_equal(ipsec_load_conn(c, p, &x->buf, &x->len, &why), 0);
	assert_null(why);
	parse(x);
	assert_string_equal(x->m.name, "load-conn");
}

static void test_xfrm_conn(void **state)
{
	struct gw_conf c;
	struct path_conf p;
	struct msg x;
	char id[16];

	site(&c);
	ipsec_path(&p, IPSEC_XFRM);
	load_conn(&c, &p, &x);
	assert_at(&x, "gw17-sec1/version", "2");
	assert_list(&x, "gw17-sec1/local_addrs", "198.51.100.1");
	assert_list(&x, "gw17-sec1/remote_addrs", "192.0.2.117");
	assert_list(&x, "gw17-sec1/proposals",
		    "aes256gcm16-prfsha384-x25519,aes256gcm16-prfsha384-ecp384");
	assert_at(&x, "gw17-sec1/dpd_delay", "10s");
	assert_at(&x, "gw17-sec1/rekey_time", "14400s");
	assert_at(&x, "gw17-sec1/reauth_time", "0s");
	assert_at(&x, "gw17-sec1/rand_time", "1440s");
	assert_at(&x, "gw17-sec1/unique", "replace");
	assert_at(&x, "gw17-sec1/keyingtries", "1");
	assert_at(&x, "gw17-sec1/local/auth", "psk");
	/* Without local_id, the underlay address the customer sees. */
	assert_at(&x, "gw17-sec1/local/id", "198.51.100.1");
	assert_at(&x, "gw17-sec1/remote/auth", "psk");
	assert_at(&x, "gw17-sec1/remote/id", "cpe-a.example");
	assert_at(&x, "gw17-sec1/children/gw17-sec1/mode", "tunnel");
	assert_list(&x, "gw17-sec1/children/gw17-sec1/local_ts", "0.0.0.0/0,::/0");
	assert_list(&x, "gw17-sec1/children/gw17-sec1/remote_ts", "0.0.0.0/0,::/0");
	snprintf(id, sizeof(id), "%u", 0x11abcd);
	assert_at(&x, "gw17-sec1/children/gw17-sec1/if_id_in", id);
	assert_at(&x, "gw17-sec1/children/gw17-sec1/if_id_out", id);
	assert_absent(&x, "gw17-sec1/children/gw17-sec1/mark_in");
	assert_list(&x, "gw17-sec1/children/gw17-sec1/esp_proposals", "aes256gcm16-x25519");
	assert_at(&x, "gw17-sec1/children/gw17-sec1/rekey_time", "3600s");
	assert_at(&x, "gw17-sec1/children/gw17-sec1/replay_window", "1024");
	assert_at(&x, "gw17-sec1/children/gw17-sec1/rand_time", "360s");
	/* gwd initiates again; charon must not on its own. */
	assert_at(&x, "gw17-sec1/children/gw17-sec1/start_action", "none");
	assert_at(&x, "gw17-sec1/children/gw17-sec1/dpd_action", "clear");
	assert_at(&x, "gw17-sec1/children/gw17-sec1/close_action", "none");
	/* Nothing of the secret in the connection. */
	assert_null(memmem(x.buf, x.len, dir, strlen(dir)));
	free(x.buf);
}

static void test_gre_and_vti_conn(void **state)
{
	struct gw_conf c;
	struct path_conf p;
	struct msg x;
	char id[16];

	site(&c);
	ipsec_path(&p, IPSEC_GRE);
	strcpy(p.ike.local_id, "gw.fra1.example");
	load_conn(&c, &p, &x);
	assert_at(&x, "gw17-sec1/local/id", "gw.fra1.example");
	assert_at(&x, "gw17-sec1/children/gw17-sec1/mode", "transport");
	assert_list(&x, "gw17-sec1/children/gw17-sec1/local_ts", "dynamic[gre]");
	assert_list(&x, "gw17-sec1/children/gw17-sec1/remote_ts", "dynamic[gre]");
	assert_absent(&x, "gw17-sec1/children/gw17-sec1/if_id_in");
	assert_absent(&x, "gw17-sec1/children/gw17-sec1/mark_in");
	free(x.buf);

	ipsec_path(&p, IPSEC_VTI);
	load_conn(&c, &p, &x);
	snprintf(id, sizeof(id), "%u", 0x11abcd);
	assert_at(&x, "gw17-sec1/children/gw17-sec1/mark_in", id);
	assert_at(&x, "gw17-sec1/children/gw17-sec1/mark_out", id);
	assert_absent(&x, "gw17-sec1/children/gw17-sec1/if_id_in");
	free(x.buf);
}

static void test_conn_needs_underlay(void **state)
{
	struct gw_conf c;
	struct path_conf p;
	const char *why;
	uint8_t *buf;
	size_t len;

	site(&c);
	ipsec_path(&p, IPSEC_XFRM);
	assert_int_equal(gw_addr_parse("2001:db8::17", &p.remote), 0);
	assert_int_equal(ipsec_load_conn(&c, &p, &buf, &len, &why), -EINVAL);
	p.type = PATH_GRE;
	assert_int_equal(gw_addr_parse("192.0.2.117", &p.remote), 0);
	assert_int_equal(ipsec_load_conn(&c, &p, &buf, &len, &why), -EINVAL);
}

static void test_pubkey_conn(void **state)
{
	struct gw_conf c;
	struct path_conf p;
	const char *why;
	struct msg x;

	site(&c);
	ipsec_path(&p, IPSEC_XFRM);
	p.ike.auth = IKE_AUTH_PUBKEY;
	snprintf(p.ike.cert, sizeof(p.ike.cert), "%s/cert.pem", dir);
	snprintf(p.ike.ca, sizeof(p.ike.ca), "%s/ca.pem", dir);
	snprintf(p.ike.key, sizeof(p.ike.key), "%s/key.pem", dir);
	write_file("cert.pem", "-----BEGIN CERTIFICATE-----\nMINE\n", 0644);
	unlink(p.ike.ca);
	assert_int_equal(ipsec_load_conn(&c, &p, &x.buf, &x.len, &why), -ENOENT);
	assert_string_equal(why, "ca");
	write_file("ca.pem", "-----BEGIN CERTIFICATE-----\nTHEIRS\n", 0644);
	load_conn(&c, &p, &x);
	assert_at(&x, "gw17-sec1/local/auth", "pubkey");
	/* The certificate's subject is the identity. */
	assert_absent(&x, "gw17-sec1/local/id");
	assert_list(&x, "gw17-sec1/local/certs", "-----BEGIN CERTIFICATE-----\nMINE\n");
	assert_list(&x, "gw17-sec1/remote/cacerts", "-----BEGIN CERTIFICATE-----\nTHEIRS\n");
	free(x.buf);

	write_file("key.pem", "-----BEGIN PRIVATE KEY-----\nSECRET\n", 0600);
	assert_int_equal(ipsec_load_secret(&c, &p, &x.buf, &x.len), 0);
	parse(&x);
	assert_string_equal(x.m.name, "load-key");
	assert_at(&x, "type", "any");
	assert_at(&x, "data", "-----BEGIN PRIVATE KEY-----\nSECRET\n");
	free(x.buf);
}

static void test_psk(void **state)
{
	struct gw_conf c;
	struct path_conf p;
	char big[GW_PSK_FILE_MAX + 2], fifo[sizeof(p.ike.psk_file)];
	struct msg x;

	site(&c);
	ipsec_path(&p, IPSEC_XFRM);
	write_file("psk", "correct horse battery staple\r\n\n", 0600);
	assert_int_equal(ipsec_load_secret(&c, &p, &x.buf, &x.len), 0);
	parse(&x);
	assert_string_equal(x.m.name, "load-shared");
	assert_at(&x, "id", "gwd-gw17-sec1");
	assert_at(&x, "type", "IKE");
	/* The editor's newlines are not part of the key. */
	assert_at(&x, "data", "correct horse battery staple");
	assert_list(&x, "owners", "cpe-a.example");
	free(x.buf);

	write_file("psk", "\n", 0600);
	assert_int_equal(ipsec_load_secret(&c, &p, &x.buf, &x.len), -EINVAL);
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file("psk", big, 0600);
	assert_int_equal(ipsec_load_secret(&c, &p, &x.buf, &x.len), -EFBIG);
	unlink(p.ike.psk_file);
	assert_int_equal(ipsec_load_secret(&c, &p, &x.buf, &x.len), -ENOENT);
	/* A FIFO would block the daemon: refused without a reader. */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	strcpy(p.ike.psk_file, fifo);
	assert_int_equal(ipsec_load_secret(&c, &p, &x.buf, &x.len), -EINVAL);
	unlink(fifo);
}

static void test_small_requests(void **state)
{
	struct msg x;

	assert_int_equal(ipsec_initiate("gw17-sec1", &x.buf, &x.len), 0);
	parse(&x);
	assert_string_equal(x.m.name, "initiate");
	assert_at(&x, "ike", "gw17-sec1");
	assert_at(&x, "child", "gw17-sec1");
	assert_at(&x, "timeout", "-1");
	free(x.buf);
	assert_int_equal(ipsec_terminate("gw17-sec1", &x.buf, &x.len), 0);
	parse(&x);
	assert_at(&x, "ike", "gw17-sec1");
	assert_at(&x, "timeout", "-1");
	free(x.buf);
	assert_int_equal(ipsec_unload_conn("gw17-sec1", &x.buf, &x.len), 0);
	parse(&x);
	assert_at(&x, "name", "gw17-sec1");
	free(x.buf);
	assert_int_equal(ipsec_list_sas(NULL, &x.buf, &x.len), 0);
	parse(&x);
	assert_absent(&x, "ike");
	assert_absent(&x, "noblock");
	free(x.buf);
}

/* A list-sa event in the shape charon 5.9 sends (vici_query.c list_ike). */
static void child(struct vici_builder *b, const char *sec, const char *id,
		  const char *state)
{
	vici_section_start(b, sec);
	vici_kv_str(b, "name", "gw17-sec1");
	vici_kv_str(b, "uniqueid", id);
	vici_kv_str(b, "reqid", "1");
	vici_kv_str(b, "state", state);
	vici_kv_str(b, "mode", "TUNNEL");
	vici_kv_str(b, "protocol", "ESP");
	vici_kv_str(b, "spi-in", "c1a2b3c4");
	vici_kv_str(b, "spi-out", "0badf00d");
	vici_kv_str(b, "encr-alg", "AES_GCM_16");
	vici_kv_str(b, "bytes-in", "123456");
	vici_kv_str(b, "packets-in", "789");
	vici_kv_str(b, "bytes-out", "18446744073709551615");
	vici_kv_str(b, "packets-out", "1");
	vici_kv_str(b, "rekey-time", "3021");
	vici_kv_str(b, "life-time", "3500");
	vici_kv_str(b, "install-time", "300");
	vici_list_start(b, "local-ts");
	vici_list_item_str(b, "0.0.0.0/0");
	vici_list_end(b);
	vici_section_end(b);
}

static void list_sa(struct msg *x, const char *uniqueid, int children)
{
	struct vici_builder b;
	char sec[32], id[16];

	assert_int_equal(vici_build_init(&b, VICI_EVENT, "list-sa"), 0);
	vici_section_start(&b, "gw17-sec1");
	vici_kv_str(&b, "uniqueid", uniqueid);
	vici_kv_str(&b, "version", "2");
	vici_kv_str(&b, "state", "ESTABLISHED");
	vici_kv_str(&b, "local-host", "198.51.100.1");
	vici_kv_str(&b, "remote-host", "192.0.2.117");
	vici_kv_str(&b, "local-id", "198.51.100.1");
	vici_kv_str(&b, "remote-id", "cpe-a.example");
	vici_kv_str(&b, "initiator", "yes");
	vici_kv_str(&b, "dh-group", "CURVE_25519");
	vici_kv_str(&b, "established", "300");
	vici_kv_str(&b, "rekey-time", "13000");
	vici_section_start(&b, "child-sas");
	for (int i = 0; i < children; i++) {
		snprintf(sec, sizeof(sec), "gw17-sec1-%d", i + 1);
		snprintf(id, sizeof(id), "%d", i + 1);
		child(&b, sec, id, i == 0 || i == 5 ? "INSTALLED" : "REKEYED");
	}
	vici_section_end(&b);
	vici_section_end(&b);
	assert_int_equal(vici_build_finish(&b, &x->buf, &x->len), 0);
	parse(x);
}

static void test_sa_report(void **state)
{
	struct ipsec_ike ike;
	struct msg x;

	list_sa(&x, "7", 6);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), 0);
	assert_string_equal(ike.name, "gw17-sec1");
	assert_int_equal(ike.uniqueid, 7);
	assert_string_equal(ike.state, "ESTABLISHED");
	assert_string_equal(ike.remote_host, "192.0.2.117");
	assert_string_equal(ike.remote_id, "cpe-a.example");
	assert_string_equal(ike.dh, "CURVE_25519");
	assert_true(ike.initiator);
	assert_int_equal(ike.established_s, 300);
	assert_int_equal(ike.reauth_s, -1);
	assert_int_equal(ike.n_child, IPSEC_CHILD_MAX);
	assert_int_equal(ike.children_dropped, 2);
	assert_int_equal(ike.installed, 2);
	assert_int_equal(ike.child[0].uniqueid, 1);
	assert_true(ipsec_child_installed(&ike.child[0]));
	/* The installed sixth displaced the first rekeyed one. */
	assert_int_equal(ike.child[1].uniqueid, 6);
	assert_true(ipsec_child_installed(&ike.child[1]));
	assert_false(ipsec_child_installed(&ike.child[2]));
	assert_string_equal(ike.child[0].spi_in, "c1a2b3c4");
	assert_int_equal(ike.child[0].bytes_in, 123456);
	assert_true(ike.child[0].bytes_out == UINT64_MAX);
	assert_int_equal(ike.child[0].rekey_s, 3021);
	free(x.buf);

	/* A uniqueid that is not a number, or past 32 bits: the report is refused. */
	list_sa(&x, "seven", 0);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), -EBADMSG);
	free(x.buf);
	list_sa(&x, "4294967296", 0);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), -EBADMSG);
	free(x.buf);
	list_sa(&x, "-1", 0);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), -EBADMSG);
	free(x.buf);
}

static void test_sa_hostile(void **state)
{
	struct vici_builder b;
	struct ipsec_ike ike;
	char longname[200];
	struct msg x;

	/* No IKE_SA section at all (an empty list-sas answer). */
	assert_int_equal(vici_build_init(&b, VICI_EVENT, "list-sa"), 0);
	vici_kv_str(&b, "up", "yes");
	assert_int_equal(vici_build_finish(&b, &x.buf, &x.len), 0);
	parse(&x);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), -ENOENT);
	free(x.buf);

	/* A NUL inside a string value. */
	assert_int_equal(vici_build_init(&b, VICI_EVENT, "list-sa"), 0);
	vici_section_start(&b, "gw17-sec1");
	vici_kv(&b, "state", "UP\0X", 4);
	vici_section_end(&b);
	assert_int_equal(vici_build_finish(&b, &x.buf, &x.len), 0);
	parse(&x);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), -EBADMSG);
	free(x.buf);

	/* child-sas that is a value, not a section. */
	assert_int_equal(vici_build_init(&b, VICI_EVENT, "list-sa"), 0);
	vici_section_start(&b, "gw17-sec1");
	vici_kv_str(&b, "child-sas", "none");
	vici_section_end(&b);
	assert_int_equal(vici_build_finish(&b, &x.buf, &x.len), 0);
	parse(&x);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), -EBADMSG);
	free(x.buf);

	/* A conn name longer than any of ours; a too long state is cut. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(vici_build_init(&b, VICI_EVENT, "list-sa"), 0);
	vici_section_start(&b, longname);
	vici_section_end(&b);
	assert_int_equal(vici_build_finish(&b, &x.buf, &x.len), 0);
	parse(&x);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), -EBADMSG);
	free(x.buf);
	assert_int_equal(vici_build_init(&b, VICI_EVENT, "list-sa"), 0);
	vici_section_start(&b, "gw17-sec1");
	vici_kv_str(&b, "state", longname);
	vici_section_end(&b);
	assert_int_equal(vici_build_finish(&b, &x.buf, &x.len), 0);
	parse(&x);
	assert_int_equal(ipsec_msg_ike(&x.m, &ike), 0);
	assert_int_equal(strlen(ike.state), sizeof(ike.state) - 1);
	free(x.buf);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xfrm_conn),
		cmocka_unit_test(test_gre_and_vti_conn),
		cmocka_unit_test(test_conn_needs_underlay),
		cmocka_unit_test(test_pubkey_conn),
		cmocka_unit_test(test_psk),
		cmocka_unit_test(test_small_requests),
		cmocka_unit_test(test_sa_report),
		cmocka_unit_test(test_sa_hostile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
