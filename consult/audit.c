/* audit.c — appending to the audit log's chain over the store's "audit"
 * table (verification and pruning: audit_verify.c).
 *
 * A record's hash covers a canonical text of it: a version tag, then each
 * field as "name=LEN:VALUE\n" ("name=-\n" when NULL, so NULL and "" differ
 * and no value can forge a field boundary), then "prev=PREV_HASH\n". The
 * record id is part of it, so renumbering records breaks the chain too.
 * Unkeyed records (written before schema 4's key): tag cg-audit-v1, bare
 * SHA-256. Keyed ones: tag cg-audit-v2, a "detail" field, HMAC-SHA256 under
 * the audit key. The first record's prev_hash is 64 zeros.
 */
#include "audit-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <sys/stat.h>
#include <string.h>

#include "protocol.h"

#define AUDIT_KEY_MAX_BYTES 4096 /* like the tenants' secrets */

/* The installed key (cg_audit_set_key); main thread only. */
static GBytes *installed_key;

static void add_field(GString *text, const char *name, const char *value)
{
    if (value)
        g_string_append_printf(text, "%s=%zu:%s\n", name, strlen(value), value);
    else
        g_string_append_printf(text, "%s=-\n", name);
}

char *cg_audit_row_hash(const CgAuditRow *row, GBytes *key)
{
    if (row->keyed && !key)
        return NULL;
    g_autoptr(GString) text = g_string_new(row->keyed ? "cg-audit-v2\n" : "cg-audit-v1\n");
    g_string_append_printf(text, "id=%" G_GINT64_FORMAT "\nts_us=%" G_GINT64_FORMAT "\n", row->id,
                           row->ts_us);
    add_field(text, "tenant", row->tenant);
    add_field(text, "consult", row->consult);
    add_field(text, "participant", row->participant);
    add_field(text, "role", row->role);
    add_field(text, "action", row->action);
    add_field(text, "outcome", row->outcome);
    add_field(text, "remote", row->remote);
    if (row->keyed)
        add_field(text, "detail", row->detail);
    g_string_append_printf(text, "prev=%s\n", row->prev_hash);
    if (!row->keyed)
        return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text->str, text->len);
    gsize key_len = 0;
    const guchar *key_data = g_bytes_get_data(key, &key_len);
    return g_compute_hmac_for_data(G_CHECKSUM_SHA256, key_data, key_len, (const guchar *)text->str,
                                   text->len);
}

GBytes *cg_audit_read_key_file(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) io = NULL;
    GStatBuf st;
    if (g_stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > AUDIT_KEY_MAX_BYTES)) {
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED,
                    "audit key: %s is not a regular file of at most %d bytes", path,
                    AUDIT_KEY_MAX_BYTES);
        return NULL;
    }
    if (!g_file_get_contents(path, &text, &len, &io)) {
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED, "audit key: %s", io->message);
        return NULL;
    }
    while (len > 0 && g_ascii_isspace(text[len - 1]))
        len--;
    if (len < CG_AUDIT_KEY_MIN_CHARS || memchr(text, '\0', len)) {
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED,
                    "audit key: %s must hold at least %d characters of text", path,
                    CG_AUDIT_KEY_MIN_CHARS);
        memset(text, 0, len);
        return NULL;
    }
    GBytes *key = g_bytes_new(text, len);
    memset(text, 0, len);
    return key;
}

void cg_audit_set_key(GBytes *key)
{
    if (key)
        g_bytes_ref(key);
    g_clear_pointer(&installed_key, g_bytes_unref);
    installed_key = key;
}

GBytes *cg_audit_installed_key(void)
{
    return installed_key;
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
}

/* The last record's id, hash and keyed flag (0, the genesis hash and FALSE
 * for an empty log). */
