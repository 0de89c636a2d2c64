/* interpretation_wiring.c — see interpretation_wiring.h. */
#include "interpretation_wiring.h"

typedef struct {
    CgMixId id;
    GArray *inputs;    /* CgMediaMixInput as last set; NULL until set successfully */
    gint64 idle_since; /* out of the plan since (us); 0 while in it */
} MixState;

typedef struct {
    CgMixId listen;
    gboolean receive_relayed_audio;
    gboolean audio_relayed;
} EndpointState;

typedef struct {
    GHashTable *mixes;     /* key -> MixState */
    GHashTable *endpoints; /* CgEndpointId* -> EndpointState */
} ConsultState;

struct _CgInterpWiring {
    CgInterpMediaOps ops;
    gpointer media;
    GHashTable *consults; /* consult id -> ConsultState */
    CgMixId next_mix;
};

static void mix_state_free(MixState *m)
{
    if (m->inputs)
        g_array_unref(m->inputs);
    g_free(m);
}

static void consult_state_free(ConsultState *c)
{
    g_hash_table_unref(c->mixes);
    g_hash_table_unref(c->endpoints);
    g_free(c);
}

CgInterpWiring *cg_interp_wiring_new(const CgInterpMediaOps *ops, gpointer media)
{
    CgInterpWiring *w = g_new0(CgInterpWiring, 1);
    w->ops = *ops;
    w->media = media;
    w->consults =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)consult_state_free);
    w->next_mix = 1;
    return w;
}

void cg_interp_wiring_free(CgInterpWiring *w)
{
    if (!w)
        return;
    /* every mix it made, lingering ones too, before media goes */
    GHashTableIter it, mit;
    gpointer value, mv;
    g_hash_table_iter_init(&it, w->consults);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        g_hash_table_iter_init(&mit, ((ConsultState *)value)->mixes);
        while (g_hash_table_iter_next(&mit, NULL, &mv))
            w->ops.mix_remove(w->media, ((MixState *)mv)->id);
    }
    g_hash_table_unref(w->consults);
    g_free(w);
}

static ConsultState *consult_state(CgInterpWiring *w, const char *consult_id, gboolean create)
{
    ConsultState *c = g_hash_table_lookup(w->consults, consult_id);
    if (c || !create)
        return c;
    c = g_new0(ConsultState, 1);
    c->mixes =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)mix_state_free);
    c->endpoints = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    g_hash_table_insert(w->consults, g_strdup(consult_id), c);
    return c;
}

static void warn(const char *consult_id, const char *what, GError *error)
{
    g_warning("[consult|%s] interpretation: %s: %s", consult_id, what,
              error ? error->message : "failed");
    g_clear_error(&error);
}

static gboolean same_inputs(const GArray *a, const GArray *b)
{
    if (!a || a->len != b->len)
        return FALSE;
    for (guint i = 0; i < a->len; i++) {
        const CgMediaMixInput *x = &g_array_index(a, CgMediaMixInput, i);
        const CgMediaMixInput *y = &g_array_index(b, CgMediaMixInput, i);
        if (x->ep != y->ep || x->gain != y->gain)
            return FALSE;
    }
    return TRUE;
}

/* Creates or updates @mix of the plan (one mix_set: inputs and gains in one step). */
static void set_mix(CgInterpWiring *w, const char *consult_id, ConsultState *c,
                    const CgInterpMix *mix)
{
    MixState *m = g_hash_table_lookup(c->mixes, mix->key);
    if (!m) {
        m = g_new0(MixState, 1);
        m->id = w->next_mix++;
        g_hash_table_insert(c->mixes, g_strdup(mix->key), m);
    }
    g_autoptr(GArray) inputs = g_array_new(FALSE, FALSE, sizeof(CgMediaMixInput));
    for (guint i = 0; i < mix->inputs->len; i++) {
        const CgInterpInput *in = &g_array_index(mix->inputs, CgInterpInput, i);
        CgMediaMixInput one = {.ep = in->peer, .gain = in->gain};
        g_array_append_val(inputs, one);
    }
    m->idle_since = 0;
    if (same_inputs(m->inputs, inputs))
        return;
    GError *error = NULL;
    if (!w->ops.mix_set(w->media, m->id, (const CgMediaMixInput *)inputs->data, inputs->len,
                        &error)) {
        warn(consult_id, mix->key, error);
        return;
    }
    if (m->inputs)
        g_array_unref(m->inputs);
    m->inputs = g_steal_pointer(&inputs);
}

