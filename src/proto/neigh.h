/* SPDX-License-Identifier: MIT */
/*
 * neigh.h (internal) - the neighbour table (IPv4 next hop -> Ethernet address)
 * and the neighbour output stage, cf. net/core/neighbour.c and net/ipv4/arp.c.
 *
 * Three files implement it, one concern each: neigh_table.c (the table, its
 * states, learning and collection), neigh_queue.c (a lane's pending queues,
 * ARP requests and timers: pp__neigh_poll() and the pp__neigh_lane_*()
 * calls) and neigh_output.c (the stage, pp__neigh_output()); neigh_priv.h
 * holds what they share.
 *
 * The table is an rculfhash (liburcu, QSBR flavour) of entries allocated from
 * a slab made at create time, so that a lane meeting a cold next hop creates
 * its entry without malloc or lock. An entry's address, state and timer live
 * in two 64-bit words that every party updates with CAS: lanes read them with
 * one load and never lock.
 *
 * The kernel keeps the skbs that wait for resolution on the entry (arp_queue)
 * under the entry's lock. Here each lane keeps its own pending FIFO per next
 * hop (struct pp_neigh_lane) and services it in pp__neigh_poll(): flush in
 * order once the entry is valid, drop once it failed. Probes (ARP requests)
 * are claimed with a CAS on the entry's timer word, so exactly one lane sends
 * each of them, whatever the number of lanes holding skbs for that entry.
 *
 * Holds (cf. __neigh_event_send()), all charged by truesize (every frame of
 * a fragment chain): per next hop at most unres_qlen skbs and
 * unres_qlen_bytes; per lane at most PP_NEIGH_LANE_SLOTS next hops and
 * hold_max bytes over all of them (pp__hold_share(frames_per_lane,
 * frame_size, PP_HOLD_NEIGH_DIV), see defaults.h). Beyond a next hop's bounds
 * its oldest skbs go; beyond hold_max the oldest skbs of the next hop
 * holding the most bytes go (longest-queue drop, cf. fq_codel_drop()), which
 * may be the new skb's own hop: one unresolved next hop cannot starve the
 * others, and new traffic always finds room. An skb larger than a bound on
 * its own is dropped at once. All of these drops are
 * PP_DROP_NEIGH_QUEUE_FULL. When all slots are taken, a new next hop
 * reclaims the slot of the INCOMPLETE entry held longest (its skbs dropped,
 * PP_DROP_NEIGH_QUEUE_FULL): a flood of replies to spoofed sources that
 * never answer ARP cannot keep our traffic to a new next hop out. Slots of
 * valid entries (skbs held only because out[] was full) are not reclaimed:
 * they leave at the next poll.
 *
 * States (cf. NUD_*):
 *   INCOMPLETE  created by traffic; up to mcast_probes broadcast requests,
 *               retrans_ns apart; none answered -> FAILED. One that no lane
 *               holds skbs for any more (its slot was reclaimed) is failed
 *               by pp__neigh_tick() once its probe is a whole retrans_ns late.
 *   REACHABLE   confirmed (ARP reply, pp__neigh_update()); -> STALE after
 *               reachable_ns without confirmation.
 *   STALE       address known but unconfirmed: still used to transmit.
 *   FAILED      skbs to it are dropped; new traffic after failed_hold_ns
 *               restarts resolution (INCOMPLETE).
 *   PERMANENT   static (pp__neigh_add_static()); never expires, never
 *               changed by ARP, never collected.
 *
 * What a host on the link can make the table do (cf. arp_process()):
 *  - Learning: only a request addressed to us creates an entry (STALE,
 *    pp__neigh_event()), and only for a sender inside our subnet (ip/mask).
 *    An off-link sender is answered by the ARP code but only refreshes an
 *    entry that already exists (one our traffic made for an on-link route):
 *    the kernel answers if a route back exists; we have no route lookup
 *    here, and answering costs nothing we keep.
 *  - Addresses: 0, 255.255.255.255, multicast and the subnet broadcast never
 *    get an entry (-EINVAL); a next hop equal to the subnet broadcast is sent
 *    to ff:ff:ff:ff:ff:ff without ARP, as a limited broadcast is (cf.
 *    RTN_BROADCAST, arp_constructor() taking dev->broadcast).
 *  - Locktime (cf. neigh_update() and arp_process()'s override): a valid
 *    entry whose address or state changed at most locktime_ns ago keeps its
 *    address when a reply or a request claims another one (the first answer
 *    wins, nothing changes); the same address still refreshes it; a
 *    gratuitous ARP (PP_NEIGH_F_OVERRIDE) and the admin
 *    (pp__neigh_add_static()) override. The kernel lets a request to us
 *    override at once (neigh_event_ns()); here locktime holds for it too, so
 *    that one forged request cannot redirect a peer we just resolved.
 *  - Size and collection (cf. neigh_periodic_work(), neigh_forced_gc()):
 *    max_entries is gc_thresh3, the hard maximum of live entries. Every
 *    entry records when its address or state last changed ("updated") and
 *    which lanes hold skbs for it (a bit per lane: the kernel's refcnt).
 *    pp__neigh_tick() removes, while at least gc_thresh1 entries live, each
 *    unreferenced STALE entry not updated for gc_stale_ns. Creating an entry
 *    at gc_thresh3 (or at gc_thresh2 when none ran for 5 s) first runs the
 *    forced GC: unreferenced non-PERMANENT entries that FAILED or were not
 *    updated for 5 s go, down to gc_thresh2. If that freed nothing and the
 *    entry is wanted by our own traffic (or the admin), the oldest
 *    unreferenced non-PERMANENT entry is evicted anyway: what the link
 *    taught us never locks out our own resolution. A learned entry that
 *    finds the table full is not created (the request is still answered).
 *    The slab holds 2 * max_entries, so that entries evicted now but reused
 *    only after a grace period do not keep the new one from being made.
 *    Collecting a STALE entry a lane still sends through costs one
 *    resolution (its skbs wait one round trip), as the kernel's DELAY/PROBE
 *    re-confirmation of a used STALE entry would; lanes do not stamp use on
 *    the data path (no store, no clock read per packet).
 *
 * Time: timers are driven by the now_ns values the caller passes (the stack
 * passes pp__now_ns()); pp__neigh_output() reads pp__now_ns() itself, once
 * per burst and only when a decision needs it, unless the lane's clock is
 * pinned (pp__neigh_lane_pin_clock(), for tests on fake time): then it uses
 * the time of the lane's last pp__neigh_poll(). Timer deadlines are kept in
 * 48 bits, so a deadline is noticed only within 39 hours after it passed;
 * pp__neigh_tick() run every few seconds keeps every entry well within that.
 *
 * RCU: every thread calling into the table must be registered with urcu-qsbr
 * (rcu_register_thread()) and online; lanes report quiescent states between
 * loop iterations (rcu_quiescent_state()), never inside a stage.
 *
 * Concurrency:
 *
 *   call                               | may run concurrently with
 *   -----------------------------------+------------------------------------
 *   pp__neigh_output/poll (lane k)     | everything but lane k's own calls
 *   pp__neigh_add_static/del/update/   | everything but create/destroy
 *     event/lookup/tick, pp__arp_input |
 *   pp__neigh_lane_create/destroy (k)  | everything but lane k's calls
 *   pp__neigh_table_create/destroy     | nothing on that table
 */
