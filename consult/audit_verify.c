/* audit_verify.c — walking the audit chain, and pruning it behind a keyed
 * checkpoint. See audit.h.
 *
 * The walk checks, record by record: consecutive ids, prev_hash equal to the
 * previous record's hash, the record's own hash (HMAC for keyed records), and
 * that no unkeyed record follows a keyed one. A log whose first record is not
 * id 1 must have been pruned: the newest checkpoint record must name exactly
 * the record before the first one and its hash. With the key, the newest
 * record must be keyed (consultd marks the key's start when it opens an older
 * log). An anchor must match the
 * record of its id, or the checkpoint when that record was its last pruned one.
 */
#include "audit-private.h"

#include <string.h>

#define PRUNE_BATCH 5000 /* records per transaction: the daemon's appends wait meanwhile */

void cg_audit_report_clear(CgAuditReport *report)
{
    g_clear_pointer(&report->problem, g_free);
}

static void read_row(sqlite3_stmt *stmt, CgAuditRow *row)
{
    row->id = sqlite3_column_int64(stmt, 0);
    row->ts_us = sqlite3_column_int64(stmt, 1);
    row->tenant = (const char *)sqlite3_column_text(stmt, 2);
    row->consult = (const char *)sqlite3_column_text(stmt, 3);
    row->participant = (const char *)sqlite3_column_text(stmt, 4);
    row->role = (const char *)sqlite3_column_text(stmt, 5);
    row->action = (const char *)sqlite3_column_text(stmt, 6);
    row->outcome = (const char *)sqlite3_column_text(stmt, 7);
    row->remote = (const char *)sqlite3_column_text(stmt, 8);
    row->prev_hash = (const char *)sqlite3_column_text(stmt, 9);
    row->keyed = sqlite3_column_int(stmt, 11) != 0;
    row->detail = (const char *)sqlite3_column_text(stmt, 12);
}

/* A checkpoint's detail: "pruned_through=ID;hash=HEX". */
static char *checkpoint_detail(gint64 through, const char *hash)
{
    return g_strdup_printf("pruned_through=%" G_GINT64_FORMAT ";hash=%s", through, hash);
}

static gboolean parse_checkpoint(const char *detail, gint64 *through, char **hash)
{
    if (!detail || !g_str_has_prefix(detail, "pruned_through="))
        return FALSE;
    const char *sep = strstr(detail, ";hash=");
    if (!sep)
        return FALSE;
    g_autofree char *num = g_strndup(detail + strlen("pruned_through="),
                                     (gsize)(sep - detail) - strlen("pruned_through="));
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(num, 10, 1, G_MAXINT64, &v, NULL))
        return FALSE;
    *through = (gint64)v;
    *hash = g_strdup(sep + strlen(";hash="));
    return TRUE;
}

typedef struct {
    CgAuditReport *report;
    GBytes *key;
    const CgAuditAnchor *anchor;
    gint64 prev_id;
    char *prev_hash; /* NULL before the first record */
    char *first_prev;
    gboolean seen_keyed;
    gboolean last_keyed;
    gint64 checkpoint_through; /* the newest checkpoint's */
    char *checkpoint_hash;
    gboolean anchor_seen;
} Walk;