static gboolean last_record(CgStore *store, gint64 *id, char **hash, gboolean *keyed,
                            GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(cg_store_db(store),
                           "SELECT id, hash, keyed FROM audit ORDER BY id DESC LIMIT 1", -1, &stmt,
                           NULL) != SQLITE_OK)
        return cg_store_fail(store, "prepare audit tail", error);
    int rc = sqlite3_step(stmt);
    *keyed = FALSE;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
        *hash = g_strdup((const char *)sqlite3_column_text(stmt, 1));
        *keyed = sqlite3_column_int(stmt, 2) != 0;
    } else if (rc == SQLITE_DONE) {
        *id = 0;
        *hash = g_strdup(CG_AUDIT_GENESIS_HASH);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE || cg_store_fail(store, "read audit tail", error);
}

gboolean cg_audit_head(CgStore *store, gint64 *id, char **hash, GError **error)
{
    gboolean keyed = FALSE;
    g_autofree char *h = NULL;
    if (!last_record(store, id, &h, &keyed, error))
        return FALSE;
    *hash = *id ? g_steal_pointer(&h) : NULL;
    return TRUE;
}

static gboolean insert_row(CgStore *store, const CgAuditRow *row, const char *hash, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(cg_store_db(store),
                           "INSERT INTO audit(id, ts_us, tenant, consult, participant, role, "
                           "action, outcome, remote, prev_hash, hash, keyed, detail) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return cg_store_fail(store, "prepare audit insert", error);
    sqlite3_bind_int64(stmt, 1, row->id);
    sqlite3_bind_int64(stmt, 2, row->ts_us);
    bind_text(stmt, 3, row->tenant);
    bind_text(stmt, 4, row->consult);
    bind_text(stmt, 5, row->participant);
    bind_text(stmt, 6, row->role);
    bind_text(stmt, 7, row->action);
    bind_text(stmt, 8, row->outcome);
    bind_text(stmt, 9, row->remote);
    bind_text(stmt, 10, row->prev_hash);
    bind_text(stmt, 11, hash);
    sqlite3_bind_int(stmt, 12, row->keyed ? 1 : 0);
    bind_text(stmt, 13, row->detail);
    gboolean ok = sqlite3_step(stmt) == SQLITE_DONE || cg_store_fail(store, "append audit", error);
    sqlite3_finalize(stmt);
    return ok;
}

static gboolean insert_after(CgStore *store, GBytes *key, const CgAuditEvent *event,
                             const char *detail, gint64 now_us, gint64 last_id, const char *prev,
                             char **hash_out, GError **error)
{
    CgAuditRow row = {.id = last_id + 1,
                      .ts_us = now_us,
                      .tenant = event->tenant,
                      .consult = event->consult,
                      .participant = event->participant,
                      .role = event->role,
                      .action = event->action,
                      .outcome = event->outcome,
                      .remote = event->remote,
                      .detail = key ? detail : NULL,
                      .prev_hash = prev,
                      .keyed = key != NULL};
    char *hash = cg_audit_row_hash(&row, key);
    gboolean ok = insert_row(store, &row, hash, error);
    *hash_out = hash;
    return ok;
}

gboolean cg_audit_insert(CgStore *store, GBytes *key, const CgAuditEvent *event, const char *detail,
                         gint64 now_us, GError **error)
{
    gint64 last_id = 0;
    gboolean last_keyed = FALSE;
    g_autofree char *prev = NULL;
    if (!last_record(store, &last_id, &prev, &last_keyed, error))
        return FALSE;
    if (last_keyed && !key) {
        g_set_error_literal(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED,
                            "the audit log is keyed but no audit key is loaded");
        return FALSE;
    }
    if (key && last_id > 0 && !last_keyed) {
        /* The chain turns keyed here: a record says so, and its HMAC covers
         * the hash of the last unkeyed record. */
        const CgAuditEvent start = {.action = CG_AUDIT_KEY_START, .outcome = "ok"};
        char *hash = NULL;
        if (!insert_after(store, key, &start, NULL, now_us, last_id, prev, &hash, error)) {
            g_free(hash);
            return FALSE;
        }
        g_free(prev);
        prev = hash;
        last_id++;
    }
    g_autofree char *hash = NULL;
    return insert_after(store, key, event, detail, now_us, last_id, prev, &hash, error);
}

gboolean cg_audit_start_keyed(CgStore *store, gint64 now_us, GError **error)
{
    g_return_val_if_fail(installed_key != NULL, FALSE);
    if (!cg_store_exec(store, "BEGIN IMMEDIATE", "begin audit key start", error))
        return FALSE;
    gint64 last_id = 0;
    gboolean last_keyed = FALSE;
    g_autofree char *prev = NULL;
    g_autofree char *hash = NULL;
    const CgAuditEvent start = {.action = CG_AUDIT_KEY_START, .outcome = "ok"};
    gboolean ok =
        last_record(store, &last_id, &prev, &last_keyed, error) &&
        (last_id == 0 || last_keyed ||
         insert_after(store, installed_key, &start, NULL, now_us, last_id, prev, &hash, error));
    if (!ok) {
        cg_store_exec(store, "ROLLBACK", "rollback audit key start", NULL);
        return FALSE;
    }
    return cg_store_exec(store, "COMMIT", "commit audit key start", error);
}

gboolean cg_audit_append(CgStore *store, const CgAuditEvent *event, gint64 now_us, GError **error)
{
    g_return_val_if_fail(event && event->action && event->outcome, FALSE);
    if (!cg_store_exec(store, "BEGIN IMMEDIATE", "begin audit append", error))
        return FALSE;
    if (!cg_audit_insert(store, installed_key, event, NULL, now_us, error)) {
        cg_store_exec(store, "ROLLBACK", "rollback audit append", NULL);
        return FALSE;
    }
    return cg_store_exec(store, "COMMIT", "commit audit append", error);
}

void cg_audit_note(CgStore *store, const CgAuditEvent *event, gint64 now_us)
{
    g_autoptr(GError) error = NULL;
    if (!cg_audit_append(store, event, now_us, &error))
        g_warning("audit: cannot record %s/%s: %s", event->action, event->outcome, error->message);
}

static json_t *nullable_string(sqlite3_stmt *stmt, int col)
{
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    return text ? json_string(text) : json_null();
}

static json_t *record_json(sqlite3_stmt *stmt)
{
    gint64 ts_us = sqlite3_column_int64(stmt, 1);
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(ts_us / G_USEC_PER_SEC);
    g_autoptr(GDateTime) precise = dt ? g_date_time_add(dt, ts_us % G_USEC_PER_SEC) : NULL;
    g_autofree char *time =
        precise ? g_date_time_format(precise, "%Y-%m-%dT%H:%M:%S.%fZ") : g_strdup("invalid");
    json_t *rec = json_object();
    json_object_set_new(rec, "id", json_integer(sqlite3_column_int64(stmt, 0)));
    json_object_set_new(rec, "time", json_string(time));
    json_object_set_new(rec, "participant", nullable_string(stmt, 2));
    json_object_set_new(rec, "role", nullable_string(stmt, 3));
    json_object_set_new(rec, "action", nullable_string(stmt, 4));
    json_object_set_new(rec, "outcome", nullable_string(stmt, 5));
    json_object_set_new(rec, "remote", nullable_string(stmt, 6));
    json_object_set_new(rec, "hash", nullable_string(stmt, 7));
    return rec;
}

char *cg_audit_consult_json(CgStore *store, const char *tenant, const char *consult_id,
                            GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(cg_store_db(store),
                           "SELECT id, ts_us, participant, role, action, outcome, remote, hash "
                           "FROM audit WHERE tenant = ? AND consult = ? ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK) {
        cg_store_fail(store, "prepare audit query", error);
        return NULL;
    }
    bind_text(stmt, 1, tenant);
    bind_text(stmt, 2, consult_id);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        json_array_append_new(list, record_json(stmt));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        cg_store_fail(store, "read audit records", error);
        return NULL;
    }
    return cg_json_take_text(list);
}
