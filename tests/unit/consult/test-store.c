/* Unit tests of the store's schema migrations, lifecycle fields and the audit
 * log's hash chain (a real SQLite file in a temporary directory). Tampering is
 * done the way an attacker with file access would: plain SQL on the file. */
#include <glib/gstdio.h>
#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

#include "audit.h"
#include "store.h"

typedef struct {
    char *dir;
    char *path;
    CgStore *store;
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    (void)data;
    f->dir = g_dir_make_tmp("cg-store-XXXXXX", NULL);
    f->path = g_build_filename(f->dir, "sub", "consultd.db", NULL);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    (void)data;
    cg_store_close(f->store);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(f->path);
    g_free(f->dir);
}

static void open_store(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    f->store = cg_store_open(f->path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(f->store);
}

static void sql(const char *path, const char *text)
{
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, text, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        g_error("sql %s: %s", text, err);
    sqlite3_close(db);
}

/* Migration 1 exactly as released (consultd 0.1 databases look like this). */
static const char v1_schema[] =
    "CREATE TABLE consults (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, kind TEXT NOT NULL,"
    " specialty TEXT NOT NULL, title TEXT NOT NULL, starts_at INTEGER NOT NULL,"
    " duration_min INTEGER NOT NULL, state TEXT NOT NULL,"
    " created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
    "CREATE INDEX consults_tenant_starts ON consults(tenant, starts_at);"
    "CREATE TABLE participants (id TEXT PRIMARY KEY,"
    " consult_id TEXT NOT NULL REFERENCES consults(id) ON DELETE CASCADE,"
    " tenant TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL);"
    "CREATE INDEX participants_consult ON participants(consult_id);"
    "INSERT INTO consults(id, tenant, kind, specialty, title, starts_at, duration_min, state)"
    " VALUES ('c_old', 'a', 'virtual_consult', 'dermatology', 'Old one', 1790000000, 30,"
    " 'scheduled');"
    "INSERT INTO participants VALUES ('p_old', 'c_old', 'a', 'Dr Old', 'specialist');"
    "PRAGMA user_version = 1;";

static void test_migrate_from_v1(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *dir = g_path_get_dirname(f->path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    sql(f->path, v1_schema);
    open_store(f);
    g_assert_cmpint(cg_store_schema_version(f->store), ==, 6);

    CgConsultRecord c = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_store_get_consult(f->store, "a", "c_old", &c, &error));
    g_assert_cmpstr(c.title, ==, "Old one");
    g_assert_cmpstr(c.state, ==, "scheduled");
    g_assert_cmpint(c.ended_at, ==, 0);
    g_assert_null(c.end_reason);
    g_assert_cmpint(c.live_since, ==, 0);
    g_assert_false(c.providers_wait);
    g_assert_null(c.series_id);
    g_assert_false(c.video_bitrate_set);  /* an old consult takes the config default */
    g_assert_null(c.interpretation_mode); /* and has no interpretation */
    g_assert_cmpint(c.floor_level_db, ==, CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT);
    cg_consult_record_clear(&c);

    CgParticipantRecord p = {0};
    g_assert_true(cg_store_get_participant(f->store, "a", "c_old", "p_old", &p, &error));
    g_assert_cmpstr(p.name, ==, "Dr Old");
    g_assert_false(p.admitted);
    g_assert_false(p.removed);
    g_assert_null(p.muted_by);
    g_assert_null(p.language);
    cg_participant_record_clear(&p);

    /* The new columns work on the migrated rows. */
    g_assert_true(cg_store_set_participant_admitted(f->store, "a", "c_old", "p_old", &error));
    g_assert_true(cg_store_set_participant_muted(f->store, "a", "c_old", "p_old", "p_s", &error));
    g_assert_true(cg_store_get_participant(f->store, "a", "c_old", "p_old", &p, &error));
    g_assert_cmpstr(p.muted_by, ==, "p_s");
    cg_participant_record_clear(&p);
    g_assert_true(
        cg_store_end_consult(f->store, "a", "c_old", "ended", "time_up", 1790003000, &error));
    cg_store_close(f->store);
    f->store = NULL;
    open_store(f); /* reopening an up-to-date database applies nothing */
    g_assert_cmpint(cg_store_schema_version(f->store), ==, 6);
    g_assert_true(cg_store_get_consult(f->store, "a", "c_old", &c, &error));
    g_assert_cmpstr(c.state, ==, "ended");
    g_assert_cmpstr(c.end_reason, ==, "time_up");
    g_assert_cmpint(c.ended_at, ==, 1790003000);
    cg_consult_record_clear(&c);
    g_assert_true(cg_store_get_participant(f->store, "a", "c_old", "p_old", &p, &error));
    g_assert_true(p.admitted);
    cg_participant_record_clear(&p);
}

static void test_newer_schema_refused(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *dir = g_path_get_dirname(f->path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    sql(f->path, "PRAGMA user_version = 99;");
    g_autoptr(GError) error = NULL;
    g_assert_null(cg_store_open(f->path, &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED);
    g_assert_nonnull(strstr(error->message, "newer"));
}

static void create_one(Fixture *f, const char *tenant, const char *id, gint64 starts_at,
                       const char *series)
{
    CgConsultRecord c = {.id = (char *)id,
                         .tenant = (char *)tenant,
                         .kind = "case_conference",
                         .specialty = "genetics",
                         .title = "T",
                         .starts_at = starts_at,
                         .duration_min = 60,
                         .state = "scheduled",
                         .providers_wait = TRUE,
                         .series_id = (char *)series};
    g_autofree char *pid = g_strdup_printf("p_%s", id);
    CgParticipantRecord p = {.id = pid,
                             .consult_id = (char *)id,
                             .tenant = (char *)tenant,
                             .name = "Dr S",
                             .role = "specialist"};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_store_create_consult(f->store, &c, &p, 1, &error));
    g_assert_no_error(error);
}

static void test_lifecycle_fields(Fixture *f, gconstpointer data)
{
    (void)data;
    open_store(f);
    create_one(f, "a", "c1", 10000, "s_1");
    g_autoptr(GError) error = NULL;
    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", "c1", &c, &error));
    g_assert_true(c.providers_wait);
    g_assert_cmpstr(c.series_id, ==, "s_1");
    cg_consult_record_clear(&c);

    g_assert_true(cg_store_set_consult_live(f->store, "a", "c1", 9500, &error));
    g_assert_true(cg_store_set_consult_live(f->store, "a", "c1", 9900, &error)); /* sticks */
    g_assert_true(cg_store_set_participant_removed(f->store, "a", "c1", "p_c1", &error));
    g_assert_true(cg_store_get_consult(f->store, "a", "c1", &c, &error));
    g_assert_cmpint(c.live_since, ==, 9500);
    cg_consult_record_clear(&c);
    CgParticipantRecord p = {0};
    g_assert_true(cg_store_get_participant(f->store, "a", "c1", "p_c1", &p, &error));
    g_assert_true(p.removed);
    g_assert_false(p.admitted);
    cg_participant_record_clear(&p);

    /* Another tenant's rows are out of reach of every change. */
    g_assert_false(cg_store_set_consult_live(f->store, "b", "c1", 1, &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_false(cg_store_end_consult(f->store, "b", "c1", "cancelled", "cancelled", 1, &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_false(cg_store_set_participant_admitted(f->store, "b", "c1", "p_c1", &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND);
    g_clear_error(&error);
}

/* The cap column: NULL (the config default), 0 (no cap) or kbps, on insert
 * and update alike. */
static void test_video_bitrate(Fixture *f, gconstpointer data)
{
    (void)data;
    open_store(f);
    CgConsultRecord in = {.id = "c_cap",
                          .tenant = "a",
                          .kind = "virtual_consult",
                          .specialty = "dermatology",
                          .title = "T",
                          .starts_at = 10000,
                          .duration_min = 30,
                          .state = "scheduled",
                          .video_bitrate_set = TRUE,
                          .video_bitrate_kbps = 150};
    CgParticipantRecord p = {
        .id = "p_cap", .consult_id = "c_cap", .tenant = "a", .name = "Dr S", .role = "specialist"};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_store_create_consult(f->store, &in, &p, 1, &error));
    create_one(f, "a", "c_default", 10000, NULL);

    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", "c_cap", &c, &error));
    g_assert_true(c.video_bitrate_set);
    g_assert_cmpuint(c.video_bitrate_kbps, ==, 150);
    c.video_bitrate_kbps = 0; /* explicitly no cap: not the same as unset */
    g_assert_true(cg_store_update_consult(f->store, &c, &error));
    cg_consult_record_clear(&c);
    g_assert_true(cg_store_get_consult(f->store, "a", "c_cap", &c, &error));
    g_assert_true(c.video_bitrate_set);
    g_assert_cmpuint(c.video_bitrate_kbps, ==, 0);
    c.video_bitrate_set = FALSE; /* back to the config default */
    g_assert_true(cg_store_update_consult(f->store, &c, &error));
    cg_consult_record_clear(&c);
    g_assert_true(cg_store_get_consult(f->store, "a", "c_cap", &c, &error));
    g_assert_false(c.video_bitrate_set);
    cg_consult_record_clear(&c);

    g_assert_true(cg_store_get_consult(f->store, "a", "c_default", &c, &error));
    g_assert_false(c.video_bitrate_set);
    g_assert_cmpuint(c.video_bitrate_kbps, ==, 0);
    cg_consult_record_clear(&c);
}

static gboolean contains(GPtrArray *consults, const char *id)
{
    for (guint i = 0; i < consults->len; i++)
        if (g_str_equal(((CgConsultRecord *)consults->pdata[i])->id, id))
            return TRUE;
    return FALSE;
}

static void test_open_consults(Fixture *f, gconstpointer data)
{
    (void)data;
    open_store(f);
    const gint64 now = 100000;
    create_one(f, "a", "in_window", now + 10 * 60, NULL);    /* opens 15 min before */
    create_one(f, "b", "other_tenant", now - 30 * 60, NULL); /* live, 60 min long */
    create_one(f, "a", "too_early", now + 20 * 60, NULL);
    create_one(f, "a", "over", now - 80 * 60, NULL); /* ended 20 min ago (+5 grace) */
    create_one(f, "a", "cancelled", now, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(
        cg_store_end_consult(f->store, "a", "cancelled", "cancelled", "cancelled", now, &error));
    g_autoptr(GPtrArray) open = cg_store_open_consults(f->store, now, 15, 5, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(open->len, ==, 2);
    g_assert_true(contains(open, "in_window"));
    g_assert_true(contains(open, "other_tenant"));
}

static void append(Fixture *f, const char *consult, const char *action, const char *outcome,
                   gint64 ts)
{
    CgAuditEvent ev = {.tenant = "a",
                       .consult = consult,
                       .participant = "p_1",
                       .role = "specialist",
                       .action = action,
                       .outcome = outcome,
                       .remote = "127.0.0.1"};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_audit_append(f->store, &ev, ts, &error));
    g_assert_no_error(error);
}

static void fill_chain(Fixture *f)
{
    open_store(f);
    append(f, "c_1", "consult.create", "ok", 1000);
    append(f, "c_1", "join", "ok", 2000);
    append(f, "c_2", "join", "token_expired", 3000);
    CgAuditEvent bare = {.action = "auth", .outcome = "unauthorized"}; /* every field NULL */
    g_assert_true(cg_audit_append(f->store, &bare, 4000, NULL));
    append(f, "c_1", "end", "ok", 5000);
}

static void test_audit_chain(Fixture *f, gconstpointer data)
{
    (void)data;
    open_store(f);
    gint64 broken = -1;
    guint64 n = 99;
    g_assert_true(cg_audit_verify(f->store, &broken, &n, NULL)); /* empty log is intact */
    g_assert_cmpuint(n, ==, 0);
    cg_store_close(f->store);
    f->store = NULL;
    fill_chain(f);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_audit_verify(f->store, &broken, &n, &error));
    g_assert_no_error(error);
    g_assert_cmpint(broken, ==, 0);
    g_assert_cmpuint(n, ==, 5);

    /* A consult's records, oldest first, of that tenant only. */
    g_autofree char *text = cg_audit_consult_json(f->store, "a", "c_1", &error);
    g_assert_no_error(error);
    json_t *list = json_loads(text, 0, NULL);
    g_assert_cmpuint(json_array_size(list), ==, 3);
    json_t *first = json_array_get(list, 0);
    g_assert_cmpstr(json_string_value(json_object_get(first, "action")), ==, "consult.create");
    g_assert_cmpstr(json_string_value(json_object_get(first, "outcome")), ==, "ok");
    g_assert_cmpstr(json_string_value(json_object_get(first, "remote")), ==, "127.0.0.1");
    g_assert_cmpstr(json_string_value(json_object_get(first, "time")), ==,
                    "1970-01-01T00:00:00.001000Z");
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(list, 2), "action")), ==,
                    "end");
    json_decref(list);
    g_autofree char *other = cg_audit_consult_json(f->store, "b", "c_1", &error);
    g_assert_cmpstr(other, ==, "[]");

    /* Appends after a reopen continue the same chain. */
    cg_store_close(f->store);
    f->store = NULL;
    open_store(f);
    append(f, "c_1", "join", "ok", 6000);
    g_assert_true(cg_audit_verify(f->store, &broken, &n, NULL));
    g_assert_cmpuint(n, ==, 6);
}

static void assert_broken_at(Fixture *f, gint64 expected, guint64 intact_before)
{
    cg_store_close(f->store);
    f->store = NULL;
    open_store(f);
    gint64 broken = 0;
    guint64 n = 0;
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_audit_verify(f->store, &broken, &n, &error));
    g_assert_no_error(error);
    g_assert_cmpint(broken, ==, expected);
    g_assert_cmpuint(n, ==, intact_before);
}

static void test_audit_tamper_update(Fixture *f, gconstpointer data)
{
    (void)data;
    fill_chain(f);
    sql(f->path, "UPDATE audit SET outcome = 'ok' WHERE id = 3");
    assert_broken_at(f, 3, 2);
}

static void test_audit_tamper_null(Fixture *f, gconstpointer data)
{
    (void)data;
    fill_chain(f);
    /* NULL and "" must not hash alike. */
    sql(f->path, "UPDATE audit SET tenant = '' WHERE id = 4");
    assert_broken_at(f, 4, 3);
}

static void test_audit_tamper_delete(Fixture *f, gconstpointer data)
{
    (void)data;
    fill_chain(f);
    sql(f->path, "DELETE FROM audit WHERE id = 2");
    assert_broken_at(f, 3, 1);
}

static void test_audit_tamper_rehash(Fixture *f, gconstpointer data)
{
    (void)data;
    fill_chain(f);
    /* Rewriting one record's own hash does not help: the next record points at the old one. */
    sql(f->path, "UPDATE audit SET outcome = 'ok', hash = 'ff' WHERE id = 3");
    assert_broken_at(f, 3, 2);
    sql(f->path, "UPDATE audit SET prev_hash = (SELECT hash FROM audit WHERE id = 3) WHERE id = 4");
    assert_broken_at(f, 3, 2);
}

static GBytes *test_key(void)
{
    static const char text[] = "unit-test-audit-key-0123456789abcdefghij";
    return g_bytes_new_static(text, sizeof text - 1);
}

static gboolean verify_keyed(Fixture *f, GBytes *key, CgAuditReport *report)
{
    g_autoptr(GError) error = NULL;
    gboolean ok = cg_audit_verify_chain(f->store, key, NULL, report, &error);
    g_assert_no_error(error);
    if (!ok)
        g_test_message("broken: %s", report->problem);
    return ok;
}

/* A log from before the key: the first keyed append seals it with an
 * audit.key_start record; from then on the key is needed, and no unkeyed
 * record may follow. */
static void test_audit_keyed_upgrade(Fixture *f, gconstpointer data)
{
    (void)data;
    fill_chain(f);
    g_autoptr(GBytes) key = test_key();
    cg_audit_set_key(key);
    append(f, "c_1", "join", "ok", 6000);
    CgAuditReport r;
    g_assert_true(verify_keyed(f, key, &r));
    g_assert_cmpuint(r.records, ==, 7);
    g_assert_cmpuint(r.unkeyed, ==, 5);
    cg_audit_report_clear(&r);
    g_autofree char *keyed = NULL;
    gint64 head = 0;
    g_assert_true(cg_audit_head(f->store, &head, &keyed, NULL));
    g_assert_cmpint(head, ==, 7);

    cg_audit_set_key(NULL);
    CgAuditEvent ev = {.action = "join", .outcome = "ok"};
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_audit_append(f->store, &ev, 7000, &error)); /* no downgrade */
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED);
    g_assert_false(verify_keyed(f, NULL, &r)); /* keyed records need the key */
    g_assert_cmpint(r.broken_at, ==, 6);
    cg_audit_report_clear(&r);
    g_autoptr(GBytes) wrong = g_bytes_new_static("another-key-0123456789abcdefghijklmn", 36);
    g_assert_false(verify_keyed(f, wrong, &r));
    g_assert_cmpint(r.broken_at, ==, 6);
    cg_audit_report_clear(&r);

    /* a pre-key record changed: the key_start record no longer follows */
    sql(f->path, "UPDATE audit SET outcome = 'ok' WHERE id = 3");
    g_assert_false(verify_keyed(f, key, &r));
    g_assert_cmpint(r.broken_at, ==, 3);
    cg_audit_report_clear(&r);
}

