/* Unit tests of the store's interpretation fields (issue 11): the consult's
 * mode, languages, floor language and level, the participant's language and
 * relay source, through every read and write path; and migration 6 on a
 * database left by the previous release (schema 5) with rows in it. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "store.h"

typedef struct {
    char *dir;
    char *path;
    CgStore *store;
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    (void)data;
    f->dir = g_dir_make_tmp("cg-store-interp-XXXXXX", NULL);
    f->path = g_build_filename(f->dir, "consultd.db", NULL);
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

static void reopen_store(Fixture *f)
{
    cg_store_close(f->store);
    f->store = NULL;
    open_store(f);
}

/* Schema 5 exactly as the previous release left it (migrations 1..5), with a
 * consult and two participants in it. */
static const char v5_database[] =
    "CREATE TABLE consults (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, kind TEXT NOT NULL,"
    " specialty TEXT NOT NULL, title TEXT NOT NULL, starts_at INTEGER NOT NULL,"
    " duration_min INTEGER NOT NULL, state TEXT NOT NULL,"
    " created_at INTEGER NOT NULL DEFAULT (strftime('%s','now')));"
    "CREATE INDEX consults_tenant_starts ON consults(tenant, starts_at);"
    "CREATE TABLE participants (id TEXT PRIMARY KEY,"
    " consult_id TEXT NOT NULL REFERENCES consults(id) ON DELETE CASCADE,"
    " tenant TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL);"
    "CREATE INDEX participants_consult ON participants(consult_id);"
    "ALTER TABLE consults ADD COLUMN ended_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE consults ADD COLUMN end_reason TEXT;"
    "ALTER TABLE consults ADD COLUMN live_since INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE consults ADD COLUMN providers_wait INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE consults ADD COLUMN series_id TEXT;"
    "CREATE INDEX consults_series ON consults(tenant, series_id);"
    "ALTER TABLE participants ADD COLUMN admitted INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE participants ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, tenant TEXT,"
    " consult TEXT, participant TEXT, role TEXT, action TEXT NOT NULL, outcome TEXT NOT NULL,"
    " remote TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_consult ON audit(tenant, consult, id);"
    "ALTER TABLE consults ADD COLUMN video_bitrate_kbps INTEGER;"
    "ALTER TABLE audit ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE audit ADD COLUMN detail TEXT;"
    "ALTER TABLE participants ADD COLUMN muted_by TEXT;"
    "INSERT INTO consults(id, tenant, kind, specialty, title, starts_at, duration_min, state,"
    " live_since, providers_wait, series_id, video_bitrate_kbps)"
    " VALUES ('c_v5', 'a', 'case_conference', 'oncology', 'Board', 1790000000, 45, 'scheduled',"
    " 1790000100, 1, 's_v5', 300);"
    "INSERT INTO participants(id, consult_id, tenant, name, role, admitted, removed, muted_by)"
    " VALUES ('p_s', 'c_v5', 'a', 'Dr S', 'specialist', 1, 0, NULL),"
    " ('p_i', 'c_v5', 'a', 'Ana', 'interpreter', 0, 1, 'p_s');"
    "PRAGMA user_version = 5;";

