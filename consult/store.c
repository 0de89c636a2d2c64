#include "store.h"
#include "store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include <string.h>

G_DEFINE_QUARK(cg - store - error - quark, cg_store_error)

struct _CgStore {
    sqlite3 *db;
};

sqlite3 *cg_store_db(CgStore *store)
{
    return store->db;
}

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
    /* 2: lifecycle fields, waiting-room state, recurring series, audit log */
    "ALTER TABLE consults ADD COLUMN ended_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE consults ADD COLUMN end_reason TEXT;"
    "ALTER TABLE consults ADD COLUMN live_since INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE consults ADD COLUMN providers_wait INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE consults ADD COLUMN series_id TEXT;"
    "CREATE INDEX consults_series ON consults(tenant, series_id);"
    "ALTER TABLE participants ADD COLUMN admitted INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE participants ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  ts_us INTEGER NOT NULL,"
    "  tenant TEXT,"
    "  consult TEXT,"
    "  participant TEXT,"
    "  role TEXT,"
    "  action TEXT NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  remote TEXT,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    "CREATE INDEX audit_consult ON audit(tenant, consult, id);",
    /* 3: per-consult video bitrate cap in kbps (0 = none); NULL = the config default */
    "ALTER TABLE consults ADD COLUMN video_bitrate_kbps INTEGER;",
    /* 4: keyed audit chain (audit.c): rows from here on carry an HMAC, not a
     * bare SHA-256; detail holds a checkpoint's pruned range */
    ("ALTER TABLE audit ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE audit ADD COLUMN detail TEXT;"),
    /* 5: a specialist's mute, per participant (the muting specialist's id) */
    "ALTER TABLE participants ADD COLUMN muted_by TEXT;",
    /* 6: interpretation (issue 11): languages are a comma list of lower-case
     * BCP 47 tags; NULL mode = no interpretation */
    ("ALTER TABLE consults ADD COLUMN interpretation_mode TEXT;"
     "ALTER TABLE consults ADD COLUMN interpretation_languages TEXT;"
     "ALTER TABLE consults ADD COLUMN floor_language TEXT;"
     "ALTER TABLE consults ADD COLUMN floor_level_db INTEGER NOT NULL DEFAULT -15;"
     "ALTER TABLE participants ADD COLUMN language TEXT;"
     "ALTER TABLE participants ADD COLUMN relay_from TEXT;"),
};

gboolean cg_store_fail(CgStore *store, const char *job, GError **error)
{
    g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED, "store: %s: %s", job,
                sqlite3_errmsg(store->db));
    return FALSE;
}

gboolean cg_store_exec(CgStore *store, const char *sql, const char *job, GError **error)
{
    return sqlite3_exec(store->db, sql, NULL, NULL, NULL) == SQLITE_OK ||
           cg_store_fail(store, job, error);
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
                    "store: database schema version %d is newer than this consultd (%d)", version,
                    latest);
        return FALSE;
    }
    for (int v = version; v < latest; v++) {
        g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", v + 1);
        if (!cg_store_exec(store, "BEGIN IMMEDIATE", "begin migration", error))
            return FALSE;
        if (!cg_store_exec(store, migrations[v], "apply migration", error) ||
            !cg_store_exec(store, bump, "record schema version", error)) {
            cg_store_exec(store, "ROLLBACK", "rollback migration", NULL);
            return FALSE;
        }
        if (!cg_store_exec(store, "COMMIT", "commit migration", error))
            return FALSE;
    }
    return TRUE;
}

/* The database holds patients' names: owner-only, like the keys. SQLite
 * gives its -wal and -shm files the mode of the database file, so creating
 * that 0600 (and tightening an older one and its companions) covers all three. */
