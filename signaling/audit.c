/* audit.c — the audit log's hash chain over the store's "audit" table.
 *
 * hash = SHA-256 of a canonical text of the record: a version tag, then each
 * field as "name=LEN:VALUE\n" ("name=-\n" when NULL, so NULL and "" differ and
 * no value can forge a field boundary), then "prev=PREV_HASH\n". The first
 * record's prev_hash is 64 zeros. The record id is part of the hashed text, so
 * renumbering records breaks the chain too.
 */
#include "audit.h"

#include <jansson.h>
#include <string.h>

#include "protocol.h"
#include "store-private.h"

#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct {
    gint64 id;
    gint64 ts_us;
    const char *tenant, *consult, *participant, *role, *action, *outcome, *remote;
    const char *prev_hash;
} AuditRow;

static void add_field(GString *text, const char *name, const char *value)
{
    if (value)
        g_string_append_printf(text, "%s=%zu:%s\n", name, strlen(value), value);
    else
        g_string_append_printf(text, "%s=-\n", name);
}

/* (transfer full) lowercase hex SHA-256 of the row's canonical text. */
static char *row_hash(const AuditRow *row)
{
    g_autoptr(GString) text = g_string_new("cg-audit-v1\n");
    g_string_append_printf(text, "id=%" G_GINT64_FORMAT "\nts_us=%" G_GINT64_FORMAT "\n",
                           row->id, row->ts_us);
    add_field(text, "tenant", row->tenant);
    add_field(text, "consult", row->consult);
    add_field(text, "participant", row->participant);
    add_field(text, "role", row->role);
    add_field(text, "action", row->action);
    add_field(text, "outcome", row->outcome);
    add_field(text, "remote", row->remote);
    g_string_append_printf(text, "prev=%s\n", row->prev_hash);
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text->str, text->len);
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
}

/* The last record's id and hash (0 and the genesis hash for an empty log). */
static gboolean last_record(CgStore *store, gint64 *id, char **hash, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(cg_store_db(store), "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                           -1, &stmt, NULL) != SQLITE_OK)
        return cg_store_fail(store, "prepare audit tail", error);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
        *hash = g_strdup((const char *)sqlite3_column_text(stmt, 1));
    } else if (rc == SQLITE_DONE) {
        *id = 0;
        *hash = g_strdup(GENESIS_HASH);
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE || cg_store_fail(store, "read audit tail", error);
}

static gboolean insert_row(CgStore *store, const AuditRow *row, const char *hash, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(cg_store_db(store),
                           "INSERT INTO audit(id, ts_us, tenant, consult, participant, role, "
                           "action, outcome, remote, prev_hash, hash) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    gboolean ok = sqlite3_step(stmt) == SQLITE_DONE || cg_store_fail(store, "append audit", error);
    sqlite3_finalize(stmt);
    return ok;
}

gboolean cg_audit_append(CgStore *store, const CgAuditEvent *event, gint64 now_us,
                         GError **error)
{
    g_return_val_if_fail(event && event->action && event->outcome, FALSE);
    if (!cg_store_exec(store, "BEGIN IMMEDIATE", "begin audit append", error))
        return FALSE;
    gint64 last_id = 0;
    g_autofree char *prev = NULL;
    gboolean ok = last_record(store, &last_id, &prev, error);
    if (ok) {
        AuditRow row = {.id = last_id + 1, .ts_us = now_us, .tenant = event->tenant,
                        .consult = event->consult, .participant = event->participant,
                        .role = event->role, .action = event->action,
                        .outcome = event->outcome, .remote = event->remote, .prev_hash = prev};
        g_autofree char *hash = row_hash(&row);
        ok = insert_row(store, &row, hash, error);
    }
    if (!ok) {
        cg_store_exec(store, "ROLLBACK", "rollback audit append", NULL);
        return FALSE;
    }
    return cg_store_exec(store, "COMMIT", "commit audit append", error);
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
    g_autofree char *time = precise ? g_date_time_format(precise, "%Y-%m-%dT%H:%M:%S.%fZ")
                                    : g_strdup("invalid");
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

static void read_row(sqlite3_stmt *stmt, AuditRow *row)
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
}

gboolean cg_audit_verify(CgStore *store, gint64 *broken_at, guint64 *records, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (broken_at)
        *broken_at = 0;
    if (records)
        *records = 0;
    if (sqlite3_prepare_v2(cg_store_db(store),
                           "SELECT id, ts_us, tenant, consult, participant, role, action, "
                           "outcome, remote, prev_hash, hash FROM audit ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return cg_store_fail(store, "prepare audit walk", error);
    g_autofree char *expected_prev = g_strdup(GENESIS_HASH);
    guint64 count = 0;
    gint64 broken = 0;
    int rc = SQLITE_DONE;
    while (!broken && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        AuditRow row;
        read_row(stmt, &row);
        const char *stored = (const char *)sqlite3_column_text(stmt, 10);
        g_autofree char *hash = row_hash(&row);
        if (g_strcmp0(row.prev_hash, expected_prev) != 0 || g_strcmp0(stored, hash) != 0) {
            broken = row.id;
            break;
        }
        g_free(expected_prev);
        expected_prev = g_strdup(stored);
        count++;
    }
    sqlite3_finalize(stmt);
    if (!broken && rc != SQLITE_DONE)
        return cg_store_fail(store, "walk audit log", error);
    if (records)
        *records = count;
    if (broken_at)
        *broken_at = broken;
    return broken == 0;
}
