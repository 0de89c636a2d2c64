/* integration-audit: what someone with write access to consultd's database,
 * but not to its audit key, can do to the audit log, and what
 * `consultctl audit verify` says about it (issue 9 #9); pruning behind a
 * keyed checkpoint (#5); the database and key file modes (#12).
 *
 * The attacker's rewrite recomputes the chain exactly as docs/api.md
 * describes the unkeyed (pre-key) records: a bare SHA-256 over the canonical
 * text. consultctl without a key accepts that rewrite (which shows the
 * rewrite is consistent); with the key it must not. */
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "daemon_harness.h"

typedef struct {
    CgTestDaemon *daemon;
    char *dir; /* the daemon's working directory */
    char *db;
    char *key;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(GError) error = NULL;
    f->daemon = cg_test_daemon_start(NULL, &error);
    g_assert_no_error(error);
    g_autofree char *cwd = g_strdup_printf("/proc/%d/cwd", (int)cg_test_daemon_pid(f->daemon));
    f->dir = g_file_read_link(cwd, &error);
    g_assert_no_error(error);
    f->db = g_build_filename(f->dir, "consultd.db", NULL);
    f->key = g_build_filename(f->dir, "var", "audit.key", NULL);
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    g_clear_pointer(&f->daemon, cg_test_daemon_free);
    g_free(f->dir);
    g_free(f->db);
    g_free(f->key);
}

static void create_consults(Fixture *f, guint n)
{
    static const char *const roles[] = {"specialist", "patient", NULL};
    static const char *const names[] = {"Dr S", "Pat", NULL};
    for (guint i = 0; i < n; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(CgTestConsult) c =
            cg_test_create_consult(f->daemon, 0, "virtual_consult", roles, names, &error);
        g_assert_no_error(error);
    }
}

/* SIGTERM; the daemon logs its last anchor on the way out. */
static void stop(Fixture *f)
{
    int status = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_test_daemon_stop(f->daemon, 15000, &status, &error));
    g_assert_cmpint(status, ==, 0);
}

static sqlite3 *db_open(const char *path)
{
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static void db_exec(const char *path, const char *sql)
{
    sqlite3 *db = db_open(path);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        g_error("%s: %s", sql, msg);
    sqlite3_close(db);
}

static gint64 db_int(const char *path, const char *sql)
{
    sqlite3 *db = db_open(path);
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    gint64 v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

/* "ID:HASH" of the newest record. */
static char *head_anchor(const char *path)
{
    sqlite3 *db = db_open(path);
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                                       -1, &stmt, NULL),
                    ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    char *anchor = g_strdup_printf("%" G_GINT64_FORMAT ":%s", (gint64)sqlite3_column_int64(stmt, 0),
                                   sqlite3_column_text(stmt, 1));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return anchor;
}

static void copy_db(const char *from, const char *to)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(from, &data, &len, NULL));
    g_assert_true(g_file_set_contents(to, data, (gssize)len, NULL));
}

typedef struct {
    int exit_code;
    char *out;
} Run;

/* consultctl audit @verb --db @db --key-file @key (nullable) and @extra. */
static Run ctl(const char *verb, const char *db, const char *key, const char *const *extra)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)g_getenv("CG_CONSULTCTL"));
    g_ptr_array_add(argv, "audit");
    g_ptr_array_add(argv, (gpointer)verb);
    g_ptr_array_add(argv, "--db");
    g_ptr_array_add(argv, (gpointer)db);
    if (key) {
        g_ptr_array_add(argv, "--key-file");
        g_ptr_array_add(argv, (gpointer)key);
    }
    for (guint i = 0; extra && extra[i]; i++)
        g_ptr_array_add(argv, (gpointer)extra[i]);
    g_ptr_array_add(argv, NULL);
    Run r = {0};
    g_autofree char *err = NULL;
    int wait_status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &err, &wait_status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(wait_status));
    r.exit_code = WEXITSTATUS(wait_status);
    g_test_message("consultctl audit %s %s -> %d\n%s%s", verb, db, r.exit_code, r.out, err);
    return r;
}

static void expect_verify(const char *db, const char *key, const char *anchor, int want,
                          const char *out_prefix)
{
    const char *extra[] = {"--anchor", anchor, NULL};
    Run r = ctl("verify", db, key, anchor ? extra : NULL);
    g_assert_cmpint(r.exit_code, ==, want);
    if (out_prefix && !g_str_has_prefix(r.out, out_prefix))
        g_error("want output starting \"%s\", got \"%s\"", out_prefix, r.out);
    g_free(r.out);
}

