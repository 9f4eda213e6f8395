/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/pktpipe.h - the umbrella header: the stack API, everything a
 * server that sends and receives through the stack includes (sockets, the
 * stack and its lanes, the skb a zero-copy sender fills, counters, logging).
 *
 * The ring and the frame pool the stack is built from are a separate toolkit
 * that this header does not include: <pktpipe/toolkit/ring.h> and
 * <pktpipe/toolkit/pool.h>, for programs that want them for their own
 * threads (opaque objects, every call a function of the library).
 *
 * The first datagram, in five calls (error handling elided):
 *
 *   struct pp_stack_opts o = { .sz = sizeof(o), .nic = "afxdp:eth1",
 *                              .ip = inet_addr("198.18.0.1"), .prefix = 24 };
 *   pp_stack_create(&o, &st);
 *   pp_socket(st, PP_SOCK_DGRAM, 0, &sk);             // on lane 0
 *   pp_connect(sk, (struct sockaddr *)&peer, sizeof(peer));
 *   pp_send(sk, "hello", 5, 0);
 *   pp_close(sk); pp_stack_destroy(st);
 */
#ifndef PKTPIPE_PKTPIPE_H
#define PKTPIPE_PKTPIPE_H

#include <pktpipe/common.h>
#include <pktpipe/log.h>
#include <pktpipe/skb.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>
#include <pktpipe/stats.h>

#endif
