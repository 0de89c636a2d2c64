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
 * move to them, then mixes nobody hears any more are removed.
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

typedef struct _CgInterpWiring CgInterpWiring;

/* (transfer full) @ops is copied; @media is passed to every op. */
CgInterpWiring *cg_interp_wiring_new(const CgInterpMediaOps *ops, gpointer media);
/* Frees the bookkeeping (media's mixes are the caller's to tear down). */
void cg_interp_wiring_free(CgInterpWiring *wiring);

/* Brings media to @plan (nullable: no interpretation, or nobody left) for
 * @consult_id. A failing media call is logged and the next apply tries
 * again; the others' calls go on. */
void cg_interp_wiring_apply(CgInterpWiring *wiring, const char *consult_id,
                            const CgInterpPlan *plan);
/* The mix id of @key in @consult_id now, or 0. */
CgMixId cg_interp_wiring_mix_id(CgInterpWiring *wiring, const char *consult_id, const char *key);

G_END_DECLS
