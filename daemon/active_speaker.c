/* active_speaker.c — see active_speaker.h. */
#include "active_speaker.h"

typedef struct {
    guint level; /* -dBov of the last time heard */
    gint64 heard_ms;
} Heard;

struct _CgActiveSpeaker {
    GHashTable *heard; /* participant (owned) -> Heard (owned) */
    char *current;     /* a key of heard, or NULL */
};

CgActiveSpeaker *cg_active_speaker_new(void)
{
    CgActiveSpeaker *s = g_new0(CgActiveSpeaker, 1);
    s->heard = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return s;
}

void cg_active_speaker_free(CgActiveSpeaker *s)
{
    if (!s)
        return;
    g_hash_table_unref(s->heard);
    g_free(s->current);
    g_free(s);
}

/* The loudest participant heard within the window, or NULL. */
static const char *loudest(const CgActiveSpeaker *s, gint64 now_ms, guint *level)
{
    const char *best = NULL;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->heard);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const Heard *h = value;
        if (now_ms - h->heard_ms > CG_SPEAKER_WINDOW_MS)
            continue;
        /* on a tie the current speaker stays */
        if (!best || h->level < *level || (h->level == *level && g_strcmp0(key, s->current) == 0)) {
            best = key;
            *level = h->level;
        }
    }
    return best;
}

const char *cg_active_speaker_heard(CgActiveSpeaker *s, const char *participant, guint level_dbov,
                                    gint64 now_ms)
{
    g_return_val_if_fail(s && participant, NULL);
    Heard *h = g_hash_table_lookup(s->heard, participant);
    if (!h) {
        h = g_new0(Heard, 1);
        g_hash_table_insert(s->heard, g_strdup(participant), h);
    }
    h->level = MIN(level_dbov, 127u);
    h->heard_ms = now_ms;

    guint best_level = 127;
    const char *best = loudest(s, now_ms, &best_level);
    if (!best || g_strcmp0(best, s->current) == 0)
        return NULL;
    const Heard *cur = s->current ? g_hash_table_lookup(s->heard, s->current) : NULL;
    gboolean floor_free = !cur || now_ms - cur->heard_ms > CG_SPEAKER_HOLD_MS;
    gboolean barge_in = cur && now_ms - cur->heard_ms <= CG_SPEAKER_WINDOW_MS &&
                        best_level + CG_SPEAKER_BARGE_IN_DB <= cur->level;
    if (!floor_free && !barge_in)
        return NULL;
    g_free(s->current);
    s->current = g_strdup(best);
    return s->current;
}

const char *cg_active_speaker_current(const CgActiveSpeaker *s)
{
    return s ? s->current : NULL;
}

void cg_active_speaker_forget(CgActiveSpeaker *s, const char *participant)
{
    g_return_if_fail(s && participant);
    if (g_strcmp0(participant, s->current) == 0)
        g_clear_pointer(&s->current, g_free);
    g_hash_table_remove(s->heard, participant);
}

gboolean cg_active_speaker_is_empty(const CgActiveSpeaker *s)
{
    return !s || g_hash_table_size(s->heard) == 0;
}