/* Pruning leaves a keyed checkpoint; the rest verifies; the checkpoint
 * cannot be changed or dropped. */
static void test_audit_prune(Fixture *f, gconstpointer data)
{
    (void)data;
    fill_chain(f); /* ts 1000..5000 us, unkeyed */
    g_autoptr(GBytes) key = test_key();
    cg_audit_set_key(key);
    guint64 pruned = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_audit_prune(f->store, key, 3500, 10000, &pruned, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(pruned, ==, 3);
    CgAuditReport r;
    g_assert_true(verify_keyed(f, key, &r));
    g_assert_cmpint(r.first_id, ==, 4);
    g_assert_cmpint(r.last_id, ==, 7); /* 6 key_start, 7 checkpoint */
    cg_audit_report_clear(&r);
    /* nothing more is old enough; appends continue the chain */
    g_assert_true(cg_audit_prune(f->store, key, 3500, 11000, &pruned, &error));
    g_assert_cmpuint(pruned, ==, 0);
    append(f, "c_1", "join", "ok", 12000);
    /* everything older than now, in two rounds: each leaves its checkpoint */
    g_assert_true(cg_audit_prune(f->store, key, G_MAXINT64, 20000, &pruned, &error));
    g_assert_cmpuint(pruned, ==, 5);
    g_assert_true(verify_keyed(f, key, &r));
    g_assert_cmpint(r.first_id, ==, 9);
    cg_audit_report_clear(&r);

    sql(f->path, "UPDATE audit SET detail = replace(detail, 'pruned_through=8', "
                 "'pruned_through=7') WHERE id = 9");
    g_assert_false(verify_keyed(f, key, &r));
    g_assert_cmpint(r.broken_at, ==, 9);
    cg_audit_report_clear(&r);
    cg_audit_set_key(NULL);
}

static void test_audit_pruned_without_checkpoint(Fixture *f, gconstpointer data)
{
    (void)data;
    fill_chain(f);
    sql(f->path, "DELETE FROM audit WHERE id <= 2");
    assert_broken_at(f, 3, 3);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
    ADD("/store/migrate-from-v1", test_migrate_from_v1);
    ADD("/store/newer-schema-refused", test_newer_schema_refused);
    ADD("/store/lifecycle-fields", test_lifecycle_fields);
    ADD("/store/video-bitrate", test_video_bitrate);
    ADD("/store/open-consults", test_open_consults);
    ADD("/audit/chain", test_audit_chain);
    ADD("/audit/tamper-update", test_audit_tamper_update);
    ADD("/audit/tamper-null", test_audit_tamper_null);
    ADD("/audit/tamper-delete", test_audit_tamper_delete);
    ADD("/audit/tamper-rehash", test_audit_tamper_rehash);
    ADD("/audit/keyed-upgrade", test_audit_keyed_upgrade);
    ADD("/audit/prune", test_audit_prune);
    ADD("/audit/pruned-without-checkpoint", test_audit_pruned_without_checkpoint);
#undef ADD
    return g_test_run();
}