static void add_field(GString *text, const char *name, const unsigned char *value)
{
    if (value)
        g_string_append_printf(text, "%s=%zu:%s\n", name, strlen((const char *)value), value);
    else
        g_string_append_printf(text, "%s=-\n", name);
}

/* The attacker: changes record 2's outcome, then rewrites every record as an
 * unkeyed one with a freshly computed SHA-256 chain. */
static void rewrite_unkeyed(const char *path)
{
    db_exec(path, "UPDATE audit SET outcome = 'not_allowed' WHERE id = 2");
    sqlite3 *db = db_open(path);
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint(sqlite3_prepare_v2(db,
                                       "SELECT id, ts_us, tenant, consult, participant, role, "
                                       "action, outcome, remote FROM audit ORDER BY id",
                                       -1, &stmt, NULL),
                    ==, SQLITE_OK);
    g_autofree char *prev = g_strnfill(64, '0');
    g_autoptr(GString) updates = g_string_new("BEGIN;");
    static const char *const names[] = {"tenant", "consult", "participant", "role",
                                        "action", "outcome", "remote"};
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        gint64 id = (gint64)sqlite3_column_int64(stmt, 0);
        g_autoptr(GString) text = g_string_new("cg-audit-v1\n");
        g_string_append_printf(text, "id=%" G_GINT64_FORMAT "\nts_us=%" G_GINT64_FORMAT "\n", id,
                               (gint64)sqlite3_column_int64(stmt, 1));
        for (int i = 0; i < 7; i++)
            add_field(text, names[i], sqlite3_column_text(stmt, 2 + i));
        g_string_append_printf(text, "prev=%s\n", prev);
        g_autofree char *hash =
            g_compute_checksum_for_string(G_CHECKSUM_SHA256, text->str, (gssize)text->len);
        g_string_append_printf(updates,
                               "UPDATE audit SET keyed = 0, detail = NULL, prev_hash = '%s', "
                               "hash = '%s' WHERE id = %" G_GINT64_FORMAT ";",
                               prev, hash, id);
        g_free(prev);
        prev = g_steal_pointer(&hash);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    g_string_append(updates, "COMMIT;");
    db_exec(path, updates->str);
}

static void test_rewrite_and_truncation(Fixture *f, gconstpointer data)
{
    (void)data;
    create_consults(f, 3);
    stop(f);
    /* the last line of the log anchors the head as the database has it */
    g_autofree char *anchor = head_anchor(f->db);
    g_autofree char *line = g_strdup_printf("\"anchor\":\"%s\",\"reason\":\"stop\"", anchor);
    g_assert_true(cg_test_daemon_log_contains(f->daemon, line));
    g_assert_cmpint(db_int(f->db, "SELECT count(*) FROM audit WHERE keyed = 0"), ==, 0);
    expect_verify(f->db, f->key, anchor, 0, "audit chain intact: ");

    /* (a) rewritten, chain recomputed: consistent without the key, not with it */
    g_autofree char *a = g_build_filename(f->dir, "rewritten.db", NULL);
    copy_db(f->db, a);
    rewrite_unkeyed(a);
    expect_verify(a, NULL, NULL, 0, "audit chain intact: ");
    expect_verify(a, f->key, NULL, 1, "audit chain broken");
    expect_verify(a, f->key, anchor, 1, "audit chain broken");
    /* the same rewrite keeping the keyed flags fails on the first record */
    g_autofree char *a2 = g_build_filename(f->dir, "rewritten-keyed.db", NULL);
    copy_db(f->db, a2);
    db_exec(a2, "UPDATE audit SET outcome = 'not_allowed' WHERE id = 2");
    expect_verify(a2, f->key, NULL, 1, "audit chain broken at record 2: ");

    /* (b) the newest records deleted: only the anchor tells */
    g_autofree char *b = g_build_filename(f->dir, "truncated.db", NULL);
    copy_db(f->db, b);
    db_exec(b, "DELETE FROM audit WHERE id > (SELECT max(id) - 2 FROM audit)");
    expect_verify(b, f->key, NULL, 0, "audit chain intact: ");
    expect_verify(b, f->key, anchor, 1, "audit chain broken: the log ends at record ");

    /* a wrong key is no key */
    g_autofree char *other_key = g_build_filename(f->dir, "other.key", NULL);
    g_assert_true(g_file_set_contents(other_key, "0123456789abcdef0123456789abcdef0123", -1, NULL));
    expect_verify(f->db, other_key, NULL, 1, "audit chain broken at record 1: ");
}

