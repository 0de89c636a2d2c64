/* refusal_tally.c — fixed windows of refusal counts per address key. */
#include "refusal_tally.h"

#include "rate_limit.h"

typedef struct {
    gint64 window_start;
    guint seen;
} Entry;

struct _CgRefusalTally {
    guint allowed;
    gint64 window_s;
    gboolean own_timer;
    guint timer;
    CgRefusalReport report;
    gpointer user;
    GHashTable *entries; /* key (owned) -> Entry (owned) */
};

static gboolean on_timer(gpointer data);

CgRefusalTally *cg_refusal_tally_new(guint allowed, guint window_s, gboolean own_timer,
                                     CgRefusalReport report, gpointer user)
{
    CgRefusalTally *t = g_new0(CgRefusalTally, 1);
    t->allowed = allowed;
    t->window_s = MAX(window_s, 1);
    t->own_timer = own_timer;
    t->report = report;
    t->user = user;
    t->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return t;
}

static void report_entry(CgRefusalTally *t, const char *key, const Entry *e)
{
    if (e->seen > t->allowed && t->report)
        t->report(key, e->seen - t->allowed, e->window_start, t->user);
}

void cg_refusal_tally_free(CgRefusalTally *t)
{
    if (!t)
        return;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, t->entries);
    while (g_hash_table_iter_next(&it, &key, &value))
        report_entry(t, key, value);
    g_clear_handle_id(&t->timer, g_source_remove);
    g_hash_table_destroy(t->entries);
    g_free(t);
}

static gboolean ended(const CgRefusalTally *t, const Entry *e, gint64 now)
{
    return now >= e->window_start + t->window_s || now < e->window_start;
}

void cg_refusal_tally_flush(CgRefusalTally *t, gint64 now)
{
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, t->entries);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (!ended(t, value, now))
            continue;
        report_entry(t, key, value);
        g_hash_table_iter_remove(&it);
    }
}

/* The table is full: the oldest window is reported now and dropped. */
static void drop_oldest(CgRefusalTally *t)
{
    GHashTableIter it;
    gpointer key, value, oldest = NULL;
    gint64 oldest_start = G_MAXINT64;
    g_hash_table_iter_init(&it, t->entries);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (((Entry *)value)->window_start < oldest_start) {
            oldest_start = ((Entry *)value)->window_start;
            oldest = key;
        }
    }
    if (oldest) {
        report_entry(t, oldest, g_hash_table_lookup(t->entries, oldest));
        g_hash_table_remove(t->entries, oldest);
    }
}

gboolean cg_refusal_tally_note(CgRefusalTally *t, const char *address, gint64 now)
{
    char key[CG_RATE_LIMIT_KEY_MAX];
    cg_rate_limit_key(address, key);
    Entry *e = g_hash_table_lookup(t->entries, key);
    if (e && ended(t, e, now)) {
        report_entry(t, key, e);
        g_hash_table_remove(t->entries, key);
        e = NULL;
    }
    if (!e) {
        if (g_hash_table_size(t->entries) >= CG_RATE_LIMIT_MAX_ADDRESSES)
            drop_oldest(t);
        e = g_new0(Entry, 1);
        e->window_start = now;
        g_hash_table_insert(t->entries, g_strdup(key), e);
        if (t->own_timer && !t->timer)
            t->timer = g_timeout_add_seconds((guint)t->window_s, on_timer, t);
    }
    if (e->seen < G_MAXUINT)
        e->seen++;
    return e->seen <= t->allowed;
}

guint cg_refusal_tally_size(const CgRefusalTally *t)
{
    return g_hash_table_size(t->entries);
}

static gboolean on_timer(gpointer data)
{
    CgRefusalTally *t = data;
    cg_refusal_tally_flush(t, g_get_real_time() / G_USEC_PER_SEC);
    if (g_hash_table_size(t->entries) > 0)
        return G_SOURCE_CONTINUE;
    t->timer = 0;
    return G_SOURCE_REMOVE;
}
