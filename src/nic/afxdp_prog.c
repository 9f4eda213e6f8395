// SPDX-License-Identifier: MIT
/*
 * afxdp_prog.c - the afxdp NIC's XDP program (bpf/pp_xdp.bpf.c): find its
 * object, load it with libbpf, size its XSKMAP, write its config map (our
 * IPv4 address: what it redirects to us), and attach it through a bpf_link so
 * that it goes away with the process, crash included (cf. libxdp's
 * xdp_program__attach() and the kernel's dev_xdp_attach_link()). A copy of it
 * attached the legacy way (netlink, cf. dev_xdp_attach()) is stale and
 * replaced; anything else on the interface is refused with -EBUSY.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "nic/afxdp_priv.h"
#include "nic/bpf/pp_xdp_path.h"

#define AFXDP_XSKMAP_MIN 64u

static bool file_exists(const char *path)
{
	return path && path[0] && access(path, R_OK) == 0;
}

const char *pp__afxdp_obj_path(void)
{
	static char beside[4096];
	const char *env = getenv("PP_XDP_OBJ");
	Dl_info dl;

	if (env && env[0])
		return file_exists(env) ? env : NULL;
#ifdef PP_XDP_OBJ_BUILD
	if (file_exists(PP_XDP_OBJ_BUILD))
		return PP_XDP_OBJ_BUILD;
#endif
	if (file_exists(PP_XDP_OBJ_INSTALL))
		return PP_XDP_OBJ_INSTALL;
	/* pktpipe/pp_xdp.bpf.o beside the shared library (a relocated install) */
	if (dladdr((void *)pp__afxdp_obj_path, &dl) && dl.dli_fname) {
		const char *slash = strrchr(dl.dli_fname, '/');
		int n = slash ? (int)(slash - dl.dli_fname) : 1;

		snprintf(beside, sizeof(beside), "%.*s/pktpipe/pp_xdp.bpf.o", n,
			 slash ? dl.dli_fname : ".");
		if (file_exists(beside))
			return beside;
	}
	return NULL;
}

static const char *prog_name_of(uint32_t id, char *name, size_t len)
{
	struct bpf_prog_info pi;
	uint32_t pilen = sizeof(pi);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(name, len, "?");
	if (fd < 0)
		return name;
	memset(&pi, 0, sizeof(pi));
	if (!bpf_obj_get_info_by_fd(fd, &pi, &pilen))
		snprintf(name, len, "%s", pi.name);
	close(fd);
	return name;
}

/*
 * Find what XDP programs sit on @ifindex. Ours attached the legacy way are
 * removed (a crashed process or old tool left them); ours held by a live
 * bpf_link, or anything foreign, make it -EBUSY.
 * Return: how many were removed, or a negative errno.
 */
static int clear_stale(int ifindex, const char *ifname, bool quiet)
{
	static const struct {
		uint32_t flag;
		const char *mode;
	} modes[] = {
		{XDP_FLAGS_DRV_MODE, "native"},
		{XDP_FLAGS_SKB_MODE, "skb"},
		{XDP_FLAGS_HW_MODE, "hw"},
	};
	LIBBPF_OPTS(bpf_xdp_query_opts, qo);
	int removed = 0, err;

	err = bpf_xdp_query(ifindex, 0, &qo);
	if (err) {
		if (!quiet)
			pp__log_warn("afxdp: %s: query XDP programs: %s\n", ifname, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		uint32_t id = modes[i].flag == XDP_FLAGS_DRV_MODE ? qo.drv_prog_id
			      : modes[i].flag == XDP_FLAGS_SKB_MODE ? qo.skb_prog_id
								     : qo.hw_prog_id;
		char name[BPF_OBJ_NAME_LEN + 1];
		int fd;

		if (!id)
			continue;
		prog_name_of(id, name, sizeof(name));
		if (strcmp(name, PP__AFXDP_PROG_NAME)) {
			pp__log_warn(
				"afxdp: %s: a foreign XDP program is attached (%s mode, id %u, "
				"name \"%s\"): not replacing it\n",
				ifname, modes[i].mode, id, name);
			return -EBUSY;
		}
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue; /* gone meanwhile */
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = fd);
		err = bpf_xdp_detach(ifindex, modes[i].flag | XDP_FLAGS_REPLACE, &ao);
		close(fd);
		if (err == -EBUSY) {
			pp__log_warn(
				"afxdp: %s: our XDP program (id %u, %s mode) is held by a live "
				"bpf_link: another pktpipe process uses this interface\n",
				ifname, id, modes[i].mode);
			return -EBUSY;
		}
		if (err) {
			pp__log_warn("afxdp: %s: detach stale XDP program id %u: %s\n", ifname,
				id, strerror(-err));
			return err;
		}
		if (!quiet)
			pp__log_warn("afxdp: %s: removed a stale pktpipe XDP program (id %u, %s mode)\n",
				ifname, id, modes[i].mode);
		removed++;
	}
	return removed;
}