static gboolean make_private(const char *path, GError **error)
{
    int fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED, "store: cannot open %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    struct stat st;
    gboolean shared = fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO));
    close(fd);
    if (!shared)
        return TRUE;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        g_autofree char *file = g_strconcat(path, suffixes[i], NULL);
        if (g_chmod(file, 0600) != 0 && errno != ENOENT) {
            g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED,
                        "store: cannot make %s private (chmod 600): %s", file, g_strerror(errno));
            return FALSE;
        }
    }
    g_message("store: %s was readable by group or others; now mode 600", path);
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
    if (!make_private(path, error))
        return NULL;
    CgStore *store = g_new0(CgStore, 1);
    int rc = sqlite3_open_v2(
        path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK ||
        !cg_store_exec(store, "PRAGMA journal_mode = WAL", "enable WAL", error) ||
        !cg_store_exec(store, "PRAGMA foreign_keys = ON", "enable foreign keys", error) ||
        !cg_store_exec(store, "PRAGMA synchronous = NORMAL", "set synchronous", error) ||
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

static gboolean prepare(CgStore *store, const char *sql, sqlite3_stmt **stmt, const char *job,
                        GError **error)
{
    if (sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL) == SQLITE_OK)
        return TRUE;
    return cg_store_fail(store, job, error);
}

/* The cap column: NULL when the consult has none of its own. */
static void bind_video_bitrate(sqlite3_stmt *stmt, int index, const CgConsultRecord *c)
{
    if (c->video_bitrate_set)
        sqlite3_bind_int(stmt, index, (int)c->video_bitrate_kbps);
    else
        sqlite3_bind_null(stmt, index);
}

/* (transfer full) interpretation languages as stored, "es,ar"; NULL when none. */
static char *languages_text(const CgConsultRecord *c)
{
    if (!c->interpretation_languages || !c->interpretation_languages[0])
        return NULL;
    return g_strjoinv(",", c->interpretation_languages);
}

static char **languages_of(sqlite3_stmt *stmt, int col)
{
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    if (!text || !text[0])
        return NULL;
    return g_strsplit(text, ",", CG_CONSULT_LANGUAGES_MAX * 4);
}

/* The interpretation columns of a consult, bound from @index on (4 columns). */
static void bind_interpretation(sqlite3_stmt *stmt, int index, const CgConsultRecord *c)
{
    g_autofree char *languages = c->interpretation_mode ? languages_text(c) : NULL;
    bind_text(stmt, index, c->interpretation_mode);
    sqlite3_bind_text(stmt, index + 1, languages, -1, SQLITE_TRANSIENT);
    bind_text(stmt, index + 2, c->floor_language);
    sqlite3_bind_int(stmt, index + 3, c->floor_level_db);
}

static gboolean insert_participant(CgStore *store, const CgParticipantRecord *p, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "INSERT INTO participants(id, consult_id, tenant, name, role, admitted, removed, "
                 "language, relay_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 &stmt, "prepare participant insert", error))
        return FALSE;
    bind_text(stmt, 1, p->id);
    bind_text(stmt, 2, p->consult_id);
    bind_text(stmt, 3, p->tenant);
    bind_text(stmt, 4, p->name);
    bind_text(stmt, 5, p->role);
    sqlite3_bind_int(stmt, 6, p->admitted ? 1 : 0);
    sqlite3_bind_int(stmt, 7, p->removed ? 1 : 0);
    bind_text(stmt, 8, p->language);
    bind_text(stmt, 9, p->relay_from);
    gboolean ok =
        sqlite3_step(stmt) == SQLITE_DONE || cg_store_fail(store, "insert participant", error);
    sqlite3_finalize(stmt);
    return ok;
}

static gboolean insert_consult(CgStore *store, const CgConsultRecord *c, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "INSERT INTO consults(id, tenant, kind, specialty, title, starts_at, "
                 "duration_min, state, ended_at, end_reason, live_since, providers_wait, "
                 "series_id, video_bitrate_kbps, interpretation_mode, interpretation_languages, "
                 "floor_language, floor_level_db) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 &stmt, "prepare consult insert", error))
        return FALSE;
    bind_text(stmt, 1, c->id);
    bind_text(stmt, 2, c->tenant);
    bind_text(stmt, 3, c->kind);
    bind_text(stmt, 4, c->specialty);
    bind_text(stmt, 5, c->title);
    sqlite3_bind_int64(stmt, 6, c->starts_at);
    sqlite3_bind_int(stmt, 7, (int)c->duration_min);
    bind_text(stmt, 8, c->state);
    sqlite3_bind_int64(stmt, 9, c->ended_at);
    bind_text(stmt, 10, c->end_reason);
    sqlite3_bind_int64(stmt, 11, c->live_since);
    sqlite3_bind_int(stmt, 12, c->providers_wait ? 1 : 0);
    bind_text(stmt, 13, c->series_id);
    bind_video_bitrate(stmt, 14, c);
    bind_interpretation(stmt, 15, c);
    gboolean ok =
        sqlite3_step(stmt) == SQLITE_DONE || cg_store_fail(store, "insert consult", error);
    sqlite3_finalize(stmt);
    return ok;
}

