// SPDX-License-Identifier: MIT
/*
 * stage.c - the out-of-line part of a stage (stage.h): its drop edge.
 */
#include "core/pool.h"
#include "core/stage.h"

void pp__stage_drop(struct pp_stage *st, struct pp_skb *skb, enum pp_drop_reason why)
{
	PP_STAT_ADD(st->stats->drops[why], 1);
	pp_skb_drop(st->cache, skb, why);
}
