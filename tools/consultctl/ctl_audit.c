/* ctl_audit.c — see ctl_audit.h. */
#include "ctl_audit.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"

static int usage(const char *message)
{
    fprintf(stderr, "consultctl: %s (see --help)\n", message);
    return CTL_AUDIT_USAGE;
}

/* Opens @db (which must exist) and reads @key_file; prints why not. */
static int open_both(const char *db, const char *key_file, CgStore **store, GBytes **key)
{
    g_autoptr(GError) error = NULL;
    if (key_file && !(*key = cg_audit_read_key_file(key_file, &error))) {
        fprintf(stderr, "consultctl: %s\n", error->message);
        return CTL_AUDIT_USAGE;
    }
    if (!g_file_test(db, G_FILE_TEST_IS_REGULAR)) {
        fprintf(stderr, "consultctl: no database file %s\n", db);
        return CTL_AUDIT_DATABASE;
    }
    if (!(*store = cg_store_open(db, &error))) {
        fprintf(stderr, "consultctl: %s\n", error->message);
        return CTL_AUDIT_DATABASE;
    }
    return CTL_AUDIT_OK;
}

/* "ID:HASH", as consultd's "audit anchor" log line gives it. */
static gboolean parse_anchor(const char *text, CgAuditAnchor *anchor, char **hash)
{
    const char *colon = text ? strchr(text, ':') : NULL;
    guint64 id = 0;
    if (!colon)
        return FALSE;
    g_autofree char *num = g_strndup(text, (gsize)(colon - text));
    if (!g_ascii_string_to_unsigned(num, 10, 1, G_MAXINT64, &id, NULL) || strlen(colon + 1) != 64 ||
        strspn(colon + 1, "0123456789abcdef") != 64)
        return FALSE;
    *hash = g_strdup(colon + 1);
    anchor->id = (gint64)id;
    anchor->hash = *hash;
    return TRUE;
}

int ctl_audit_verify(GHashTable *v)
{
    const char *db = g_hash_table_lookup(v, "db");
    const char *key_file = g_hash_table_lookup(v, "key-file");
    const char *anchor_text = g_hash_table_lookup(v, "anchor");
    if (!db)
        return usage("audit verify wants --db PATH [--key-file FILE] [--anchor ID:HASH]");
    CgAuditAnchor anchor = {0};
    g_autofree char *anchor_hash = NULL;
    if (anchor_text && !parse_anchor(anchor_text, &anchor, &anchor_hash))
        return usage("--anchor wants ID:HASH as consultd logs it (\"anchor\" of an audit anchor "
                     "line)");
    CgStore *store = NULL;
    g_autoptr(GBytes) key = NULL;
    int rc = open_both(db, key_file, &store, &key);
    if (rc != CTL_AUDIT_OK)
        return rc;
    g_autoptr(GError) error = NULL;
    CgAuditReport report;
    gboolean intact =
        cg_audit_verify_chain(store, key, anchor_text ? &anchor : NULL, &report, &error);
    cg_store_close(store);
    if (error) {
        fprintf(stderr, "consultctl: %s\n", error->message);
        return CTL_AUDIT_DATABASE;
    }
    if (!intact) {
        if (report.broken_at > 0)
            printf("audit chain broken at record %" G_GINT64_FORMAT ": %s\n", report.broken_at,
                   report.problem);
        else
            printf("audit chain broken: %s\n", report.problem);
        cg_audit_report_clear(&report);
        return CTL_AUDIT_BROKEN;
    }
    printf("audit chain intact: %" G_GUINT64_FORMAT " records", report.records);
    if (report.records)
        printf(" (%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")", report.first_id, report.last_id);
    if (report.unkeyed)
        printf(", %" G_GUINT64_FORMAT " written before the audit key", report.unkeyed);
    printf(anchor_text ? ", anchor matches\n" : "\n");
    if (!anchor_text)
        printf("(without --anchor, deleting the newest records is not detected)\n");
    cg_audit_report_clear(&report);
    return CTL_AUDIT_OK;
}

int ctl_audit_prune(GHashTable *v)
{
    const char *db = g_hash_table_lookup(v, "db");
    const char *key_file = g_hash_table_lookup(v, "key-file");
    const char *days = g_hash_table_lookup(v, "older-than-days");
    const char *before = g_hash_table_lookup(v, "before");
    if (!db || !key_file || !days == !before)
        return usage("audit prune wants --db PATH --key-file FILE and one of "
                     "--older-than-days N or --before RFC3339");
    gint64 now_us = g_get_real_time();
    gint64 before_us = 0;
    guint64 n = 0;
    if (days) {
        if (!g_ascii_string_to_unsigned(days, 10, 1, 365000, &n, NULL))
            return usage("--older-than-days wants a number of days from 1");
        before_us = now_us - (gint64)n * 86400 * G_USEC_PER_SEC;
    } else {
        g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(before, NULL);
        if (!dt)
            return usage("--before wants an RFC 3339 time such as 2026-01-01T00:00:00Z");
        before_us = g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
    }
    CgStore *store = NULL;
    g_autoptr(GBytes) key = NULL;
    int rc = open_both(db, key_file, &store, &key);
    if (rc != CTL_AUDIT_OK)
        return rc;
    /* Only a chain that verifies is pruned: a checkpoint must not vouch for
     * records that were already changed. */
    g_autoptr(GError) error = NULL;
    CgAuditReport report;
    if (!cg_audit_verify_chain(store, key, NULL, &report, &error)) {
        cg_store_close(store);
        if (error) {
            fprintf(stderr, "consultctl: %s\n", error->message);
            return CTL_AUDIT_DATABASE;
        }
        printf("audit chain broken, nothing pruned: %s\n", report.problem);
        cg_audit_report_clear(&report);
        return CTL_AUDIT_BROKEN;
    }
    guint64 pruned = 0;
    gboolean ok = cg_audit_prune(store, key, before_us, now_us, &pruned, &error);
    cg_store_close(store);
    if (!ok) {
        fprintf(stderr, "consultctl: %s\n", error->message);
        return CTL_AUDIT_DATABASE;
    }
    printf("pruned %" G_GUINT64_FORMAT " audit records\n", pruned);
    return CTL_AUDIT_OK;
}