gboolean cg_store_create_consult(CgStore *store, const CgConsultRecord *consult,
                                 const CgParticipantRecord *participants, guint n_participants,
                                 GError **error)
{
    return cg_store_create_consults(store, consult, 1, participants, n_participants, error);
}

gboolean cg_store_create_consults(CgStore *store, const CgConsultRecord *consults, guint n_consults,
                                  const CgParticipantRecord *participants, guint n_participants,
                                  GError **error)
{
    if (!cg_store_exec(store, "BEGIN IMMEDIATE", "begin consult insert", error))
        return FALSE;
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < n_consults; i++)
        ok = insert_consult(store, &consults[i], error);
    for (guint i = 0; ok && i < n_participants; i++)
        ok = insert_participant(store, &participants[i], error);
    if (!ok) {
        cg_store_exec(store, "ROLLBACK", "rollback consult insert", NULL);
        return FALSE;
    }
    return cg_store_exec(store, "COMMIT", "commit consult insert", error);
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
        cg_store_fail(store, what, error);
    return FALSE;
}

#define CONSULT_COLUMNS                                                                            \
    "id, tenant, kind, specialty, title, starts_at, duration_min, state, ended_at, "               \
    "end_reason, live_since, providers_wait, series_id, video_bitrate_kbps, "                      \
    "interpretation_mode, interpretation_languages, floor_language, floor_level_db"

static void read_consult(sqlite3_stmt *stmt, CgConsultRecord *out)
{
    out->id = column_text(stmt, 0);
    out->tenant = column_text(stmt, 1);
    out->kind = column_text(stmt, 2);
    out->specialty = column_text(stmt, 3);
    out->title = column_text(stmt, 4);
    out->starts_at = sqlite3_column_int64(stmt, 5);
    out->duration_min = (guint)sqlite3_column_int(stmt, 6);
    out->state = column_text(stmt, 7);
    out->ended_at = sqlite3_column_int64(stmt, 8);
    out->end_reason = column_text(stmt, 9);
    out->live_since = sqlite3_column_int64(stmt, 10);
    out->providers_wait = sqlite3_column_int(stmt, 11) != 0;
    out->series_id = column_text(stmt, 12);
    out->video_bitrate_set = sqlite3_column_type(stmt, 13) != SQLITE_NULL;
    out->video_bitrate_kbps = out->video_bitrate_set ? (guint)sqlite3_column_int(stmt, 13) : 0;
    out->interpretation_mode = column_text(stmt, 14);
    out->interpretation_languages = out->interpretation_mode ? languages_of(stmt, 15) : NULL;
    out->floor_language = column_text(stmt, 16);
    out->floor_level_db = sqlite3_column_int(stmt, 17);
}

gboolean cg_store_get_consult(CgStore *store, const char *tenant, const char *consult_id,
                              CgConsultRecord *out, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store, "SELECT " CONSULT_COLUMNS " FROM consults WHERE tenant = ? AND id = ?",
                 &stmt, "prepare consult lookup", error))
        return FALSE;
    bind_text(stmt, 1, tenant);
    bind_text(stmt, 2, consult_id);
    gboolean ok = step_one(store, stmt, "consult", error);
    if (ok)
        read_consult(stmt, out);
    sqlite3_finalize(stmt);
    return ok;
}

#define PARTICIPANT_COLUMNS                                                                        \
    "id, consult_id, tenant, name, role, admitted, removed, muted_by, language, relay_from"