#ifndef PP_PROTO_NEIGH_H
#define PP_PROTO_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stage.h"
#include "proto/defaults.h"

/**
 * struct pp_neigh_params - table parameters (cf. struct neigh_parms and the
 * gc_* knobs of struct neigh_table). A zero field takes its default.
 * @unres_qlen: skbs held per entry per lane (default 101, as the kernel).
 * @retrans_ns: interval between probes (default 1 s).
 * @mcast_probes: broadcast requests before FAILED (default 3, at most 255).
 * @reachable_ns: REACHABLE lifetime without confirmation (default 30 s).
 * @failed_hold_ns: time a FAILED entry drops traffic before new traffic may
 *		    restart resolution (default 1 s).
 * @mac: our Ethernet address (required: unicast, not zero).
 * @ip: our IPv4 address, network order (required: not 0, not multicast).
 * @max_entries: live entries the table holds, gc_thresh3 (default 1024,
 *		 PP_NEIGH_GC_THRESH3); preallocated: creating an entry never
 *		 calls malloc.
 * @mask: our subnet mask, network order, contiguous: senders inside
 *	  ip/mask are on link and may be learned; ip | ~mask is the subnet
 *	  broadcast (none for a /31 or /32). 0 (the default) is a /0: every
 *	  address on link, as an on-link default route.
 * @unres_qlen_bytes: truesize held per entry per lane (default
 *		      PP_NEIGH_UNRES_QLEN_BYTES).
 * @frames_per_lane, @frame_size: the lane's pool (default 4096 and 2048):
 *		      a lane holds at most pp__hold_share(frames_per_lane,
 *		      frame_size, PP_HOLD_NEIGH_DIV) bytes over all entries.
 * @gc_thresh1: below this many entries pp__neigh_tick() collects no STALE
 *		entry (default PP_NEIGH_GC_THRESH1, at most gc_thresh2).
 * @gc_thresh2: the forced GC shrinks the table to this (default
 *		PP_NEIGH_GC_THRESH2, at most max_entries).
 * @gc_stale_ns: age (since updated) of an unreferenced STALE entry that
 *		 pp__neigh_tick() removes (default PP_NEIGH_GC_STALE_NS).
 * @locktime_ns: a valid entry keeps its address this long against ARP
 *		 claiming another one (default PP_NEIGH_LOCKTIME_NS).
 * Every time must be below 2^46 ns (19.5 hours). A default larger than
 * max_entries (thresholds) is lowered to it.
 */
