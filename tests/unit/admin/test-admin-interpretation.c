/* Unit tests of the admin API's interpretation fields (issue 11,
 * docs/api.md "Interpretation"): every refusal is a 400 naming the field;
 * create, GET and PATCH carry the fields; minted tokens carry the
 * participant's language and relay_from (the JWT payload is decoded here). */
#include <string.h>

#include "jwt.h"

#include "admin_fixture.h"

#define SIMUL "\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"ar\"]}"
#define CONSEC "\"interpretation\":{\"mode\":\"consecutive\",\"languages\":[\"es\",\"ar\"]}"

/* A create body at NOW + 1 h: @consult_extra (members of the consult, each
 * preceded by a comma) and the participants after a specialist (entry 0). */
static char *create_body(const char *consult_extra, const char *participants)
{
    g_autofree char *at = iso(NOW + 3600);
    return g_strdup_printf("{\"kind\":\"virtual_consult\",\"specialty\":\"cardiology\","
                           "\"title\":\"Board\",\"starts_at\":\"%s\",\"duration_min\":30%s,"
                           "\"participants\":[{\"name\":\"Dr S\",\"role\":\"specialist\"}%s]}",
                           at, consult_extra ? consult_extra : "",
                           participants ? participants : "");
}

static json_t *create_ok(Fixture *f, const char *consult_extra, const char *participants)
{
    g_autofree char *body = create_body(consult_extra, participants);
    guint status = 0;
    json_t *json = call(f, KEY_A, "POST", "/api/v1/consults", body, &status);
    if (status != 201) {
        g_autofree char *text = json_dumps(json, JSON_COMPACT);
        g_error("create: %u %s", status, text);
    }
    return json;
}

/* The JWT payload of @token as JSON, decoded here (not by jwt.c). */
static json_t *token_payload(const char *token)
{
    const char *p = strchr(token, '.');
    g_assert_nonnull(p);
    p++;
    const char *end = strchr(p, '.');
    g_assert_nonnull(end);
    g_autoptr(GString) b64 = g_string_new_len(p, end - p);
    for (gsize i = 0; i < b64->len; i++)
        b64->str[i] = b64->str[i] == '-' ? '+' : b64->str[i] == '_' ? '/' : b64->str[i];
    while (b64->len % 4)
        g_string_append_c(b64, '=');
    gsize len = 0;
    g_autofree guchar *raw = g_base64_decode(b64->str, &len);
    json_t *json = json_loadb((const char *)raw, len, 0, NULL);
    g_assert_nonnull(json);
    return json;
}