static void read_participant(sqlite3_stmt *stmt, CgParticipantRecord *out)
{
    out->id = column_text(stmt, 0);
    out->consult_id = column_text(stmt, 1);
    out->tenant = column_text(stmt, 2);
    out->name = column_text(stmt, 3);
    out->role = column_text(stmt, 4);
    out->admitted = sqlite3_column_int(stmt, 5) != 0;
    out->removed = sqlite3_column_int(stmt, 6) != 0;
    out->muted_by = column_text(stmt, 7);
    out->language = column_text(stmt, 8);
    out->relay_from = column_text(stmt, 9);
}

gboolean cg_store_get_participant(CgStore *store, const char *tenant, const char *consult_id,
                                  const char *participant_id, CgParticipantRecord *out,
                                  GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "SELECT " PARTICIPANT_COLUMNS " FROM participants "
                 "WHERE tenant = ? AND consult_id = ? AND id = ?",
                 &stmt, "prepare participant lookup", error))
        return FALSE;
    bind_text(stmt, 1, tenant);
    bind_text(stmt, 2, consult_id);
    bind_text(stmt, 3, participant_id);
    gboolean ok = step_one(store, stmt, "participant", error);
    if (ok)
        read_participant(stmt, out);
    sqlite3_finalize(stmt);
    return ok;
}

/* Runs an UPDATE whose last two or three parameters are the row's scope; a
 * statement that changes no row is NOT_FOUND (unknown id or another tenant's). */
static gboolean update_done(CgStore *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
    gboolean ok = sqlite3_step(stmt) == SQLITE_DONE || cg_store_fail(store, what, error);
    if (ok && sqlite3_changes(store->db) == 0) {
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND, "%s: no such row", what);
        ok = FALSE;
    }
    sqlite3_finalize(stmt);
    return ok;
}

static gboolean set_participant_flag(CgStore *store, const char *sql, const char *tenant,
                                     const char *consult_id, const char *participant_id,
                                     const char *what, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store, sql, &stmt, what, error))
        return FALSE;
    bind_text(stmt, 1, tenant);
    bind_text(stmt, 2, consult_id);
    bind_text(stmt, 3, participant_id);
    return update_done(store, stmt, what, error);
}

gboolean cg_store_set_participant_admitted(CgStore *store, const char *tenant,
                                           const char *consult_id, const char *participant_id,
                                           GError **error)
{
    return set_participant_flag(store,
                                "UPDATE participants SET admitted = 1 "
                                "WHERE tenant = ? AND consult_id = ? AND id = ?",
                                tenant, consult_id, participant_id, "admit participant", error);
}

gboolean cg_store_set_participant_removed(CgStore *store, const char *tenant,
                                          const char *consult_id, const char *participant_id,
                                          GError **error)
{
    return set_participant_flag(store,
                                "UPDATE participants SET removed = 1 "
                                "WHERE tenant = ? AND consult_id = ? AND id = ?",
                                tenant, consult_id, participant_id, "remove participant", error);
}

gboolean cg_store_set_participant_muted(CgStore *store, const char *tenant, const char *consult_id,
                                        const char *participant_id, const char *muted_by,
                                        GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "UPDATE participants SET muted_by = ? "
                 "WHERE tenant = ? AND consult_id = ? AND id = ?",
                 &stmt, "mute participant", error))
        return FALSE;
    bind_text(stmt, 1, muted_by);
    bind_text(stmt, 2, tenant);
    bind_text(stmt, 3, consult_id);
    bind_text(stmt, 4, participant_id);
    return update_done(store, stmt, "mute participant", error);
}

gboolean cg_store_set_consult_live(CgStore *store, const char *tenant, const char *consult_id,
                                   gint64 live_since, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    /* The first live moment sticks: a rejoin after a restart keeps it. */
    if (!prepare(store,
                 "UPDATE consults SET live_since = CASE WHEN live_since = 0 THEN ? "
                 "ELSE live_since END WHERE tenant = ? AND id = ?",
                 &stmt, "mark consult live", error))
        return FALSE;
    sqlite3_bind_int64(stmt, 1, live_since);
    bind_text(stmt, 2, tenant);
    bind_text(stmt, 3, consult_id);
    return update_done(store, stmt, "mark consult live", error);
}

