/* report.c — per-kind counters of sigload and the JSON lines it prints. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "sigload.h"

static const char *const kind_names[SL_N_KINDS] = {"idle", "junk", "mute", "half", "probe"};

const char *sl_kind_name(SlKind kind)
{
    return kind < SL_N_KINDS ? kind_names[kind] : "?";
}

void sl_stats_init(SlKindStats *s, guint target)
{
    memset(s, 0, sizeof *s);
    s->target = target;
    s->fails = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s->codes = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->http = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->lifetimes = g_array_new(FALSE, FALSE, sizeof(double));
}

void sl_stats_clear(SlKindStats *s)
{
    g_clear_pointer(&s->fails, g_hash_table_destroy);
    g_clear_pointer(&s->codes, g_hash_table_destroy);
    g_clear_pointer(&s->http, g_hash_table_destroy);
    g_clear_pointer(&s->lifetimes, g_array_unref);
}

void sl_stats_fail(SlKindStats *s, const char *reason)
{
    s->failed++;
    s->connecting--;
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(s->fails, reason));
    g_hash_table_replace(s->fails, g_strdup(reason), GUINT_TO_POINTER(n + 1));
}

void sl_stats_open(SlKindStats *s)
{
    s->opened++;
    s->connecting--;
    s->open++;
    s->peak_open = MAX(s->peak_open, s->open);
}

static void count(GHashTable *table, guint key)
{
    gpointer k = GUINT_TO_POINTER(key);
    g_hash_table_replace(table, k,
                         GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(table, k)) + 1));
}

void sl_stats_hang_up(SlKindStats *s, guint status)
{
    count(s->http, status);
    s->open--;
    s->hung_up++;
}

void sl_stats_close(SlKindStats *s, guint code, double lifetime_s, gint64 now_us)
{
    s->closed++;
    s->open--;
    count(s->codes, code);
    g_array_append_val(s->lifetimes, lifetime_s);
    if (!s->first_close_us)
        s->first_close_us = now_us;
    s->last_close_us = now_us;
}

static int cmp_double(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* {"min":..,"median":..,"max":..} of the lifetimes, in seconds; null if none. */
static json_t *lifetimes_json(GArray *lifetimes)
{
    if (lifetimes->len == 0)
        return json_null();
    g_array_sort(lifetimes, cmp_double);
    double *v = (double *)(void *)lifetimes->data;
    return json_pack("{s:f, s:f, s:f}", "min", v[0], "median", v[lifetimes->len / 2], "max",
                     v[lifetimes->len - 1]);
}

/* {"code": count, ...} of a table keyed by number. */
static json_t *counts_json(GHashTable *table)
{
    json_t *o = json_object();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        char code[16];
        g_snprintf(code, sizeof code, "%u", GPOINTER_TO_UINT(k));
        json_object_set_new(o, code, json_integer(GPOINTER_TO_UINT(v)));
    }
    return o;
}

static json_t *detail_json(const SlRun *run, const SlKindStats *s)
{
    json_t *fails = json_object();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->fails);
    while (g_hash_table_iter_next(&it, &k, &v))
        json_object_set_new(fails, k, json_integer(GPOINTER_TO_UINT(v)));
    json_t *d = json_pack("{s:o, s:o, s:o}", "fail_reasons", fails, "close_codes",
                          counts_json(s->codes), "lifetime_s", lifetimes_json(s->lifetimes));
    if (g_hash_table_size(s->http))
        json_object_set_new(d, "http_status", counts_json(s->http));
    if (s->first_close_us) {
        json_object_set_new(d, "first_close_ms",
                            json_integer((s->first_close_us - run->start_us) / 1000));
        json_object_set_new(d, "last_close_ms",
                            json_integer((s->last_close_us - run->start_us) / 1000));
    }
    return d;
}

void sl_report(const SlRun *run, const char *event, gboolean detail)
{
    json_t *kinds = json_object();
    for (int k = 0; k < SL_N_KINDS; k++) {
        const SlKindStats *s = &run->kinds[k];
        if (!s->target && !s->attempts)
            continue;
        json_t *o = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "target", s->target,
                              "attempts", s->attempts, "opened", s->opened, "open", s->open,
                              "peak_open", s->peak_open, "connecting", s->connecting, "failed",
                              s->failed, "closed", s->closed, "hung_up", s->hung_up);
        if (detail)
            json_object_update_new(o, detail_json(run, s));
        json_object_set_new(kinds, kind_names[k], o);
    }
    json_t *line =
        json_pack("{s:s, s:I, s:o}", "event", event, "t_ms",
                  (json_int_t)((g_get_monotonic_time() - run->start_us) / 1000), "kinds", kinds);
    char *text = json_dumps(line, JSON_COMPACT);
    printf("%s\n", text);
    fflush(stdout);
    free(text);
    json_decref(line);
}
