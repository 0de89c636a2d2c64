/* interpretation_wiring.h — applies a consult's interpretation plan
 * (consult/interpretation.h) to media, as a difference from the last plan
 * applied: a mix is set only when its inputs or gains changed, removed once
 * nobody listens to it, and an endpoint's listen / relayed-audio flags are
 * changed only when they differ.
 *
 * Mix ids are allocated here, one per (consult, key), stable while the key
 * is in the plan: a listener's slot goes on hearing the same mix through a
 * change of gains. Order, so that nobody hears a gap or two things at once:
 * mixes are set (created, or new gains in one step) first, then endpoints
 * move to them, then mixes nobody hears any more are let go.
 *
 * A mix nobody hears lingers CG_INTERP_MIX_LINGER_MS before it is removed
 * (cg_interp_wiring_sweep): a listener that flips between channels, however
 * fast, reuses the pipelines it made instead of building GStreamer pipelines
 * on the main thread at the rate it sends "channel" (at most 2 per language
 * and one per interpreter exist per consult).
 *
 * Media is reached through CgInterpMediaOps so tests can record the calls;
 * session.c passes the cg_media_* functions. Main thread only.
 */
#pragma once

#include <glib.h>

#include "interpretation.h"
#include "media.h"

G_BEGIN_DECLS

typedef struct {
    gboolean (*mix_set)(gpointer media, CgMixId mix, const CgMediaMixInput *inputs, guint n,
                        GError **error);
    void (*mix_remove)(gpointer media, CgMixId mix);
    gboolean (*listen)(gpointer media, CgEndpointId ep, CgMixId mix, GError **error);
    gboolean (*receive_relayed_audio)(gpointer media, CgEndpointId ep, gboolean receive,
                                      GError **error);
    gboolean (*audio_relayed)(gpointer media, CgEndpointId ep, gboolean relayed, GError **error);
} CgInterpMediaOps;

#define CG_INTERP_MIX_LINGER_MS 5000

typedef struct _CgInterpWiring CgInterpWiring;

/* (transfer full) @ops is copied; @media is passed to every op. */
CgInterpWiring *cg_interp_wiring_new(const CgInterpMediaOps *ops, gpointer media);
/* Removes every mix it made (lingering ones too) and frees it: call it
 * before media is freed. */
void cg_interp_wiring_free(CgInterpWiring *wiring);

/* Brings media to @plan for @consult_id at @now_us (monotonic); NULL: the
 * consult has nobody left (its mixes are removed at once, its endpoints
 * forgotten: media removed them). A failing media call is logged and the
 * next apply tries again; the others' calls go on. */
void cg_interp_wiring_apply(CgInterpWiring *wiring, const char *consult_id,
                            const CgInterpPlan *plan, gint64 now_us);
/* Removes the mixes nobody heard for CG_INTERP_MIX_LINGER_MS by @now_us. */
void cg_interp_wiring_sweep(CgInterpWiring *wiring, gint64 now_us);
/* When the next sweep has something to remove (monotonic us), or 0. */
gint64 cg_interp_wiring_next_sweep(CgInterpWiring *wiring);
/* The mix id of @key in @consult_id now, or 0. */
CgMixId cg_interp_wiring_mix_id(CgInterpWiring *wiring, const char *consult_id, const char *key);

G_END_DECLS