gboolean cg_store_end_consult(CgStore *store, const char *tenant, const char *consult_id,
                              const char *state, const char *reason, gint64 ended_at,
                              GError **error)
{
    g_return_val_if_fail(g_strcmp0(state, "ended") == 0 || g_strcmp0(state, "cancelled") == 0,
                         FALSE);
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "UPDATE consults SET state = ?, end_reason = ?, ended_at = ? "
                 "WHERE tenant = ? AND id = ?",
                 &stmt, "end consult", error))
        return FALSE;
    bind_text(stmt, 1, state);
    bind_text(stmt, 2, reason);
    sqlite3_bind_int64(stmt, 3, ended_at);
    bind_text(stmt, 4, tenant);
    bind_text(stmt, 5, consult_id);
    return update_done(store, stmt, "end consult", error);
}

gboolean cg_store_update_consult(CgStore *store, const CgConsultRecord *consult, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "UPDATE consults SET starts_at = ?, duration_min = ?, title = ?, specialty = ?, "
                 "video_bitrate_kbps = ?, interpretation_mode = ?, interpretation_languages = ?, "
                 "floor_language = ?, floor_level_db = ? WHERE tenant = ? AND id = ?",
                 &stmt, "update consult", error))
        return FALSE;
    sqlite3_bind_int64(stmt, 1, consult->starts_at);
    sqlite3_bind_int(stmt, 2, (int)consult->duration_min);
    bind_text(stmt, 3, consult->title);
    bind_text(stmt, 4, consult->specialty);
    bind_video_bitrate(stmt, 5, consult);
    bind_interpretation(stmt, 6, consult);
    bind_text(stmt, 10, consult->tenant);
    bind_text(stmt, 11, consult->id);
    return update_done(store, stmt, "update consult", error);
}

gboolean cg_store_set_floor_level(CgStore *store, const char *tenant, const char *consult_id,
                                  gint floor_level_db, GError **error)
{
    if (floor_level_db < CG_CONSULT_FLOOR_LEVEL_DB_MIN ||
        floor_level_db > CG_CONSULT_FLOOR_LEVEL_DB_MAX) { /* the caller validates; never stored */
        g_set_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED,
                    "store: floor level %d dB is outside %d..%d", floor_level_db,
                    CG_CONSULT_FLOOR_LEVEL_DB_MIN, CG_CONSULT_FLOOR_LEVEL_DB_MAX);
        return FALSE;
    }
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store, "UPDATE consults SET floor_level_db = ? WHERE tenant = ? AND id = ?", &stmt,
                 "set floor level", error))
        return FALSE;
    sqlite3_bind_int(stmt, 1, floor_level_db);
    bind_text(stmt, 2, tenant);
    bind_text(stmt, 3, consult_id);
    return update_done(store, stmt, "set floor level", error);
}

gboolean cg_store_add_participant(CgStore *store, const CgParticipantRecord *participant,
                                  GError **error)
{
    return insert_participant(store, participant, error);
}

gboolean cg_store_count_participants(CgStore *store, const char *tenant, const char *consult_id,
                                     guint *count, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "SELECT count(*) FROM participants "
                 "WHERE tenant = ? AND consult_id = ? AND removed = 0",
                 &stmt, "count participants", error))
        return FALSE;
    bind_text(stmt, 1, tenant);
    bind_text(stmt, 2, consult_id);
    gboolean ok = step_one(store, stmt, "count participants", error);
    if (ok)
        *count = (guint)sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return ok;
}

void cg_consult_record_free(CgConsultRecord *record)
{
    if (!record)
        return;
    cg_consult_record_clear(record);
    g_free(record);
}

void cg_participant_record_free(CgParticipantRecord *record)
{
    if (!record)
        return;
    cg_participant_record_clear(record);
    g_free(record);
}