static void test_migrate_from_v5(Fixture *f, gconstpointer data)
{
    (void)data;
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(db, v5_database, NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close(db);
    open_store(f);
    g_assert_cmpint(cg_store_schema_version(f->store), ==, 6);

    /* Every old column kept its value; the new ones read as their defaults. */
    g_autoptr(GError) error = NULL;
    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", "c_v5", &c, &error));
    g_assert_cmpstr(c.title, ==, "Board");
    g_assert_cmpstr(c.kind, ==, "case_conference");
    g_assert_cmpuint(c.duration_min, ==, 45);
    g_assert_cmpint(c.live_since, ==, 1790000100);
    g_assert_true(c.providers_wait);
    g_assert_cmpstr(c.series_id, ==, "s_v5");
    g_assert_true(c.video_bitrate_set);
    g_assert_cmpuint(c.video_bitrate_kbps, ==, 300);
    g_assert_null(c.interpretation_mode);
    g_assert_null(c.interpretation_languages);
    g_assert_null(c.floor_language);
    g_assert_cmpint(c.floor_level_db, ==, CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT);
    cg_consult_record_clear(&c);

    g_autoptr(GPtrArray) parts = cg_store_list_participants(f->store, "a", "c_v5", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(parts->len, ==, 2);
    const CgParticipantRecord *s = parts->pdata[0], *i = parts->pdata[1];
    g_assert_cmpstr(s->id, ==, "p_s");
    g_assert_true(s->admitted);
    g_assert_cmpstr(i->role, ==, "interpreter");
    g_assert_true(i->removed);
    g_assert_cmpstr(i->muted_by, ==, "p_s");
    g_assert_null(s->language);
    g_assert_null(i->language);
    g_assert_null(i->relay_from);

    /* The migrated row takes the new fields; a reopen applies nothing more. */
    g_assert_true(cg_store_set_floor_level(f->store, "a", "c_v5", -22, &error));
    reopen_store(f);
    g_assert_cmpint(cg_store_schema_version(f->store), ==, 6);
    g_assert_true(cg_store_get_consult(f->store, "a", "c_v5", &c, &error));
    g_assert_cmpint(c.floor_level_db, ==, -22);
    g_assert_cmpstr(c.title, ==, "Board");
    cg_consult_record_clear(&c);
}

static const char *const es_ar[] = {"es", "ar", NULL};

static CgConsultRecord consult_of(const char *id, const char *mode)
{
    return (CgConsultRecord){.id = (char *)id,
                             .tenant = "a",
                             .kind = "virtual_consult",
                             .specialty = "cardiology",
                             .title = "T",
                             .starts_at = 100000,
                             .duration_min = 30,
                             .state = "scheduled",
                             .interpretation_mode = (char *)mode,
                             .interpretation_languages = mode ? (char **)es_ar : NULL,
                             .floor_language = mode ? "en" : NULL,
                             .floor_level_db = mode ? -20 : CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT};
}

static CgParticipantRecord participant_of(const char *id, const char *consult, const char *role,
                                          const char *language, const char *relay_from)
{
    return (CgParticipantRecord){.id = (char *)id,
                                 .consult_id = (char *)consult,
                                 .tenant = "a",
                                 .name = "N",
                                 .role = (char *)role,
                                 .language = (char *)language,
                                 .relay_from = (char *)relay_from};
}

static void assert_interpreted(const CgConsultRecord *c)
{
    g_assert_cmpstr(c->interpretation_mode, ==, "simultaneous");
    g_assert_nonnull(c->interpretation_languages);
    g_assert_cmpstr(c->interpretation_languages[0], ==, "es");
    g_assert_cmpstr(c->interpretation_languages[1], ==, "ar");
    g_assert_null(c->interpretation_languages[2]);
    g_assert_cmpstr(c->floor_language, ==, "en");
    g_assert_cmpint(c->floor_level_db, ==, -20);
}

static const CgConsultRecord *find(GPtrArray *consults, const char *id)
{
    for (guint i = 0; i < consults->len; i++)
        if (g_str_equal(((CgConsultRecord *)consults->pdata[i])->id, id))
            return consults->pdata[i];
    return NULL;
}

static void test_round_trip(Fixture *f, gconstpointer data)
{
    (void)data;
    open_store(f);
    CgConsultRecord consults[] = {consult_of("c_sim", "simultaneous"), consult_of("c_none", NULL)};
    CgParticipantRecord parts[] = {
        participant_of("p_s", "c_sim", "specialist", NULL, NULL),
        participant_of("p_es", "c_sim", "interpreter", "es", NULL),
        participant_of("p_ar", "c_sim", "interpreter", "ar", "es"),
        participant_of("p_pat", "c_sim", "patient", "ar", NULL),
        participant_of("p_n", "c_none", "specialist", NULL, NULL),
    };
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_store_create_consults(f->store, consults, 2, parts, 5, &error));

    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", "c_sim", &c, &error));
    assert_interpreted(&c);
    cg_consult_record_clear(&c);
    g_assert_null(c.interpretation_languages);
    g_assert_true(cg_store_get_consult(f->store, "a", "c_none", &c, &error));
    g_assert_null(c.interpretation_mode);
    g_assert_null(c.interpretation_languages);
    g_assert_null(c.floor_language);
    g_assert_cmpint(c.floor_level_db, ==, CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT);
    cg_consult_record_clear(&c);

    g_autoptr(GPtrArray) list = cg_store_list_consults(f->store, "a", 0, G_MAXINT64, 10, &error);
    assert_interpreted(find(list, "c_sim"));
    g_assert_null(find(list, "c_none")->interpretation_mode);
    g_autoptr(GPtrArray) open = cg_store_open_consults(f->store, 100000, 15, 15, &error);
    assert_interpreted(find(open, "c_sim"));

    CgParticipantRecord p = {0};
    g_assert_true(cg_store_get_participant(f->store, "a", "c_sim", "p_ar", &p, &error));
    g_assert_cmpstr(p.language, ==, "ar");
    g_assert_cmpstr(p.relay_from, ==, "es");
    cg_participant_record_clear(&p);
    g_assert_null(p.language);
    g_assert_null(p.relay_from);
    g_autoptr(GPtrArray) ps = cg_store_list_participants(f->store, "a", "c_sim", &error);
    g_assert_cmpuint(ps->len, ==, 4);
    g_assert_null(((CgParticipantRecord *)ps->pdata[0])->language);
    g_assert_cmpstr(((CgParticipantRecord *)ps->pdata[1])->language, ==, "es");
    g_assert_null(((CgParticipantRecord *)ps->pdata[1])->relay_from);
    g_assert_cmpstr(((CgParticipantRecord *)ps->pdata[3])->language, ==, "ar");

    CgParticipantRecord added = participant_of("p_es2", "c_sim", "interpreter", "es", "ar");
    g_assert_true(cg_store_add_participant(f->store, &added, &error));
    g_assert_true(cg_store_get_participant(f->store, "a", "c_sim", "p_es2", &p, &error));
    g_assert_cmpstr(p.language, ==, "es");
    g_assert_cmpstr(p.relay_from, ==, "ar");
    cg_participant_record_clear(&p);
}

static void test_update_and_floor_level(Fixture *f, gconstpointer data)
{
    (void)data;
    open_store(f);
    CgConsultRecord in = consult_of("c_1", NULL);
    CgParticipantRecord s = participant_of("p_s", "c_1", "specialist", NULL, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_store_create_consult(f->store, &in, &s, 1, &error));

    /* Set interpretation through an update... */
    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", "c_1", &c, &error));
    c.interpretation_mode = g_strdup("consecutive");
    c.interpretation_languages = g_strsplit("pt-br", ",", -1);
    g_assert_true(cg_store_update_consult(f->store, &c, &error));
    cg_consult_record_clear(&c);
    g_assert_true(cg_store_get_consult(f->store, "a", "c_1", &c, &error));
    g_assert_cmpstr(c.interpretation_mode, ==, "consecutive");
    g_assert_cmpstr(c.interpretation_languages[0], ==, "pt-br");
    g_assert_null(c.interpretation_languages[1]);
    g_assert_null(c.floor_language);

    /* ...the live floor level... */
    g_assert_true(cg_store_set_floor_level(f->store, "a", "c_1", -40, &error));
    g_assert_true(cg_store_set_floor_level(f->store, "a", "c_1", 0, &error));
    g_assert_false(cg_store_set_floor_level(f->store, "b", "c_1", -10, &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_false(cg_store_set_floor_level(f->store, "a", "c_1", -41, &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED);
    g_clear_error(&error);
    g_assert_false(cg_store_set_floor_level(f->store, "a", "c_1", 1, &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_FAILED);
    g_clear_error(&error);
    g_assert_false(cg_store_set_floor_level(f->store, "a", "nope", -10, &error));
    g_assert_error(error, CG_STORE_ERROR, CG_STORE_ERROR_NOT_FOUND);
    g_clear_error(&error);
    cg_consult_record_clear(&c);
    g_assert_true(cg_store_get_consult(f->store, "a", "c_1", &c, &error));
    g_assert_cmpint(c.floor_level_db, ==, 0);

    /* ...and clear it (mode NULL clears the languages with it). */
    g_clear_pointer(&c.interpretation_mode, g_free);
    g_assert_true(cg_store_update_consult(f->store, &c, &error));
    cg_consult_record_clear(&c);
    reopen_store(f);
    g_assert_true(cg_store_get_consult(f->store, "a", "c_1", &c, &error));
    g_assert_null(c.interpretation_mode);
    g_assert_null(c.interpretation_languages);
    cg_consult_record_clear(&c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
    ADD("/store/interpretation/migrate-from-v5", test_migrate_from_v5);
    ADD("/store/interpretation/round-trip", test_round_trip);
    ADD("/store/interpretation/update-and-floor-level", test_update_and_floor_level);
#undef ADD
    return g_test_run();
}