static void set_endpoint(CgInterpWiring *w, const char *consult_id, ConsultState *c,
                         const CgInterpEndpoint *ep)
{
    EndpointState *st = g_hash_table_lookup(c->endpoints, &ep->peer);
    if (!st && !ep->listen && ep->receive_relayed_audio && ep->audio_relayed)
        return; /* as media has it for an endpoint nobody told otherwise */
    if (!st) {
        st = g_new0(EndpointState, 1);
        st->receive_relayed_audio = TRUE;
        st->audio_relayed = TRUE;
        g_hash_table_insert(c->endpoints, g_memdup2(&ep->peer, sizeof ep->peer), st);
    }
    MixState *mix = ep->listen ? g_hash_table_lookup(c->mixes, ep->listen) : NULL;
    CgMixId listen = mix ? mix->id : 0;
    GError *error = NULL;
    if (st->listen != listen) {
        if (w->ops.listen(w->media, ep->peer, listen, &error))
            st->listen = listen;
        else
            warn(consult_id, "listen", g_steal_pointer(&error));
    }
    if (st->receive_relayed_audio != ep->receive_relayed_audio) {
        if (w->ops.receive_relayed_audio(w->media, ep->peer, ep->receive_relayed_audio, &error))
            st->receive_relayed_audio = ep->receive_relayed_audio;
        else
            warn(consult_id, "relayed audio in", g_steal_pointer(&error));
    }
    if (st->audio_relayed != ep->audio_relayed) {
        if (w->ops.audio_relayed(w->media, ep->peer, ep->audio_relayed, &error))
            st->audio_relayed = ep->audio_relayed;
        else
            warn(consult_id, "relayed audio out", g_steal_pointer(&error));
    }
}

/* Removes the mixes of @c that nobody heard since @before (all when
 * @before is G_MAXINT64); drops @c when nothing is left of it. */
static void remove_idle(CgInterpWiring *w, const char *consult_id, ConsultState *c, gint64 before)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, c->mixes);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        MixState *m = value;
        if (!m->idle_since || m->idle_since > before)
            continue;
        w->ops.mix_remove(w->media, m->id);
        g_hash_table_iter_remove(&it);
    }
    if (g_hash_table_size(c->mixes) == 0 && g_hash_table_size(c->endpoints) == 0)
        g_hash_table_remove(w->consults, consult_id);
}

void cg_interp_wiring_apply(CgInterpWiring *w, const char *consult_id, const CgInterpPlan *plan,
                            gint64 now_us)
{
    ConsultState *c = consult_state(w, consult_id, plan != NULL);
    if (!c)
        return;
    for (guint i = 0; plan && i < plan->mixes->len; i++)
        set_mix(w, consult_id, c, g_ptr_array_index(plan->mixes, i));
    for (guint i = 0; plan && i < plan->endpoints->len; i++)
        set_endpoint(w, consult_id, c, &g_array_index(plan->endpoints, CgInterpEndpoint, i));
    /* endpoints gone from the plan left the consult: media forgot them already */
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, c->endpoints);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!plan || !cg_interp_plan_endpoint(plan, *(guint64 *)key))
            g_hash_table_iter_remove(&it);
    /* last: mixes nobody hears any more start to linger (all go with the consult) */
    g_hash_table_iter_init(&it, c->mixes);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        MixState *m = value;
        if (plan && !cg_interp_plan_mix(plan, key) && !m->idle_since)
            m->idle_since = MAX(now_us, 1);
        if (!plan)
            m->idle_since = 1;
    }
    remove_idle(w, consult_id, c, plan ? now_us - CG_INTERP_MIX_LINGER_MS * 1000 : G_MAXINT64);
}

void cg_interp_wiring_sweep(CgInterpWiring *w, gint64 now_us)
{
    /* a copy of the keys: a consult left with nothing is dropped on the way */
    g_autoptr(GList) ids = g_hash_table_get_keys(w->consults);
    for (GList *l = ids; l; l = l->next)
        remove_idle(w, l->data, g_hash_table_lookup(w->consults, l->data),
                    now_us - CG_INTERP_MIX_LINGER_MS * 1000);
}

gint64 cg_interp_wiring_next_sweep(CgInterpWiring *w)
{
    gint64 next = 0;
    GHashTableIter it, mit;
    gpointer value;
    g_hash_table_iter_init(&it, w->consults);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        ConsultState *c = value;
        gpointer mv;
        g_hash_table_iter_init(&mit, c->mixes);
        while (g_hash_table_iter_next(&mit, NULL, &mv)) {
            gint64 at = ((MixState *)mv)->idle_since;
            if (at && (!next || at + CG_INTERP_MIX_LINGER_MS * 1000 < next))
                next = at + CG_INTERP_MIX_LINGER_MS * 1000;
        }
    }
    return next;
}

CgMixId cg_interp_wiring_mix_id(CgInterpWiring *w, const char *consult_id, const char *key)
{
    ConsultState *c = consult_state(w, consult_id, FALSE);
    MixState *m = c ? g_hash_table_lookup(c->mixes, key) : NULL;
    return m ? m->id : 0;
}