/* Steps @stmt to the end, collecting consult rows. */
static GPtrArray *collect_consults(CgStore *store, sqlite3_stmt *stmt, const char *what,
                                   GError **error)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)cg_consult_record_free);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        CgConsultRecord *r = g_new0(CgConsultRecord, 1);
        read_consult(stmt, r);
        g_ptr_array_add(out, r);
    }
    if (rc != SQLITE_DONE) {
        cg_store_fail(store, what, error);
        g_clear_pointer(&out, g_ptr_array_unref);
    }
    sqlite3_finalize(stmt);
    return out;
}

GPtrArray *cg_store_open_consults(CgStore *store, gint64 now, guint open_before_min,
                                  guint grace_min, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "SELECT " CONSULT_COLUMNS " FROM consults "
                 "WHERE state NOT IN ('ended', 'cancelled') AND starts_at - ? <= ? "
                 "AND starts_at + duration_min * 60 + ? >= ? ORDER BY starts_at, id",
                 &stmt, "list open consults", error))
        return NULL;
    sqlite3_bind_int64(stmt, 1, (gint64)open_before_min * 60);
    sqlite3_bind_int64(stmt, 2, now);
    sqlite3_bind_int64(stmt, 3, (gint64)grace_min * 60);
    sqlite3_bind_int64(stmt, 4, now);
    return collect_consults(store, stmt, "list open consults", error);
}

GPtrArray *cg_store_list_consults(CgStore *store, const char *tenant, gint64 from, gint64 to,
                                  guint limit, GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "SELECT " CONSULT_COLUMNS " FROM consults "
                 "WHERE tenant = ? AND starts_at >= ? AND starts_at < ? "
                 "ORDER BY starts_at, id LIMIT ?",
                 &stmt, "list consults", error))
        return NULL;
    bind_text(stmt, 1, tenant);
    sqlite3_bind_int64(stmt, 2, from);
    sqlite3_bind_int64(stmt, 3, to);
    sqlite3_bind_int(stmt, 4, (int)MIN(limit, (guint)G_MAXINT));
    return collect_consults(store, stmt, "list consults", error);
}

GPtrArray *cg_store_list_participants(CgStore *store, const char *tenant, const char *consult_id,
                                      GError **error)
{
    sqlite3_stmt *stmt = NULL;
    if (!prepare(store,
                 "SELECT " PARTICIPANT_COLUMNS " FROM participants "
                 "WHERE tenant = ? AND consult_id = ? ORDER BY rowid",
                 &stmt, "list participants", error))
        return NULL;
    bind_text(stmt, 1, tenant);
    bind_text(stmt, 2, consult_id);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)cg_participant_record_free);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        CgParticipantRecord *r = g_new0(CgParticipantRecord, 1);
        read_participant(stmt, r);
        g_ptr_array_add(out, r);
    }
    if (rc != SQLITE_DONE) {
        cg_store_fail(store, "list participants", error);
        g_clear_pointer(&out, g_ptr_array_unref);
    }
    sqlite3_finalize(stmt);
    return out;
}

void cg_consult_record_clear(CgConsultRecord *r)
{
    g_clear_pointer(&r->id, g_free);
    g_clear_pointer(&r->tenant, g_free);
    g_clear_pointer(&r->kind, g_free);
    g_clear_pointer(&r->specialty, g_free);
    g_clear_pointer(&r->title, g_free);
    g_clear_pointer(&r->state, g_free);
    g_clear_pointer(&r->end_reason, g_free);
    g_clear_pointer(&r->series_id, g_free);
    g_clear_pointer(&r->interpretation_mode, g_free);
    g_clear_pointer(&r->interpretation_languages, g_strfreev);
    g_clear_pointer(&r->floor_language, g_free);
}

void cg_participant_record_clear(CgParticipantRecord *r)
{
    g_clear_pointer(&r->id, g_free);
    g_clear_pointer(&r->consult_id, g_free);
    g_clear_pointer(&r->tenant, g_free);
    g_clear_pointer(&r->name, g_free);
    g_clear_pointer(&r->role, g_free);
    g_clear_pointer(&r->muted_by, g_free);
    g_clear_pointer(&r->language, g_free);
    g_clear_pointer(&r->relay_from, g_free);
}
