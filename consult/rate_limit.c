/* rate_limit.c — fixed-window failure counts per address, in a bounded table. */
#include "rate_limit.h"

#include <arpa/inet.h>
#include <string.h>

typedef struct {
    gint64 window_start;
    guint failures;
} Entry;

struct _CgRateLimit {
    guint max_failures;
    gint64 window_s;
    GHashTable *entries; /* address (owned) -> Entry (owned) */
};

CgRateLimit *cg_rate_limit_new(guint max_failures, guint window_s)
{
    CgRateLimit *rl = g_new0(CgRateLimit, 1);
    rl->max_failures = MAX(max_failures, 1);
    rl->window_s = MAX(window_s, 1);
    rl->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return rl;
}

void cg_rate_limit_free(CgRateLimit *rl)
{
    if (!rl)
        return;
    g_hash_table_destroy(rl->entries);
    g_free(rl);
}

const char *cg_rate_limit_key(const char *address, char *out)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (!address)
        address = "";
    if (inet_pton(AF_INET, address, &v4) == 1)
        return inet_ntop(AF_INET, &v4, out, CG_RATE_LIMIT_KEY_MAX);
    if (inet_pton(AF_INET6, address, &v6) != 1) {
        g_strlcpy(out, address, CG_RATE_LIMIT_KEY_MAX);
        return out;
    }
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
        memcpy(&v4, v6.s6_addr + 12, 4);
        return inet_ntop(AF_INET, &v4, out, CG_RATE_LIMIT_KEY_MAX);
    }
    memset(v6.s6_addr + 8, 0, 8); /* the interface identifier is the client's to pick */
    char prefix[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &v6, prefix, sizeof prefix);
    g_snprintf(out, CG_RATE_LIMIT_KEY_MAX, "%s/64", prefix);
    return out;
}

static gboolean expired(const CgRateLimit *rl, const Entry *e, gint64 now)
{
    return now >= e->window_start + rl->window_s || now < e->window_start;
}

gboolean cg_rate_limit_allowed(CgRateLimit *rl, const char *address, gint64 now,
                               gint64 *retry_after_s)
{
    char key[CG_RATE_LIMIT_KEY_MAX];
    const Entry *e = g_hash_table_lookup(rl->entries, cg_rate_limit_key(address, key));
    if (!e || expired(rl, e, now) || e->failures < rl->max_failures)
        return TRUE;
    if (retry_after_s)
        *retry_after_s = MAX(e->window_start + rl->window_s - now, 1);
    return FALSE;
}

static gboolean drop_expired(gpointer key, gpointer value, gpointer user)
{
    (void)key;
    const CgRateLimit *rl = ((gpointer *)user)[0];
    gint64 now = *(const gint64 *)((gpointer *)user)[1];
    return expired(rl, value, now);
}

/* Makes room for one more address. */
static void make_room(CgRateLimit *rl, gint64 now)
{
    gpointer ctx[2] = {rl, &now};
    g_hash_table_foreach_remove(rl->entries, drop_expired, ctx);
    if (g_hash_table_size(rl->entries) < CG_RATE_LIMIT_MAX_ADDRESSES)
        return;
    GHashTableIter iter;
    gpointer key, value, oldest = NULL;
    gint64 oldest_start = G_MAXINT64;
    g_hash_table_iter_init(&iter, rl->entries);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (((Entry *)value)->window_start < oldest_start) {
            oldest_start = ((Entry *)value)->window_start;
            oldest = key;
        }
    }
    if (oldest)
        g_hash_table_remove(rl->entries, oldest);
}

void cg_rate_limit_fail(CgRateLimit *rl, const char *address, gint64 now)
{
    char key[CG_RATE_LIMIT_KEY_MAX];
    address = cg_rate_limit_key(address, key);
    Entry *e = g_hash_table_lookup(rl->entries, address);
    if (!e) {
        if (g_hash_table_size(rl->entries) >= CG_RATE_LIMIT_MAX_ADDRESSES)
            make_room(rl, now);
        e = g_new0(Entry, 1);
        g_hash_table_insert(rl->entries, g_strdup(address), e);
        e->window_start = now;
    } else if (expired(rl, e, now)) {
        e->window_start = now;
        e->failures = 0;
    }
    if (e->failures < G_MAXUINT)
        e->failures++;
}

guint cg_rate_limit_size(const CgRateLimit *rl)
{
    return g_hash_table_size(rl->entries);
}