static char *iso_us(gint64 us)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
    g_autoptr(GDateTime) precise = g_date_time_add(dt, us % G_USEC_PER_SEC);
    return g_date_time_format(precise, "%Y-%m-%dT%H:%M:%S.%fZ");
}

static gboolean clock_past(gpointer data)
{
    return g_get_real_time() >= *(gint64 *)data;
}

static void test_prune_checkpoint(Fixture *f, gconstpointer data)
{
    (void)data;
    create_consults(f, 3);
    /* admin calls are audited at whole seconds: the next batch in the next one */
    gint64 cut =
        (db_int(f->db, "SELECT max(ts_us) FROM audit") / G_USEC_PER_SEC + 1) * G_USEC_PER_SEC;
    gint64 first_batch_last = db_int(f->db, "SELECT max(id) FROM audit");
    g_assert_true(cg_test_wait_until(clock_past, &cut, 2500));
    create_consults(f, 2);
    stop(f);
    g_autofree char *anchor = head_anchor(f->db);
    g_autofree char *before = iso_us(cut);

    const char *range[] = {"--before", before, NULL};
    Run r = ctl("prune", f->db, f->key, range);
    g_assert_cmpint(r.exit_code, ==, 0);
    g_autofree char *want =
        g_strdup_printf("pruned %" G_GINT64_FORMAT " audit records\n", first_batch_last);
    g_assert_cmpstr(r.out, ==, want);
    g_free(r.out);
    g_assert_cmpint(db_int(f->db, "SELECT min(id) FROM audit"), ==, first_batch_last + 1);
    expect_verify(f->db, f->key, anchor, 0, "audit chain intact: ");
    /* pruning needs the key: nobody else can write a checkpoint */
    r = ctl("prune", f->db, NULL, range);
    g_assert_cmpint(r.exit_code, ==, 2);
    g_free(r.out);

    /* the checkpoint changed: its HMAC no longer matches */
    g_autofree char *t1 = g_build_filename(f->dir, "checkpoint-changed.db", NULL);
    copy_db(f->db, t1);
    db_exec(t1, "UPDATE audit SET detail = replace(detail, 'pruned_through=', "
                "'pruned_through=1') WHERE action = 'audit.checkpoint'");
    expect_verify(t1, f->key, NULL, 1, "audit chain broken at record ");
    /* the checkpoint deleted (it is the newest record) */
    g_autofree char *t2 = g_build_filename(f->dir, "checkpoint-gone.db", NULL);
    copy_db(f->db, t2);
    db_exec(t2, "DELETE FROM audit WHERE action = 'audit.checkpoint'");
    expect_verify(t2, f->key, NULL, 1, "audit chain broken at record ");
    /* more old records deleted behind the checkpoint's back */
    g_autofree char *t3 = g_build_filename(f->dir, "more-pruned.db", NULL);
    copy_db(f->db, t3);
    db_exec(t3, "DELETE FROM audit WHERE id = (SELECT min(id) FROM audit)");
    expect_verify(t3, f->key, NULL, 1, "audit chain broken at record ");
}

static guint file_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        g_error("stat %s failed", path);
    return st.st_mode & 0777;
}

/* Patients' names live in the database: owner-only, like the keys, and so
 * are the WAL files beside it (while consultd runs). */
static void test_file_modes(Fixture *f, gconstpointer data)
{
    (void)data;
    create_consults(f, 1);
    g_autofree char *wal = g_strconcat(f->db, "-wal", NULL);
    g_autofree char *shm = g_strconcat(f->db, "-shm", NULL);
    g_assert_cmpuint(file_mode(f->db), ==, 0600);
    g_assert_cmpuint(file_mode(wal), ==, 0600);
    g_assert_cmpuint(file_mode(shm), ==, 0600);
    g_assert_cmpuint(file_mode(f->key), ==, 0600);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    umask(022); /* as a service's default: the daemon must not rely on it */
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
    ADD("/audit/rewrite-and-truncation", test_rewrite_and_truncation);
    ADD("/audit/prune-checkpoint", test_prune_checkpoint);
    ADD("/audit/file-modes", test_file_modes);
#undef ADD
    return g_test_run();
}