struct pp_neigh_params {
	uint32_t unres_qlen;
	uint64_t retrans_ns;
	uint32_t mcast_probes;
	uint64_t reachable_ns;
	uint64_t failed_hold_ns;
	uint8_t mac[6];
	uint32_t ip;
	uint32_t max_entries;
	uint32_t mask;
	uint32_t unres_qlen_bytes;
	uint32_t frames_per_lane;
	uint32_t frame_size;
	uint32_t gc_thresh1;
	uint32_t gc_thresh2;
	uint64_t gc_stale_ns;
	uint64_t locktime_ns;
};

/** enum pp_neigh_state - neighbour states, cf. NUD_*. */
enum pp_neigh_state {
	PP_NUD_NONE,
	PP_NUD_INCOMPLETE,
	PP_NUD_REACHABLE,
	PP_NUD_STALE,
	PP_NUD_FAILED,
	PP_NUD_PERMANENT,
};

struct pp_neigh_table;
struct pp_neigh_lane;

/* pp__eth_addr_unicast() - a MAC a neighbour (or we) may have: not a group
 * address, not all zero (cf. is_valid_ether_addr()). */
static inline bool pp__eth_addr_unicast(const uint8_t m[6])
{
	return !(m[0] & 1) && (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

/* pp__ipv4_is_multicast() - 224.0.0.0/4, @be in network order (cf. ipv4_is_multicast()). */
static inline bool pp__ipv4_is_multicast(uint32_t be)
{
	return (__builtin_bswap32(be) & 0xf0000000u) == 0xe0000000u;
}

/**
 * pp__neigh_table_create() - make a table for @nlanes lanes.
 * Return: 0 and *@out set; -EINVAL for NULL arguments, @nlanes 0 or above
 * PP_POOL_CACHES_MAX, a bad address of ours, a mask that is not contiguous,
 * mcast_probes above 255, unres_qlen above 65535, max_entries above 2^20,
 * gc_thresh1 > gc_thresh2 > max_entries (when set), or a time too large;
 * -ENOMEM.
 * Context: control path.
 */
int pp__neigh_table_create(const struct pp_neigh_params *p, uint16_t nlanes,
			   struct pp_neigh_table **out);

/**
 * pp__neigh_table_destroy() - delete every entry and free the table. NULL is a
 * no-op. Waits for pending RCU callbacks (rcu_barrier()).
 * Context: control path, registered thread; the lanes have finished (their
 * pp_neigh_lane may still exist: it does not point into the table's entries;
 * pp__neigh_lane_destroy() does not touch the table).
 */
void pp__neigh_table_destroy(struct pp_neigh_table *t);

/**
 * pp__neigh_add_static() - create or overwrite the entry of @ip as PERMANENT
 * with @mac (cf. "ip neigh replace ... nud permanent"). Lanes holding skbs for
 * @ip flush them at their next poll.
 * Return: 0; -EINVAL (NULL, @ip 0/multicast/broadcast/subnet broadcast, @mac
 * multicast or zero); -ENOBUFS if the table is full of PERMANENT entries and
 * entries lanes hold skbs for (anything else is evicted to make room).
 * Context: any registered thread.
 */
int pp__neigh_add_static(struct pp_neigh_table *t, uint32_t ip, const uint8_t mac[6]);

/**
 * pp__neigh_del() - remove the entry of @ip (memory reclaimed after a grace
 * period). Lanes holding skbs for it drop them (PP_DROP_NEIGH_FAILED) at their
 * next poll, as the kernel purges arp_queue when an entry goes.
 * Return: 0; -EINVAL for NULL; -ENOENT if there is no entry.
 * Context: any registered thread.
 */
int pp__neigh_del(struct pp_neigh_table *t, uint32_t ip);

/**
 * pp__neigh_update() - a confirmation arrived (ARP reply, or an API call): an
 * existing entry becomes REACHABLE with @mac (cf. neigh_update(NUD_REACHABLE)).
 * It never creates an entry, as the kernel ignores replies for unknown
 * neighbours (arp_accept=0); pp__neigh_event() is the creating variant.
 * Within locktime of the entry's last change another address is ignored
 * (nothing changes, 0 is returned, as neigh_update() does without
 * NEIGH_UPDATE_F_OVERRIDE).
 * Return: 0; -EINVAL (NULL, @ip 0/broadcast/multicast/subnet broadcast,
 * @mac multicast or zero); -ENOENT if there is no entry; -EPERM for a
 * PERMANENT entry (left unchanged).
 * Context: any registered thread.
 */
int pp__neigh_update(struct pp_neigh_table *t, uint32_t ip, const uint8_t mac[6], uint64_t now_ns);

/**
 * pp__neigh_event() - learn @mac for @ip from a request addressed to us
 * (cf. neigh_event_ns()): create the entry STALE if missing and @ip is on
 * link (inside ip/mask); a valid entry with the same address keeps its
 * state; otherwise it becomes STALE with @mac, unless locktime keeps the
 * old address (see the header comment).
 * Return: 0; -EINVAL as pp__neigh_update(); -ENETUNREACH for an off-link
 * @ip without an entry (nothing learned); -ENOBUFS if the table is full and
 * the forced GC freed nothing; -EPERM for a PERMANENT entry (left unchanged).
 * Context: any registered thread (the RX lane).
 */
int pp__neigh_event(struct pp_neigh_table *t, uint32_t ip, const uint8_t mac[6], uint64_t now_ns);

/**
 * pp__neigh_confirm() - as pp__neigh_update() for an ARP packet heard from
 * @ip: @state is PP_NUD_REACHABLE (a reply to us) or PP_NUD_STALE (heard but
 * not a reply to us: keeps a valid entry with the same address as it is).
 * @flags: 0 or PP_NEIGH_F_OVERRIDE (a gratuitous ARP: locktime does not
 * apply, cf. arp_is_garp()).
 * Return: as pp__neigh_update(); -EINVAL for another @state or flag.
 */
#define PP_NEIGH_F_OVERRIDE 1u
int pp__neigh_confirm(struct pp_neigh_table *t, uint32_t ip, const uint8_t mac[6],
		      enum pp_neigh_state state, unsigned int flags, uint64_t now_ns);

/**
 * pp__neigh_lookup() - state and address of the entry of @ip (for tests and
 * tools). @mac may be NULL; it is all zero while the entry has no address.
 * Return: 0; -EINVAL for NULL @t or @state; -ENOENT.
 * Context: any registered thread.
 */
int pp__neigh_lookup(struct pp_neigh_table *t, uint32_t ip, enum pp_neigh_state *state,
		     uint8_t mac[6]);

/**
 * pp__neigh_tick() - periodic work (cf. neigh_periodic_work()): REACHABLE
 * entries past reachable_ns become STALE; FAILED entries past failed_hold_ns
 * are removed (traffic to them starts afresh); INCOMPLETE entries no lane
 * holds skbs for, whose probe is retrans_ns late, become FAILED; with at
 * least gc_thresh1 live entries, STALE entries no lane holds skbs for and
 * not updated for gc_stale_ns are removed.
 * Return: how many entries were removed, or -EINVAL.
 * Context: control path, registered thread; call every second or so.
 */
int pp__neigh_tick(struct pp_neigh_table *t, uint64_t now_ns);

/**
 * pp__neigh_table_ip() - our IPv4 address (network order), pp__neigh_table_mac()
 * - our Ethernet address, as given at create; pp__neigh_table_bcast() - our
 * subnet broadcast (ip | ~mask; 255.255.255.255 for a /31, /32 or /0);
 * pp__neigh_table_onlink() - @ip is inside our subnet. For the ARP code.
 */
uint32_t pp__neigh_table_ip(const struct pp_neigh_table *t);
const uint8_t *pp__neigh_table_mac(const struct pp_neigh_table *t);
uint32_t pp__neigh_table_bcast(const struct pp_neigh_table *t);
bool pp__neigh_table_onlink(const struct pp_neigh_table *t, uint32_t ip);

/**
 * pp__neigh_table_count() - live entries (relaxed; for tests and tools).
 */
uint32_t pp__neigh_table_count(const struct pp_neigh_table *t);

/**
 * struct pp_neigh_lane_stats - what one lane's neighbour stage did besides
 * its stage counters (drops are in the stage's pp_stage_stats).
 * @held: skbs put on a pending queue.
 * @flushed: held skbs sent after resolution.
 * @arp_requests: ARP requests this lane emitted.
 * @arp_nobuf: requests it could not build (no frame); the probe counts as
 *	       sent, as a frame lost on the wire would.
 * @created: entries this lane created.
 * @create_fail: entries it could not create (table full).
 * @held_bytes: truesize the lane holds now, over all next hops.
 * @hold_max: its bound (pp__hold_share() of the lane's frames).
 * @reclaimed: slots of INCOMPLETE next hops taken for a new next hop.
 */
struct pp_neigh_lane_stats {
	uint64_t held;
	uint64_t flushed;
	uint64_t arp_requests;
	uint64_t arp_nobuf;
	uint64_t created;
	uint64_t create_fail;
	uint64_t held_bytes;
	uint64_t hold_max;
	uint64_t reclaimed;
};

/**
 * pp__neigh_lane_create() - per-lane state of lane @lane: pending queues and
 * counters. Set it as the ctx of that lane's neighbour stage.
 * Return: 0; -EINVAL (NULL, @lane >= nlanes); -ENOMEM.
 * Context: control path.
 */
int pp__neigh_lane_create(struct pp_neigh_table *t, uint16_t lane, struct pp_neigh_lane **out);

/**
 * pp__neigh_lane_destroy() - drop every held skb with PP_DROP_SHUTDOWN through
 * pp_stage_drop(@st) and free @nl. NULL @nl is a no-op; @st may be NULL only
 * if the lane is idle. It does not touch the table (which may be gone):
 * entries the lane held skbs for keep its mark, which only shields them from
 * collection; lanes are destroyed at shutdown, just before the table.
 * Context: control path, or the lane's thread after its last poll.
 */
void pp__neigh_lane_destroy(struct pp_neigh_lane *nl, struct pp_stage *st);

/**
 * pp__neigh_output() - the neighbour stage (cf. neigh_output(),
 * neigh_resolve_output()). st->ctx is the lane's struct pp_neigh_lane.
 * Input: data at the IPv4 header, net_off set, skb->nexthop set (network
 * order; 0: the header's daddr, cf. rt_nexthop()). An skb may carry a
 * fragment chain (skb->frag).
 * Output: resolved skbs with an Ethernet header pushed on every fragment and
 * mac_off set; a chain stays one out[] entry. Also ARP requests (allocated
 * from st->cache, a lane cache). Multicast and limited-broadcast next hops are
 * mapped without ARP (cf. arp_mc_map()).
 * A next hop equal to the subnet broadcast goes to ff:ff:ff:ff:ff:ff.
 * Others are held (pending queue of the lane, bounded as the header comment
 * says: PP_DROP_NEIGH_QUEUE_FULL) or dropped: PP_DROP_NEIGH_FAILED
 * (FAILED entry, table full), PP_DROP_NO_BUFFER (no headroom for the
 * Ethernet header), PP_DROP_MALFORMED (no next hop and no IPv4 header),
 * PP_DROP_RING_FULL (out[] full and nowhere to hold).
 * Return: entries written to out (at most st->out_cap). With NULL @st, ctx or
 * @out nothing is done and the caller keeps @pkts.
 * Context: the lane's thread, online (RCU).
 */
uint16_t pp__neigh_output(struct pp_stage *st, struct pp_skb **pkts, uint16_t n,
			  struct pp_skb **out);

/**
 * pp__neigh_poll() - the lane's neighbour timers: for each next hop it holds
 * skbs for, flush them in order once resolved, drop them once FAILED or
 * deleted, and send the due probe (one lane per probe, whoever claims it).
 * Records @now_ns as the lane's time (used by pp__neigh_output() on a
 * pinned lane). Cheap when the lane holds nothing: calling it every
 * iteration, or only when !pp__neigh_lane_idle(), both work.
 * Return: entries written to @out (at most @cap).
 * Context: the lane's thread, online (RCU); every loop iteration.
 */
uint16_t pp__neigh_poll(struct pp_stage *st, uint64_t now_ns, struct pp_skb **out, uint16_t cap);

/**
 * pp__neigh_lane_pin_clock() - with @pin, pp__neigh_output() on this lane
 * takes its time from the last pp__neigh_poll() instead of the clock, so a
 * test drives every timer with fake time. NULL is a no-op.
 * Context: the lane's thread, or before it runs.
 */
void pp__neigh_lane_pin_clock(struct pp_neigh_lane *nl, bool pin);

/** pp__neigh_lane_idle() - true if the lane holds no skb (NULL: true). */
bool pp__neigh_lane_idle(const struct pp_neigh_lane *nl);

/**
 * pp__neigh_lane_stats() - copy the lane's counters into @s.
 * Return: 0, or -EINVAL for NULL.
 * Context: any thread (relaxed snapshot).
 */
int pp__neigh_lane_stats(const struct pp_neigh_lane *nl, struct pp_neigh_lane_stats *s);

#endif /* PP_PROTO_NEIGH_H */