static gboolean fail(Walk *w, gint64 at, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean fail(Walk *w, gint64 at, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    w->report->problem = g_strdup_vprintf(fmt, args);
    va_end(args);
    w->report->broken_at = at;
    return FALSE;
}

static gboolean check_row(Walk *w, const CgAuditRow *row, const char *stored)
{
    CgAuditReport *r = w->report;
    if (!w->prev_hash) {
        r->first_id = row->id;
        w->first_prev = g_strdup(row->prev_hash);
        if (row->id == 1 && g_strcmp0(row->prev_hash, CG_AUDIT_GENESIS_HASH) != 0)
            return fail(w, row->id, "record 1 does not start the chain");
    } else if (row->id != w->prev_id + 1) {
        return fail(w, row->id, "records %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT " are missing",
                    w->prev_id + 1, row->id - 1);
    } else if (g_strcmp0(row->prev_hash, w->prev_hash) != 0) {
        return fail(w, row->id, "record %" G_GINT64_FORMAT " does not follow the one before it",
                    row->id);
    }
    if (!row->keyed && w->seen_keyed)
        return fail(w, row->id, "record %" G_GINT64_FORMAT " is unkeyed after keyed records",
                    row->id);
    if (row->keyed && !w->key)
        return fail(w, row->id, "record %" G_GINT64_FORMAT " is keyed: the audit key is needed",
                    row->id);
    g_autofree char *hash = cg_audit_row_hash(row, w->key);
    if (g_strcmp0(hash, stored) != 0)
        return fail(w, row->id,
                    "record %" G_GINT64_FORMAT " was changed (its hash does not match%s)", row->id,
                    row->keyed ? " under this key" : "");
    if (w->anchor && w->anchor->id == row->id) {
        w->anchor_seen = TRUE;
        if (g_strcmp0(stored, w->anchor->hash) != 0)
            return fail(w, row->id, "record %" G_GINT64_FORMAT " is not the one anchored", row->id);
    }
    if (row->keyed && g_strcmp0(row->action, CG_AUDIT_CHECKPOINT) == 0) {
        g_clear_pointer(&w->checkpoint_hash, g_free);
        if (!parse_checkpoint(row->detail, &w->checkpoint_through, &w->checkpoint_hash))
            return fail(w, row->id, "checkpoint record %" G_GINT64_FORMAT " is unreadable",
                        row->id);
    }
    w->seen_keyed |= row->keyed;
    w->last_keyed = row->keyed;
    r->unkeyed += row->keyed ? 0 : 1;
    r->records++;
    r->last_id = row->id;
    w->prev_id = row->id;
    g_free(w->prev_hash);
    w->prev_hash = g_strdup(stored);
    return TRUE;
}

/* After the walk: the pruned start and the anchor. */
static gboolean check_ends(Walk *w)
{
    CgAuditReport *r = w->report;
    if (r->first_id > 1 && (!w->checkpoint_hash || w->checkpoint_through != r->first_id - 1 ||
                            g_strcmp0(w->checkpoint_hash, w->first_prev) != 0))
        return fail(w, r->first_id,
                    "records before %" G_GINT64_FORMAT " are gone and no checkpoint accounts "
                    "for them",
                    r->first_id);
    if (w->key && r->records && !w->last_keyed)
        return fail(w, r->last_id,
                    "the newest record (%" G_GINT64_FORMAT ") is not keyed: the log was "
                    "rewritten, or no consultd with an audit key has opened it yet",
                    r->last_id);
    const CgAuditAnchor *a = w->anchor;
    if (!a || a->id <= 0 || w->anchor_seen)
        return TRUE;
    if (a->id > r->last_id)
        return fail(w, 0,
                    "the log ends at record %" G_GINT64_FORMAT " but record %" G_GINT64_FORMAT
                    " was anchored: newer records were deleted",
                    r->last_id, a->id);
    if (a->id == r->first_id - 1 && g_strcmp0(w->checkpoint_hash, a->hash) == 0)
        return TRUE;
    return fail(w, 0, "anchored record %" G_GINT64_FORMAT " was pruned: verify with a newer anchor",
                a->id);
}

gboolean cg_audit_verify_chain(CgStore *store, GBytes *key, const CgAuditAnchor *anchor,
                               CgAuditReport *report, GError **error)
{
    memset(report, 0, sizeof *report);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(cg_store_db(store),
                           "SELECT id, ts_us, tenant, consult, participant, role, action, "
                           "outcome, remote, prev_hash, hash, keyed, detail FROM audit "
                           "ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return cg_store_fail(store, "prepare audit walk", error);
    Walk w = {.report = report, .key = key, .anchor = anchor};
    gboolean ok = TRUE;
    int rc;
    while (ok && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        CgAuditRow row;
        read_row(stmt, &row);
        ok = check_row(&w, &row, (const char *)sqlite3_column_text(stmt, 10));
    }
    sqlite3_finalize(stmt);
    if (ok && rc != SQLITE_DONE)
        ok = cg_store_fail(store, "walk audit log", error);
    else if (ok)
        ok = check_ends(&w);
    g_free(w.prev_hash);
    g_free(w.first_prev);
    g_free(w.checkpoint_hash);
    return ok;
}

gboolean cg_audit_verify(CgStore *store, gint64 *broken_at, guint64 *records, GError **error)
{
    CgAuditReport report;
    gboolean ok = cg_audit_verify_chain(store, cg_audit_installed_key(), NULL, &report, error);
    if (broken_at)
        *broken_at = ok ? 0 : MAX(report.broken_at, 1);
    if (records)
        *records = report.records;
    cg_audit_report_clear(&report);
    return ok;
}

/* The oldest id (0 for an empty log) and the last id of the unbroken run
 * of records from it that are older than @before_us. */
static gboolean prune_end(CgStore *store, gint64 before_us, gint64 *first, gint64 *last,
                          GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(cg_store_db(store),
                           "SELECT (SELECT min(id) FROM audit), "
                           "(SELECT min(id) FROM audit WHERE ts_us >= ?1), "
                           "(SELECT max(id) FROM audit)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return cg_store_fail(store, "prepare audit prune", error);
    sqlite3_bind_int64(stmt, 1, before_us);
    gboolean ok = sqlite3_step(stmt) == SQLITE_ROW;
    if (ok) {
        *first = sqlite3_column_int64(stmt, 0);
        gboolean any_new = sqlite3_column_type(stmt, 1) != SQLITE_NULL;
        *last = any_new ? sqlite3_column_int64(stmt, 1) - 1 : sqlite3_column_int64(stmt, 2);
    }
    sqlite3_finalize(stmt);
    return ok || cg_store_fail(store, "read audit prune range", error);
}

/* One batch: appends the checkpoint, then deletes the records up to @through. */
static gboolean prune_batch(CgStore *store, GBytes *key, gint64 through, gint64 now_us,
                            GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(cg_store_db(store), "SELECT hash FROM audit WHERE id = ?", -1, &stmt,
                           NULL) != SQLITE_OK)
        return cg_store_fail(store, "prepare audit prune", error);
    sqlite3_bind_int64(stmt, 1, through);
    g_autofree char *hash = sqlite3_step(stmt) == SQLITE_ROW
                                ? g_strdup((const char *)sqlite3_column_text(stmt, 0))
                                : NULL;
    sqlite3_finalize(stmt);
    if (!hash)
        return cg_store_fail(store, "read the last pruned audit record", error);
    /* The checkpoint first: with every record pruned, it still continues the
     * ids and the chain from the newest one. */
    g_autofree char *detail = checkpoint_detail(through, hash);
    const CgAuditEvent ev = {.action = CG_AUDIT_CHECKPOINT, .outcome = "ok"};
    if (!cg_audit_insert(store, key, &ev, detail, now_us, error))
        return FALSE;
    if (sqlite3_prepare_v2(cg_store_db(store), "DELETE FROM audit WHERE id <= ?", -1, &stmt,
                           NULL) != SQLITE_OK)
        return cg_store_fail(store, "prepare audit delete", error);
    sqlite3_bind_int64(stmt, 1, through);
    gboolean ok = sqlite3_step(stmt) == SQLITE_DONE || cg_store_fail(store, "prune audit", error);
    sqlite3_finalize(stmt);
    return ok;
}

gboolean cg_audit_prune(CgStore *store, GBytes *key, gint64 before_us, gint64 now_us,
                        guint64 *pruned, GError **error)
{
    g_return_val_if_fail(key != NULL, FALSE);
    *pruned = 0;
    /* The checkpoints written at @now_us must not fall in the range. */
    before_us = MIN(before_us, now_us);
    for (;;) {
        if (!cg_store_exec(store, "BEGIN IMMEDIATE", "begin audit prune", error))
            return FALSE;
        gint64 first = 0, last = 0;
        gboolean ok = prune_end(store, before_us, &first, &last, error);
        if (ok && (first == 0 || last < first))
            return cg_store_exec(store, "COMMIT", "commit audit prune", error);
        gint64 through = MIN(last, first + PRUNE_BATCH - 1);
        if (ok)
            ok = prune_batch(store, key, through, now_us, error);
        if (!ok) {
            cg_store_exec(store, "ROLLBACK", "rollback audit prune", NULL);
            return FALSE;
        }
        if (!cg_store_exec(store, "COMMIT", "commit audit prune", error))
            return FALSE;
        *pruned += (guint64)(through - first + 1);
        if (through == last)
            return TRUE;
    }
}
