#include "store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

G_DEFINE_QUARK(cg-store-error-quark, cg_store_error)

struct _CgStore {
    sqlite3 *db;
};

/* Append-only: never edit a released migration, add a new one. */
static const char *const migrations[] = {
    /* 1: consults and participants */
    "CREATE TABLE consults ("
    "  id TEXT PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  specialty TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  starts_at INTEGER NOT NULL,"
    "  duration_min INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
    "CREATE INDEX consults_tenant_starts ON consults(tenant, starts_at);"
    "CREATE TABLE participants ("
    "  id TEXT PRIMARY KEY,"
    "  consult_id TEXT NOT NULL REFERENCES consults(id) ON DELETE CASCADE,"
    "  tenant TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL);"
    "CREATE INDEX participants_consult ON participants(consult_id);",
};

static gboolean fail(CgStore *store, const char *job, GError **error)
{
    g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED, "store: %s: %s", job,
                sqlite3_errmsg(store->db));
    return FALSE;
}

static gboolean exec(CgStore *store, const char *sql, const char *job, GError **error)
{
    return sqlite3_exec(store->db, sql, NULL, NULL, NULL) == SQLITE_OK || fail(store, job, error);
}

int cg_store_schema_version(CgStore *store)
{
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return version;
}

static gboolean migrate(CgStore *store, GError **error)
{
    int version = cg_store_schema_version(store);
    int latest = (int)G_N_ELEMENTS(migrations);
    if (version > latest) {
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED,
                    "store: database schema version %d is newer than this consultd (%d)",
                    version, latest);
        return FALSE;
    }
    for (int v = version; v < latest; v++) {
        g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", v + 1);
        if (!exec(store, "BEGIN IMMEDIATE", "begin migration", error))
            return FALSE;
        if (!exec(store, migrations[v], "apply migration", error) ||
            !exec(store, bump, "record schema version", error)) {
            exec(store, "ROLLBACK", "rollback migration", NULL);
            return FALSE;
        }
        if (!exec(store, "COMMIT", "commit migration", error))
            return FALSE;
    }
    return TRUE;
}

CgStore *cg_store_open(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED,
                    "store: cannot create directory %s: %s", dir, g_strerror(errno));
        return NULL;
    }
    CgStore *store = g_new0(CgStore, 1);
    int rc = sqlite3_open_v2(path, &store->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK || !exec(store, "PRAGMA journal_mode = WAL", "enable WAL", error) ||
        !exec(store, "PRAGMA foreign_keys = ON", "enable foreign keys", error) ||
        !exec(store, "PRAGMA synchronous = NORMAL", "set synchronous", error) ||
        sqlite3_busy_timeout(store->db, 2000) != SQLITE_OK || !migrate(store, error)) {
        if (rc != SQLITE_OK)
            g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED, "store: cannot open %s: %s",
                        path, sqlite3_errmsg(store->db));
        cg_store_close(store);
        return NULL;
    }
    return store;
}

void cg_store_close(CgStore *store)
{
    if (!store)
        return;
    sqlite3_close(store->db);
    g_free(store);
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
}

static gboolean insert_participant(CgStore *store, const CgParticipantRecord *p, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store->db,
                           "INSERT INTO participants(id, consult_id, tenant, name, role) "
                           "VALUES (?, ?, ?, ?, ?)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return fail(store, "prepare participant insert", error);
    bind_text(stmt, 1, p->id);
    bind_text(stmt, 2, p->consult_id);
    bind_text(stmt, 3, p->tenant);
    bind_text(stmt, 4, p->name);
    bind_text(stmt, 5, p->role);
    gboolean ok = sqlite3_step(stmt) == SQLITE_DONE || fail(store, "insert participant", error);
    sqlite3_finalize(stmt);
    return ok;
}