static const char *member(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- refusals ---------------------------------------------------------------- */

static void test_create_refusals(Fixture *f, gconstpointer data)
{
    (void)data;
    static const struct {
        const char *consult, *participants, *code, *field;
    } cases[] = {
        /* the consult's fields */
        {",\"interpretation\":5", NULL, "invalid_field", "interpretation"},
        {",\"interpretation\":{\"mode\":\"whispered\",\"languages\":[\"es\"]}", NULL,
         "invalid_field", "interpretation.mode"},
        {",\"interpretation\":{\"mode\":7,\"languages\":[\"es\"]}", NULL, "invalid_field",
         "interpretation.mode"},
        {",\"interpretation\":{\"languages\":[\"es\"]}", NULL, "missing_field",
         "interpretation.mode"},
        {",\"interpretation\":{\"mode\":\"simultaneous\"}", NULL, "missing_field",
         "interpretation.languages"},
        {",\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":\"es\"}", NULL,
         "invalid_field", "interpretation.languages"},
        {",\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[]}", NULL, "invalid_field",
         "interpretation.languages"},
        {",\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"ar\",\"fr\","
         "\"de\",\"it\",\"pt\",\"zh\",\"ru\",\"tr\"]}",
         NULL, "invalid_field", "interpretation.languages"},
        {",\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"es_MX\"]}", NULL,
         "invalid_field", "interpretation.languages[1]"},
        {",\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"ar\",7]}", NULL,
         "invalid_field", "interpretation.languages[2]"},
        {",\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"ar\",\"ES\"]}",
         NULL, "invalid_field", "interpretation.languages[2]"},
        {",\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\"],\"x\":1}", NULL,
         "invalid_field", "interpretation.x"},
        {"," SIMUL ",\"floor_language\":\"english\"", NULL, "invalid_field", "floor_language"},
        {"," SIMUL ",\"floor_language\":\"AR\"", NULL, "invalid_field", "floor_language"},
        {"," SIMUL ",\"floor_level_db\":-41", NULL, "invalid_field", "floor_level_db"},
        {"," SIMUL ",\"floor_level_db\":1", NULL, "invalid_field", "floor_level_db"},
        {"," SIMUL ",\"floor_level_db\":-15.5", NULL, "invalid_field", "floor_level_db"},
        {"," SIMUL ",\"floor_level_db\":\"-15\"", NULL, "invalid_field", "floor_level_db"},
        /* the participants' */
        {"," SIMUL, ",{\"name\":\"I\",\"role\":\"interpreter\"}", "invalid_field",
         "participants[1].language"},
        {"," SIMUL, ",{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"fr\"}",
         "invalid_field", "participants[1].language"},
        {"," SIMUL, ",{\"name\":\"I\",\"role\":\"interpreter\",\"language\":7}", "invalid_field",
         "participants[1].language"},
        {NULL, ",{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\"}", "invalid_field",
         "participants[1].role"},
        {NULL, ",{\"name\":\"I\",\"role\":\"interpreter\"}", "invalid_field",
         "participants[1].role"},
        {"," SIMUL, ",{\"name\":\"P\",\"role\":\"provider\",\"relay_from\":\"es\"}",
         "invalid_field", "participants[1].relay_from"},
        {"," CONSEC,
         ",{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\"},"
         "{\"name\":\"J\",\"role\":\"interpreter\",\"language\":\"ar\",\"relay_from\":\"es\"}",
         "invalid_field", "participants[2].relay_from"},
        {"," SIMUL,
         ",{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\",\"relay_from\":\"ES\"}",
         "invalid_field", "participants[1].relay_from"},
        {"," SIMUL,
         ",{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\",\"relay_from\":\"fr\"}",
         "invalid_field", "participants[1].relay_from"},
        {"," SIMUL,
         ",{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\",\"relay_from\":[]}",
         "invalid_field", "participants[1].relay_from"},
        {"," SIMUL ",\"floor_language\":\"en\"",
         ",{\"name\":\"Pat\",\"role\":\"patient\",\"language\":\"fr\"}", "invalid_field",
         "participants[1].language"},
        {NULL, ",{\"name\":\"Pat\",\"role\":\"patient\",\"language\":\"es\"}", "invalid_field",
         "participants[1].language"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *body = create_body(cases[i].consult, cases[i].participants);
        expect_error(f, KEY_A, "POST", "/api/v1/consults", body, 400, cases[i].code,
                     cases[i].field);
    }
    /* Nothing was stored by any of them. */
    guint status = 0;
    json_t *list = call(f, KEY_A, "GET", "/api/v1/consults", NULL, &status);
    g_assert_cmpuint(json_array_size(json_object_get(list, "consults")), ==, 0);
    json_decref(list);
}

static void test_add_participant_refusals(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *simul = create_ok(f, "," SIMUL ",\"floor_language\":\"en\"", NULL);
    json_t *consec = create_ok(f, "," CONSEC, NULL);
    json_t *plain = create_ok(f, NULL, NULL);
    g_autofree char *s = path_of(member(simul, "id"), "/participants");
    g_autofree char *c = path_of(member(consec, "id"), "/participants");
    g_autofree char *p = path_of(member(plain, "id"), "/participants");
    static const struct {
        int which; /* 0 simultaneous, 1 consecutive, 2 none */
        const char *body, *field;
    } cases[] = {
        {0, "{\"name\":\"I\",\"role\":\"interpreter\"}", "language"},
        {0, "{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"en\"}", "language"},
        {0, "{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"e\"}", "language"},
        {0, "{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\",\"relay_from\":\"es\"}",
         "relay_from"},
        {0, "{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\",\"relay_from\":\"en\"}",
         "relay_from"},
        {0, "{\"name\":\"O\",\"role\":\"observer\",\"relay_from\":\"ar\"}", "relay_from"},
        {0, "{\"name\":\"O\",\"role\":\"observer\",\"language\":\"de\"}", "language"},
        {1, "{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\",\"relay_from\":\"ar\"}",
         "relay_from"},
        {2, "{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\"}", "role"},
        {2, "{\"name\":\"O\",\"role\":\"observer\",\"language\":\"es\"}", "language"},
    };
    const char *paths[] = {s, c, p};
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_error(f, KEY_A, "POST", paths[cases[i].which], cases[i].body, 400, "invalid_field",
                     cases[i].field);

    /* What is allowed: an interpreter of a declared language, a relay one, a
     * listener on the floor language (the floor; one on a channel is in
     * create-get-tokens). The fixture allows 4 participants. */
    static const char *const ok[] = {
        "{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"ES\"}",
        "{\"name\":\"J\",\"role\":\"interpreter\",\"language\":\"ar\",\"relay_from\":\"es\"}",
        "{\"name\":\"Q\",\"role\":\"observer\",\"language\":\"en\"}",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
        guint status = 0;
        json_t *json = call(f, KEY_A, "POST", s, ok[i], &status);
        g_assert_cmpuint(status, ==, 201);
        json_decref(json);
    }
    json_decref(simul);
    json_decref(consec);
    json_decref(plain);
}

/* ---- what is stored and shown ---------------------------------------------- */

static void test_create_get_and_tokens(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *created = create_ok(
        f,
        ",\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"ES\",\"ar\",\"pt-BR\"]},"
        "\"floor_language\":\"EN\",\"floor_level_db\":-20",
        ",{\"name\":\"Ana\",\"role\":\"interpreter\",\"language\":\"es\"},"
        "{\"name\":\"Omar\",\"role\":\"interpreter\",\"language\":\"ar\",\"relay_from\":\"es\"},"
        "{\"name\":\"Pat\",\"role\":\"patient\",\"language\":\"ar\"}");
    const char *id = member(created, "id");
    g_autofree char *path = path_of(id, "");
    guint status = 0;
    json_t *got = call(f, KEY_A, "GET", path, NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    json_t *shown[] = {created, got};
    for (gsize k = 0; k < G_N_ELEMENTS(shown); k++) {
        json_t *interp = json_object_get(shown[k], "interpretation");
        g_assert_cmpstr(member(interp, "mode"), ==, "simultaneous");
        json_t *langs = json_object_get(interp, "languages");
        g_assert_cmpuint(json_array_size(langs), ==, 3);
        g_assert_cmpstr(json_string_value(json_array_get(langs, 0)), ==, "es"); /* lower-cased */
        g_assert_cmpstr(json_string_value(json_array_get(langs, 2)), ==, "pt-br");
        g_assert_cmpstr(member(shown[k], "floor_language"), ==, "en");
        g_assert_cmpint(json_integer_value(json_object_get(shown[k], "floor_level_db")), ==, -20);
        json_t *people = json_object_get(shown[k], "participants");
        g_assert_true(json_is_null(json_object_get(json_array_get(people, 0), "language")));
        g_assert_true(json_is_null(json_object_get(json_array_get(people, 0), "relay_from")));
        g_assert_cmpstr(member(json_array_get(people, 1), "language"), ==, "es");
        g_assert_cmpstr(member(json_array_get(people, 2), "language"), ==, "ar");
        g_assert_cmpstr(member(json_array_get(people, 2), "relay_from"), ==, "es");
        g_assert_cmpstr(member(json_array_get(people, 3), "language"), ==, "ar");
    }
    json_decref(got);

    /* The list shows them too; a consult without interpretation shows null. */
    json_t *plain = create_ok(f, NULL, NULL);
    json_t *list = call(f, KEY_A, "GET", "/api/v1/consults", NULL, &status);
    json_t *c;
    gsize i;
    guint seen = 0;
    json_array_foreach(json_object_get(list, "consults"), i, c)
    {
        gboolean interpreted = g_str_equal(member(c, "id"), id);
        g_assert_true(interpreted || json_is_null(json_object_get(c, "interpretation")));
        g_assert_true(interpreted || json_is_null(json_object_get(c, "floor_language")));
        g_assert_cmpint(json_integer_value(json_object_get(c, "floor_level_db")), ==,
                        interpreted ? -20 : CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT);
        seen += interpreted;
    }
    g_assert_cmpuint(seen, ==, 1);
    json_decref(list);
    json_decref(plain);

    /* Tokens carry language and relay_from from the record: in the create
     * answer and when minted again; a participant without them has neither. */
    json_t *people = json_object_get(created, "participants");
    static const char *const want[][2] = {{NULL, NULL}, {"es", NULL}, {"ar", "es"}, {"ar", NULL}};
    for (gsize k = 0; k < G_N_ELEMENTS(want); k++) {
        json_t *p = json_array_get(people, k);
        g_autofree char *mint =
            g_strdup_printf("/api/v1/consults/%s/participants/%s/token", id, member(p, "id"));
        json_t *minted = call(f, KEY_A, "POST", mint, NULL, &status);
        g_assert_cmpuint(status, ==, 200);
        g_assert_cmpstr(member(minted, "language"), ==, want[k][0]);
        const char *tokens[] = {member(p, "token"), member(minted, "token")};
        for (gsize t = 0; t < G_N_ELEMENTS(tokens); t++) {
            json_t *payload = token_payload(tokens[t]);
            g_assert_cmpstr(member(payload, "language"), ==, want[k][0]);
            g_assert_cmpstr(member(payload, "relay_from"), ==, want[k][1]);
            g_assert_true(want[k][0] || !json_object_get(payload, "language"));
            g_assert_true(want[k][1] || !json_object_get(payload, "relay_from"));
            json_decref(payload);
            /* and they verify, claims included */
            CgTokenClaims claims = {0};
            g_assert_true(cg_jwt_verify(tokens[t], 4096, (const guint8 *)secret_text,
                                        strlen(secret_text), NOW + 3600, 0, &claims, NULL));
            g_assert_cmpstr(claims.language, ==, want[k][0]);
            g_assert_cmpstr(claims.relay_from, ==, want[k][1]);
            cg_token_claims_clear(&claims);
        }
        json_decref(minted);
    }

    /* Added later: the answer and its token carry them as well (Pat leaves
     * first: the fixture's limit is 4 participants). */
    g_autofree char *kick = g_strdup_printf("/api/v1/consults/%s/participants/%s", id,
                                            member(json_array_get(people, 3), "id"));
    json_decref(call(f, KEY_A, "DELETE", kick, NULL, &status));
    g_assert_cmpuint(status, ==, 200);
    g_autofree char *add = path_of(id, "/participants");
    json_t *added = call(f, KEY_A, "POST", add,
                         "{\"name\":\"Rui\",\"role\":\"interpreter\",\"language\":\"pt-BR\","
                         "\"relay_from\":\"ES\"}",
                         &status);
    g_assert_cmpuint(status, ==, 201);
    g_assert_cmpstr(member(added, "language"), ==, "pt-br");
    g_assert_cmpstr(member(added, "relay_from"), ==, "es");
    json_t *payload = token_payload(member(added, "token"));
    g_assert_cmpstr(member(payload, "language"), ==, "pt-br");
    g_assert_cmpstr(member(payload, "relay_from"), ==, "es");
    json_decref(payload);
    json_decref(added);
    json_decref(created);
}

static void test_recurring_carries_interpretation(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *created = create_ok(f, "," CONSEC ",\"recurrence\":{\"every_weeks\":1,\"count\":2}",
                                ",{\"name\":\"Ana\",\"role\":\"interpreter\",\"language\":\"es\"}");
    json_t *list = json_object_get(created, "consults");
    g_assert_cmpuint(json_array_size(list), ==, 2);
    for (gsize i = 0; i < 2; i++) {
        json_t *c = json_array_get(list, i);
        CgConsultRecord rec = {0};
        g_assert_true(cg_store_get_consult(f->store, "a", member(c, "id"), &rec, NULL));
        g_assert_cmpstr(rec.interpretation_mode, ==, "consecutive");
        g_assert_cmpstr(rec.interpretation_languages[1], ==, "ar");
        g_assert_cmpint(rec.floor_level_db, ==, CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT);
        cg_consult_record_clear(&rec);
        json_t *ana = json_array_get(json_object_get(c, "participants"), 1);
        g_assert_cmpstr(member(ana, "language"), ==, "es");
    }
    json_decref(created);
}

/* ---- PATCH ------------------------------------------------------------------- */

static void patch_ok(Fixture *f, const char *path, const char *body)
{
    guint status = 0;
    json_t *json = call(f, KEY_A, "PATCH", path, body, &status);
    if (status != 200) {
        g_autofree char *text = json_dumps(json, JSON_COMPACT);
        g_error("PATCH %s: %u %s", body, status, text);
    }
    json_decref(json);
}

static void test_patch(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *plain = create_ok(f, NULL, NULL);
    const char *id = member(plain, "id");
    g_autofree char *path = path_of(id, "");

    /* Set on a consult that had none; floor language and level with it. */
    patch_ok(f, path, "{" SIMUL ",\"floor_language\":\"en\",\"floor_level_db\":-25}");
    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", id, &c, NULL));
    g_assert_cmpstr(c.interpretation_mode, ==, "simultaneous");
    g_assert_cmpstr(c.interpretation_languages[0], ==, "es");
    g_assert_cmpstr(c.floor_language, ==, "en");
    g_assert_cmpint(c.floor_level_db, ==, -25);
    g_assert_cmpstr(c.title, ==, "Board"); /* untouched */
    cg_consult_record_clear(&c);
    g_assert_cmpuint(f->changed->len, ==, 1); /* the live side is told */

    /* Interpreters: es, and ar relaying from es. */
    g_autofree char *add = path_of(id, "/participants");
    guint status = 0;
    json_t *es = call(f, KEY_A, "POST", add,
                      "{\"name\":\"I\",\"role\":\"interpreter\",\"language\":\"es\"}", &status);
    g_assert_cmpuint(status, ==, 201);
    json_t *ar = call(f, KEY_A, "POST", add,
                      "{\"name\":\"J\",\"role\":\"interpreter\",\"language\":\"ar\","
                      "\"relay_from\":\"es\"}",
                      &status);
    g_assert_cmpuint(status, ==, 201);

    static const struct {
        const char *body, *field;
    } refused[] = {
        /* would leave an interpreter invalid */
        {"{\"interpretation\":null}", "interpretation"},
        {"{\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"ar\",\"fr\"]}}",
         "interpretation.languages"},
        {"{\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"fr\"]}}",
         "interpretation.languages"},
        {"{" CONSEC "}", "interpretation.mode"},
        /* the consult's own rules */
        {"{\"floor_language\":\"es\"}", "floor_language"},
        {"{\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"ar\",\"en\"]}}",
         "interpretation.languages[2]"},
        {"{\"floor_level_db\":-50}", "floor_level_db"},
        {"{\"interpretation\":{\"mode\":\"relay\",\"languages\":[\"es\",\"ar\"]}}",
         "interpretation.mode"},
        {"{\"interpretation\":[]}", "interpretation"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++)
        expect_error(f, KEY_A, "PATCH", path, refused[i].body, 400, "invalid_field",
                     refused[i].field);
    g_assert_true(cg_store_get_consult(f->store, "a", id, &c, NULL)); /* all left it alone */
    g_assert_cmpstr(c.interpretation_mode, ==, "simultaneous");
    g_assert_cmpstr(c.interpretation_languages[1], ==, "ar");
    g_assert_null(c.interpretation_languages[2]);
    g_assert_cmpstr(c.floor_language, ==, "en");
    g_assert_cmpint(c.floor_level_db, ==, -25);
    cg_consult_record_clear(&c);

    /* Adding a language, dropping the floor language, the level back to its
     * default: fine. The answer shows the result. */
    json_t *json =
        call(f, KEY_A, "PATCH", path,
             "{\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"ar\",\"es\",\"fr\"]},"
             "\"floor_language\":null,\"floor_level_db\":null}",
             &status);
    g_assert_cmpuint(status, ==, 200);
    g_assert_cmpuint(
        json_array_size(json_object_get(json_object_get(json, "interpretation"), "languages")), ==,
        3);
    g_assert_true(json_is_null(json_object_get(json, "floor_language")));
    g_assert_cmpint(json_integer_value(json_object_get(json, "floor_level_db")), ==,
                    CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT);
    json_decref(json);

    /* Once the relay interpreter is removed, consecutive is allowed; once
     * every interpreter is, interpretation can be cleared. */
    g_autofree char *kick_ar = path_of(id, "/participants/");
    g_autofree char *kick_ar_path = g_strconcat(kick_ar, member(ar, "id"), NULL);
    json_decref(call(f, KEY_A, "DELETE", kick_ar_path, NULL, &status));
    g_assert_cmpuint(status, ==, 200);
    patch_ok(f, path, "{" CONSEC "}");
    expect_error(f, KEY_A, "PATCH", path, "{\"interpretation\":null}", 400, "invalid_field",
                 "interpretation");
    g_autofree char *kick_es_path = g_strconcat(kick_ar, member(es, "id"), NULL);
    json_decref(call(f, KEY_A, "DELETE", kick_es_path, NULL, &status));
    patch_ok(f, path, "{\"interpretation\":null}");
    g_assert_true(cg_store_get_consult(f->store, "a", id, &c, NULL));
    g_assert_null(c.interpretation_mode);
    g_assert_null(c.interpretation_languages);
    cg_consult_record_clear(&c);
    json_decref(es);
    json_decref(ar);
    json_decref(plain);
}

/* An interpreter stored before interpretation existed (no language): adding
 * interpretation is refused until it is replaced. */
static void test_patch_legacy_interpreter(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *plain = create_ok(f, NULL, NULL);
    const char *id = member(plain, "id");
    CgParticipantRecord old = {
        .id = "p_old", .consult_id = (char *)id, .tenant = "a", .name = "I", .role = "interpreter"};
    g_assert_true(cg_store_add_participant(f->store, &old, NULL));
    g_autofree char *path = path_of(id, "");
    expect_error(f, KEY_A, "PATCH", path, "{" CONSEC "}", 400, "invalid_field", "interpretation");
    /* Its token (no language) still mints: it joins as before. */
    g_autofree char *mint = path_of(id, "/participants/p_old/token");
    guint status = 0;
    json_t *minted = call(f, KEY_A, "POST", mint, NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    g_assert_true(json_is_null(json_object_get(minted, "language")));
    json_decref(minted);
    json_decref(plain);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
    ADD("/admin/interpretation/create-refusals", test_create_refusals);
    ADD("/admin/interpretation/add-participant-refusals", test_add_participant_refusals);
    ADD("/admin/interpretation/create-get-tokens", test_create_get_and_tokens);
    ADD("/admin/interpretation/recurring", test_recurring_carries_interpretation);
    ADD("/admin/interpretation/patch", test_patch);
    ADD("/admin/interpretation/patch-legacy-interpreter", test_patch_legacy_interpreter);
#undef ADD
    return g_test_run();
}