int pp__afxdp_detach_stale(const char *ifname)
{
	int ifindex;

	if (!ifname)
		return -EINVAL;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	return clear_stale(ifindex, ifname, true);
}

static int set_cfg(struct afxdp *a)
{
	struct pp_xdp_cfg cfg = {.ipv4 = a->info.ipv4};
	uint32_t zero = 0;

	if (bpf_map_update_elem(a->cfg_fd, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_mode(struct afxdp *a, int prog_fd, uint32_t flag)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flag);
	int fd = bpf_link_create(prog_fd, a->info.ifindex, BPF_XDP, &lo);

	if (fd < 0)
		return fd;
	a->link_fd = fd;
	return 0;
}

int pp__afxdp_prog_load(struct afxdp *a, uint16_t nrxq)
{
	const char *ifname = a->info.ifname;
	const char *path = pp__afxdp_obj_path();
	struct bpf_program *prog;
	struct bpf_map *xsks;
	struct bpf_prog_info pi;
	uint32_t pilen = sizeof(pi);
	int err, prog_fd;

	if (!path) {
		pp__log_warn("afxdp: XDP object pp_xdp.bpf.o not found (set PP_XDP_OBJ)\n");
		return -ENOENT;
	}
	err = clear_stale(a->info.ifindex, ifname, false);
	if (err < 0)
		return err;
	a->info.replaced_stale = err > 0;

	a->obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(a->obj);
	if (err) {
		a->obj = NULL;
		pp__log_warn("afxdp: open %s: %s\n", path, strerror(-err));
		return err;
	}
	xsks = bpf_object__find_map_by_name(a->obj, "pp_xsks");
	prog = bpf_object__find_program_by_name(a->obj, PP__AFXDP_PROG_NAME);
	if (!xsks || !prog) {
		pp__log_warn("afxdp: %s is not our XDP object\n", path);
		return -ENOENT;
	}
	err = bpf_map__set_max_entries(xsks, nrxq > AFXDP_XSKMAP_MIN ? nrxq : AFXDP_XSKMAP_MIN);
	if (err)
		return err;
	err = bpf_object__load(a->obj);
	if (err) {
		pp__log_warn("afxdp: load XDP program %s: %s\n", path, strerror(-err));
		return err;
	}
	prog_fd = bpf_program__fd(prog);
	a->xsks_fd = bpf_map__fd(xsks);
	a->cfg_fd = bpf_object__find_map_fd_by_name(a->obj, "pp_cfg");
	a->stats_fd = bpf_object__find_map_fd_by_name(a->obj, "pp_stats");
	if (a->cfg_fd < 0 || a->stats_fd < 0)
		return -ENOENT;
	err = set_cfg(a);
	if (err)
		return err;

	switch (a->mode) {
	case MODE_NATIVE:
		err = attach_mode(a, prog_fd, XDP_FLAGS_DRV_MODE);
		a->info.xdp_mode = "native";
		break;
	case MODE_SKB:
		err = attach_mode(a, prog_fd, XDP_FLAGS_SKB_MODE);
		a->info.xdp_mode = "skb";
		break;
	case MODE_AUTO:
		err = attach_mode(a, prog_fd, XDP_FLAGS_DRV_MODE);
		a->info.xdp_mode = "native";
		if (err) {
			err = attach_mode(a, prog_fd, XDP_FLAGS_SKB_MODE);
			a->info.xdp_mode = "skb";
		}
		break;
	}
	if (err) {
		pp__log_warn("afxdp: %s: attach XDP program (%s mode) refused: %s\n", ifname,
			a->mode == MODE_AUTO ? "native, then skb" : a->info.xdp_mode,
			strerror(-err));
		a->info.xdp_mode = "none";
		return err;
	}
	memset(&pi, 0, sizeof(pi));
	if (!bpf_obj_get_info_by_fd(prog_fd, &pi, &pilen))
		a->info.prog_id = pi.id;
	return 0;
}

void pp__afxdp_prog_unload(struct afxdp *a)
{
	if (a->link_fd >= 0) {
		close(a->link_fd); /* the bpf_link goes, the program is detached */
		a->link_fd = -1;
	}
	if (a->obj) {
		bpf_object__close(a->obj);
		a->obj = NULL;
	}
	a->xsks_fd = a->cfg_fd = a->stats_fd = -1;
}

/* The set_addr op: what the program's own-address filter lets through to us
 * (ARP for it, IPv4 to it) changes at the next packet, no re-attach. */
int pp__afxdp_set_addr(struct pp_nic *nic, uint32_t ipv4)
{
	struct afxdp *a;
	uint32_t old;
	int err;

	if (!is_afxdp(nic))
		return -EINVAL;
	a = priv_of(nic);
	if (a->cfg_fd < 0)
		return -EOPNOTSUPP;
	old = a->info.ipv4;
	a->info.ipv4 = ipv4;
	err = set_cfg(a);
	if (err)
		a->info.ipv4 = old;
	return err;
}