static gboolean insert_consult(CgStore *store, const CgConsultRecord *c, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store->db,
                           "INSERT INTO consults(id, tenant, kind, specialty, title, starts_at, "
                           "duration_min, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return fail(store, "prepare consult insert", error);
    bind_text(stmt, 1, c->id);
    bind_text(stmt, 2, c->tenant);
    bind_text(stmt, 3, c->kind);
    bind_text(stmt, 4, c->specialty);
    bind_text(stmt, 5, c->title);
    sqlite3_bind_int64(stmt, 6, c->starts_at);
    sqlite3_bind_int(stmt, 7, (int)c->duration_min);
    bind_text(stmt, 8, c->state);
    gboolean ok = sqlite3_step(stmt) == SQLITE_DONE || fail(store, "insert consult", error);
    sqlite3_finalize(stmt);
    return ok;
}

gboolean cg_store_create_consult(CgStore *store, const CgConsultRecord *consult,
                                 const CgParticipantRecord *participants, guint n_participants,
                                 GError **error)
{
    if (!exec(store, "BEGIN IMMEDIATE", "begin consult insert", error))
        return FALSE;
    gboolean ok = insert_consult(store, consult, error);
    for (guint i = 0; ok && i < n_participants; i++)
        ok = insert_participant(store, &participants[i], error);
    if (!ok) {
        exec(store, "ROLLBACK", "rollback consult insert", NULL);
        return FALSE;
    }
    return exec(store, "COMMIT", "commit consult insert", error);
}

static char *column_text(sqlite3_stmt *stmt, int col)
{
    return g_strdup((const char *)sqlite3_column_text(stmt, col));
}

static gboolean step_one(CgStore *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return TRUE;
    if (rc == SQLITE_DONE)
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND, "%s not found", what);
    else
        fail(store, what, error);
    return FALSE;
}

gboolean cg_store_get_consult(CgStore *store, const char *tenant, const char *consult_id,
                              CgConsultRecord *out, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT id, tenant, kind, specialty, title, starts_at, duration_min, "
                           "state FROM consults WHERE tenant = ? AND id = ?",
                           -1, &stmt, NULL) != SQLITE_OK)
        return fail(store, "prepare consult lookup", error);
    bind_text(stmt, 1, tenant);
    bind_text(stmt, 2, consult_id);
    gboolean ok = step_one(store, stmt, "consult", error);
    if (ok) {
        out->id = column_text(stmt, 0);
        out->tenant = column_text(stmt, 1);
        out->kind = column_text(stmt, 2);
        out->specialty = column_text(stmt, 3);
        out->title = column_text(stmt, 4);
        out->starts_at = sqlite3_column_int64(stmt, 5);
        out->duration_min = (guint)sqlite3_column_int(stmt, 6);
        out->state = column_text(stmt, 7);
    }
    sqlite3_finalize(stmt);
    return ok;
}

gboolean cg_store_get_participant(CgStore *store, const char *tenant, const char *consult_id,
                                  const char *participant_id, CgParticipantRecord *out,
                                  GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store->db,
                           "SELECT id, consult_id, tenant, name, role FROM participants "
                           "WHERE tenant = ? AND consult_id = ? AND id = ?",
                           -1, &stmt, NULL) != SQLITE_OK)
        return fail(store, "prepare participant lookup", error);
    bind_text(stmt, 1, tenant);
    bind_text(stmt, 2, consult_id);
    bind_text(stmt, 3, participant_id);
    gboolean ok = step_one(store, stmt, "participant", error);
    if (ok) {
        out->id = column_text(stmt, 0);
        out->consult_id = column_text(stmt, 1);
        out->tenant = column_text(stmt, 2);
        out->name = column_text(stmt, 3);
        out->role = column_text(stmt, 4);
    }
    sqlite3_finalize(stmt);
    return ok;
}

void cg_consult_record_clear(CgConsultRecord *r)
{
    g_clear_pointer(&r->id, g_free);
    g_clear_pointer(&r->tenant, g_free);
    g_clear_pointer(&r->kind, g_free);
    g_clear_pointer(&r->specialty, g_free);
    g_clear_pointer(&r->title, g_free);
    g_clear_pointer(&r->state, g_free);
}

void cg_participant_record_clear(CgParticipantRecord *r)
{
    g_clear_pointer(&r->id, g_free);
    g_clear_pointer(&r->consult_id, g_free);
    g_clear_pointer(&r->tenant, g_free);
    g_clear_pointer(&r->name, g_free);
    g_clear_pointer(&r->role, g_free);
}
