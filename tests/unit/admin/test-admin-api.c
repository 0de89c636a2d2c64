/* Unit tests of the admin API's routes (no sockets: cg_admin_api_handle with a
 * real SQLite store, admin_fixture.h), the recurrence expansion and the
 * failed-authentication limiter. Time is passed in: NOW. */
#include <glib/gstdio.h>
#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

#include "admin_api.h"
#include "audit.h"
#include "jwt.h"
#include "rate_limit.h"
#include "recurrence.h"
#include "store.h"
#include "tenants.h"

#include "admin_fixture.h"

/* ---- pure modules ----------------------------------------------------------- */

static void test_recurrence(void)
{
    gint64 starts[CG_RECURRENCE_COUNT_MAX];
    g_assert_true(cg_recurrence_expand(1000, 2, 3, starts));
    g_assert_cmpint(starts[0], ==, 1000);
    g_assert_cmpint(starts[1], ==, 1000 + 14 * 86400);
    g_assert_cmpint(starts[2], ==, 1000 + 28 * 86400);
    g_assert_true(cg_recurrence_expand(5, 8, 26, starts));
    g_assert_cmpint(starts[25], ==, 5 + (gint64)25 * 8 * 7 * 86400);
    g_assert_true(cg_recurrence_expand(5, 1, 1, starts));
    g_assert_false(cg_recurrence_expand(5, 0, 3, starts));
    g_assert_false(cg_recurrence_expand(5, 9, 3, starts));
    g_assert_false(cg_recurrence_expand(5, 1, 0, starts));
    g_assert_false(cg_recurrence_expand(5, 1, 27, starts));
}

static void test_rate_limit(void)
{
    g_autoptr(CgRateLimit) rl = cg_rate_limit_new(3, 60);
    gint64 retry = 0;
    for (int i = 0; i < 3; i++) {
        g_assert_true(cg_rate_limit_allowed(rl, "10.0.0.1", 100 + i, &retry));
        cg_rate_limit_fail(rl, "10.0.0.1", 100 + i);
    }
    g_assert_false(cg_rate_limit_allowed(rl, "10.0.0.1", 110, &retry));
    g_assert_cmpint(retry, ==, 50); /* the window started at 100 */
    g_assert_true(cg_rate_limit_allowed(rl, "10.0.0.2", 110, &retry)); /* per address */
    g_assert_false(cg_rate_limit_allowed(rl, "10.0.0.1", 159, &retry));
    g_assert_cmpint(retry, ==, 1);
    g_assert_true(cg_rate_limit_allowed(rl, "10.0.0.1", 160, &retry)); /* window over */
    cg_rate_limit_fail(rl, "10.0.0.1", 160);                           /* a new window */
    g_assert_true(cg_rate_limit_allowed(rl, "10.0.0.1", 161, &retry));

    /* The table stays bounded under a spray of addresses. */
    for (guint i = 0; i < CG_RATE_LIMIT_MAX_ADDRESSES + 100; i++) {
        g_autofree char *addr = g_strdup_printf("10.1.%u.%u", i / 256, i % 256);
        cg_rate_limit_fail(rl, addr, 200);
    }
    g_assert_cmpuint(cg_rate_limit_size(rl), <=, CG_RATE_LIMIT_MAX_ADDRESSES);
}

/* ---- routes ------------------------------------------------------------------ */

static void test_recurring_create(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *body = body_at("case_conference", NOW + 3600,
                                    ",\"providers_wait\":true,"
                                    "\"recurrence\":{\"every_weeks\":2,\"count\":3}");
    guint status = 0;
    json_t *json = call(f, KEY_A, "POST", "/api/v1/consults", body, &status);
    g_assert_cmpuint(status, ==, 201);
    const char *series = json_string_value(json_object_get(json, "series_id"));
    g_assert_nonnull(series);
    json_t *list = json_object_get(json, "consults");
    g_assert_cmpuint(json_array_size(list), ==, 3);
    GHashTable *ids = g_hash_table_new(g_str_hash, g_str_equal);
    for (gsize i = 0; i < 3; i++) {
        json_t *c = json_array_get(list, i);
        const char *id = json_string_value(json_object_get(c, "id"));
        g_hash_table_add(ids, (gpointer)id);
        g_autofree char *want = iso(NOW + 3600 + (gint64)i * 14 * 86400);
        g_assert_cmpstr(json_string_value(json_object_get(c, "starts_at")), ==, want);
        g_assert_cmpstr(json_string_value(json_object_get(c, "series_id")), ==, series);
        g_assert_true(json_is_true(json_object_get(c, "providers_wait")));
        g_assert_cmpuint(json_array_size(json_object_get(c, "participants")), ==, 2);
        CgConsultRecord rec = {0};
        g_assert_true(cg_store_get_consult(f->store, "a", id, &rec, NULL));
        g_assert_cmpstr(rec.series_id, ==, series);
        g_assert_true(rec.providers_wait);
        cg_consult_record_clear(&rec);
    }
    g_assert_cmpuint(g_hash_table_size(ids), ==, 3); /* each its own consult */
    g_hash_table_unref(ids);
    json_decref(json);

    g_autofree char *plain = body_at("virtual_consult", NOW, NULL);
    json = call(f, KEY_A, "POST", "/api/v1/consults", plain, &status);
    g_assert_cmpuint(status, ==, 201);
    g_assert_true(json_is_null(json_object_get(json, "series_id")));
    g_assert_true(json_is_false(json_object_get(json, "providers_wait")));
    json_decref(json);
}

static void test_create_validation(Fixture *f, gconstpointer data)
{
    (void)data;
    static const struct {
        const char *extra, *code, *field;
    } cases[] = {
        {",\"providers_wait\":\"yes\"", "invalid_field", "providers_wait"},
        {",\"recurrence\":5", "invalid_field", "recurrence"},
        {",\"recurrence\":{\"count\":3}", "missing_field", "recurrence.every_weeks"},
        {",\"recurrence\":{\"every_weeks\":9,\"count\":3}", "invalid_field",
         "recurrence.every_weeks"},
        {",\"recurrence\":{\"every_weeks\":1,\"count\":27}", "invalid_field", "recurrence.count"},
        {",\"recurrence\":{\"every_weeks\":1,\"count\":2,\"until\":1}", "invalid_field",
         "recurrence.until"},
        {",\"colour\":\"red\"", "invalid_field", "colour"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *body = body_at("virtual_consult", NOW, cases[i].extra);
        expect_error(f, KEY_A, "POST", "/api/v1/consults", body, 400, cases[i].code,
                     cases[i].field);
    }
    g_autofree char *big = g_strnfill(CG_ADMIN_MAX_BODY_BYTES + 1, ' ');
    expect_error(f, KEY_A, "POST", "/api/v1/consults", big, 413, "body_too_large", NULL);
    expect_error(f, KEY_A, "PUT", "/api/v1/consults", "{}", 405, "method_not_allowed", NULL);
    expect_error(f, KEY_A, "GET", "/api/v1/nothing", NULL, 404, "not_found", NULL);
    expect_error(f, KEY_A, "GET", "/api/v2/consults", NULL, 404, "not_found", NULL);
}

static gboolean list_has(json_t *list, const char *id)
{
    json_t *c;
    gsize i;
    json_array_foreach(
        list, i, c) if (g_str_equal(json_string_value(json_object_get(c, "id")), id)) return TRUE;
    return FALSE;
}

/* The list filter uses the phase: times + stored state, as the join path does. */
static void test_list_by_phase(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *scheduled = create_at(f, KEY_A, NOW + 3600); /* opens in 45 min */
    g_autofree char *open = create_at(f, KEY_A, NOW + 10 * 60);   /* opened 5 min ago */
    g_autofree char *live = create_at(f, KEY_A, NOW - 10 * 60);
    g_autofree char *ended = create_at(f, KEY_A, NOW - 2 * 3600); /* by time */
    g_autofree char *cancelled = create_at(f, KEY_A, NOW + 7200);
    g_autofree char *other = create_at(f, KEY_B, NOW + 10 * 60);
    g_assert_true(cg_store_set_consult_live(f->store, "a", live, NOW - 60, NULL));
    g_autofree char *cancel_path = path_of(cancelled, "/cancel");
    guint status = 0;
    json_decref(call(f, KEY_A, "POST", cancel_path, NULL, &status));
    g_assert_cmpuint(status, ==, 200);

    static const char *const states[] = {"scheduled", "open", "live", "ended", "cancelled"};
    const char *expect[] = {scheduled, open, live, ended, cancelled};
    for (gsize i = 0; i < G_N_ELEMENTS(states); i++) {
        g_autofree char *path = g_strdup_printf("/api/v1/consults?state=%s", states[i]);
        json_t *json = call(f, KEY_A, "GET", path, NULL, &status);
        g_assert_cmpuint(status, ==, 200);
        json_t *list = json_object_get(json, "consults");
        g_assert_cmpuint(json_array_size(list), ==, 1);
        g_assert_true(list_has(list, expect[i]));
        g_assert_cmpstr(json_string_value(json_object_get(json_array_get(list, 0), "state")), ==,
                        states[i]);
        json_decref(json);
    }
    json_t *json = call(f, KEY_A, "GET", "/api/v1/consults", NULL, &status);
    json_t *list = json_object_get(json, "consults");
    g_assert_cmpuint(json_array_size(list), ==, 5);
    g_assert_false(list_has(list, other)); /* tenant B's is never listed to A */
    json_decref(json);

    /* from/to bound starts_at: [from, to). */
    g_autofree char *from = iso(NOW);
    g_autofree char *to = iso(NOW + 3600);
    g_autofree char *range = g_strdup_printf("/api/v1/consults?from=%s&to=%s", from, to);
    json = call(f, KEY_A, "GET", range, NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    list = json_object_get(json, "consults");
    g_assert_cmpuint(json_array_size(list), ==, 1);
    g_assert_true(list_has(list, open));
    json_decref(json);
    /* An escaped offset works too (14:13:20+01:00 = 13:13:20Z, one hour before NOW). */
    json = call(f, KEY_A, "GET",
                "/api/v1/consults?from=2026-09-21T14%3A13%3A20%2B01%3A00"
                "&to=2026-09-21T14:13:21Z",
                NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    list = json_object_get(json, "consults");
    g_assert_true(list_has(list, live));
    g_assert_false(list_has(list, ended));
    json_decref(json);

    expect_error(f, KEY_A, "GET", "/api/v1/consults?state=running", NULL, 400, "invalid_field",
                 "state");
    expect_error(f, KEY_A, "GET", "/api/v1/consults?from=yesterday", NULL, 400, "invalid_field",
                 "from");
    expect_error(f, KEY_A, "GET", "/api/v1/consults?to=2026-01-01", NULL, 400, "invalid_field",
                 "to");
    expect_error(f, KEY_A, "GET",
                 "/api/v1/consults?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", NULL, 400,
                 "invalid_field", "to");
    expect_error(f, KEY_A, "GET", "/api/v1/consults?limit=5", NULL, 400, "invalid_field", "limit");
}

static void test_get(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *id = create_at(f, KEY_A, NOW + 600);
    g_autofree char *path = path_of(id, "");
    guint status = 0;
    json_t *json = call(f, KEY_A, "GET", path, NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    g_assert_cmpstr(json_string_value(json_object_get(json, "id")), ==, id);
    g_assert_cmpstr(json_string_value(json_object_get(json, "state")), ==, "open");
    json_t *parts = json_object_get(json, "participants");
    g_assert_cmpuint(json_array_size(parts), ==, 2);
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(parts, 0), "role")), ==,
                    "specialist");
    g_assert_null(json_object_get(json_array_get(parts, 0), "token")); /* never re-shown */
    json_t *live = json_object_get(json, "live");
    g_autofree char *live_name = g_strdup_printf("a/%s", id);
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(live, 0), "name")), ==,
                    live_name);
    json_decref(json);
    expect_error(f, KEY_B, "GET", path, NULL, 404, "not_found", NULL);
    expect_error(f, KEY_A, "GET", "/api/v1/consults/c_nope", NULL, 404, "not_found", NULL);

    /* No live side (NULL callbacks): nobody connected. */
    cg_admin_api_free(f->api);
    f->api = cg_admin_api_new(f->config, f->store, NULL, NULL);
    json = call(f, KEY_A, "GET", path, NULL, &status);
    g_assert_cmpuint(json_array_size(json_object_get(json, "live")), ==, 0);
    json_decref(json);
}

/* Issue 9 finding 12: a starts_at far from now (its end would overflow, or
 * print as 1970) and integers beyond 64 bits are invalid_field naming the
 * field, on create and on PATCH, never a consult or malformed_json. */
static void test_field_ranges(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *far = g_strdup("{\"kind\":\"virtual_consult\",\"specialty\":\"genetics\","
                                    "\"title\":\"Board\",\"starts_at\":\"9999-12-31T23:59:59Z\","
                                    "\"duration_min\":30,\"participants\":["
                                    "{\"name\":\"Dr S\",\"role\":\"specialist\"}]}");
    expect_error(f, KEY_A, "POST", "/api/v1/consults", far, 400, "invalid_field", "starts_at");
    g_autofree char *past = body_at("virtual_consult", NOW - 11 * 366 * 86400, NULL);
    expect_error(f, KEY_A, "POST", "/api/v1/consults", past, 400, "invalid_field", "starts_at");
    /* 2^63 and -2^63-1 do not fit jansson's integers */
    g_autofree char *big = body_at("virtual_consult", NOW + 3600, NULL);
    g_autofree char *huge = g_strdup(big);
    char *d = strstr(huge, "\"duration_min\":30");
    g_assert_nonnull(d);
    g_autofree char *with_huge =
        g_strdup_printf("%.*s\"duration_min\":9223372036854775808%s", (int)(d - huge), huge,
                        d + strlen("\"duration_min\":30"));
    expect_error(f, KEY_A, "POST", "/api/v1/consults", with_huge, 400, "invalid_field",
                 "duration_min");

    g_autofree char *id = create_at(f, KEY_A, NOW + 3600);
    g_autofree char *path = path_of(id, "");
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{\"starts_at\":\"9999-12-31T23:59:59Z\"}", "starts_at"},
        {"{\"starts_at\":\"0001-01-01T00:00:00Z\"}", "starts_at"},
        {"{\"duration_min\":9223372036854775808}", "duration_min"},
        {"{\"duration_min\":-9223372036854775809}", "duration_min"},
        {"{\"video_bitrate_kbps\":18446744073709551616}", "video_bitrate_kbps"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_error(f, KEY_A, "PATCH", path, cases[i].body, 400, "invalid_field", cases[i].field);
    /* a body that is not JSON stays malformed_json */
    expect_error(f, KEY_A, "PATCH", path, "{\"duration_min\":1e}", 400, "malformed_json", NULL);
    /* 10 years ahead still is a consult */
    guint status = 0;
    g_autofree char *at = iso(NOW + 9 * 366 * 86400);
    g_autofree char *ok = g_strdup_printf("{\"starts_at\":\"%s\"}", at);
    json_decref(call(f, KEY_A, "PATCH", path, ok, &status));
    g_assert_cmpuint(status, ==, 200);
}

static void test_patch(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *id = create_at(f, KEY_A, NOW + 3600);
    g_autofree char *path = path_of(id, "");
    static const struct {
        const char *body, *code, *field;
    } cases[] = {
        {"{}", "missing_field", "starts_at"},
        {"{\"starts_at\":\"tomorrow\"}", "invalid_field", "starts_at"},
        {"{\"duration_min\":4}", "invalid_field", "duration_min"},
        {"{\"duration_min\":\"30\"}", "invalid_field", "duration_min"},
        {"{\"title\":\"\"}", "invalid_field", "title"},
        {"{\"specialty\":7}", "invalid_field", "specialty"},
        {"{\"kind\":\"case_conference\"}", "invalid_field", "kind"},
        {"[1]", "malformed_json", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        expect_error(f, KEY_A, "PATCH", path, cases[i].body, 400, cases[i].code, cases[i].field);
    expect_error(f, KEY_B, "PATCH", path, "{\"title\":\"x\"}", 404, "not_found", NULL);

    guint status = 0;
    json_t *json = call(f, KEY_A, "PATCH", path,
                        "{\"starts_at\":\"2026-10-01T09:00:00Z\",\"duration_min\":45,"
                        "\"title\":\"Moved\"}",
                        &status);
    g_assert_cmpuint(status, ==, 200);
    g_assert_cmpstr(json_string_value(json_object_get(json, "starts_at")), ==,
                    "2026-10-01T09:00:00Z");
    json_decref(json);
    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", id, &c, NULL));
    g_assert_cmpuint(c.duration_min, ==, 45);
    g_assert_cmpstr(c.title, ==, "Moved");
    g_assert_cmpstr(c.specialty, ==, "genetics"); /* untouched */
    cg_consult_record_clear(&c);
    /* The live side is told, so a connected consult's end timer moves. */
    g_assert_cmpuint(f->changed->len, ==, 1);
    g_autofree char *changed = g_strdup_printf("%s:45", id);
    g_assert_cmpstr(g_ptr_array_index(f->changed, 0), ==, changed);

    g_autofree char *cancel = path_of(id, "/cancel");
    json_decref(call(f, KEY_A, "POST", cancel, NULL, &status));
    expect_error(f, KEY_A, "PATCH", path, "{\"title\":\"x\"}", 409, "consult_ended", NULL);
}

/* The consult's video_bitrate_kbps as the API shows it: -1 for null. */
static gint64 shown_cap(json_t *consult)
{
    json_t *cap = json_object_get(consult, "video_bitrate_kbps");
    g_assert_true(json_is_null(cap) || json_is_integer(cap)); /* always present */
    return json_is_null(cap) ? -1 : json_integer_value(cap);
}

static gint64 stored_cap(Fixture *f, const char *id)
{
    CgConsultRecord c = {0};
    g_assert_true(cg_store_get_consult(f->store, "a", id, &c, NULL));
    gint64 cap = c.video_bitrate_set ? (gint64)c.video_bitrate_kbps : -1;
    cg_consult_record_clear(&c);
    return cap;
}

/* Creates a consult with @extra in the body; returns the answer. */
static json_t *create_with(Fixture *f, const char *kind, const char *extra)
{
    g_autofree char *body = body_at(kind, NOW + 600, extra);
    guint status = 0;
    json_t *json = call(f, KEY_A, "POST", "/api/v1/consults", body, &status);
    g_assert_cmpuint(status, ==, 201);
    return json;
}

static void test_video_bitrate_create(Fixture *f, gconstpointer data)
{
    (void)data;
    static const struct {
        const char *extra;
        gint64 want; /* -1: null, the config default */
    } ok[] = {
        {"", -1},
        {",\"video_bitrate_kbps\":null", -1},
        {",\"video_bitrate_kbps\":0", 0},
        {",\"video_bitrate_kbps\":64", 64},
        {",\"video_bitrate_kbps\":150", 150},
        {",\"video_bitrate_kbps\":10000", 10000},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
        json_t *json = create_with(f, "virtual_consult", ok[i].extra);
        g_assert_cmpint(shown_cap(json), ==, ok[i].want);
        g_assert_cmpint(stored_cap(f, json_string_value(json_object_get(json, "id"))), ==,
                        ok[i].want);
        json_decref(json);
    }
    /* Every occurrence of a series carries it. */
    json_t *series = create_with(f, "case_conference",
                                 ",\"video_bitrate_kbps\":300,"
                                 "\"recurrence\":{\"every_weeks\":1,\"count\":2}");
    json_t *list = json_object_get(series, "consults");
    g_assert_cmpuint(json_array_size(list), ==, 2);
    for (gsize i = 0; i < 2; i++) {
        json_t *c = json_array_get(list, i);
        g_assert_cmpint(shown_cap(c), ==, 300);
        g_assert_cmpint(stored_cap(f, json_string_value(json_object_get(c, "id"))), ==, 300);
    }
    json_decref(series);

    static const char *const bad[] = {
        "1", "63", "10001", "-1", "-150", "4294967446", "150.5", "\"150\"", "true", "{}", "[150]",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *extra = g_strdup_printf(",\"video_bitrate_kbps\":%s", bad[i]);
        g_autofree char *body = body_at("virtual_consult", NOW + 600, extra);
        expect_error(f, KEY_A, "POST", "/api/v1/consults", body, 400, "invalid_field",
                     "video_bitrate_kbps");
    }
    /* The message says what is allowed. */
    g_autofree char *body = body_at("virtual_consult", NOW + 600, ",\"video_bitrate_kbps\":20");
    guint status = 0;
    json_t *json = call(f, KEY_A, "POST", "/api/v1/consults", body, &status);
    g_assert_cmpstr(
        json_string_value(json_object_get(json_object_get(json, "error"), "message")), ==,
        "video_bitrate_kbps must be 0 (no cap), an integer from 64 to 10000 (kbps), or null (the "
        "server's default)");
    json_decref(json);
}

static void test_video_bitrate_patch(Fixture *f, gconstpointer data)
{
    (void)data;
    json_t *created = create_with(f, "virtual_consult", ",\"video_bitrate_kbps\":150");
    g_autofree char *id = g_strdup(json_string_value(json_object_get(created, "id")));
    json_decref(created);
    g_autofree char *path = path_of(id, "");

    static const char *const bad[] = {"63", "10001", "-1", "\"none\"", "false", "1e3"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *body = g_strdup_printf("{\"video_bitrate_kbps\":%s}", bad[i]);
        expect_error(f, KEY_A, "PATCH", path, body, 400, "invalid_field", "video_bitrate_kbps");
    }
    /* A refused change touches nothing, even the fields before it. */
    expect_error(f, KEY_A, "PATCH", path, "{\"title\":\"New\",\"video_bitrate_kbps\":5}", 400,
                 "invalid_field", "video_bitrate_kbps");
    g_assert_cmpint(stored_cap(f, id), ==, 150);
    g_assert_cmpuint(f->caps->len, ==, 0);
    expect_error(f, KEY_B, "PATCH", path, "{\"video_bitrate_kbps\":300}", 404, "not_found", NULL);

    static const struct {
        const char *body;
        gint64 want;
        const char *told;
    } steps[] = {
        {"{\"video_bitrate_kbps\":300}", 300, "300"},
        {"{\"title\":\"Other\"}", 300, "300"}, /* absent: unchanged */
        {"{\"video_bitrate_kbps\":0}", 0, "0"},
        {"{\"video_bitrate_kbps\":null}", -1, "default"},
    };
    guint status = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        json_t *json = call(f, KEY_A, "PATCH", path, steps[i].body, &status);
        g_assert_cmpuint(status, ==, 200);
        g_assert_cmpint(shown_cap(json), ==, steps[i].want);
        json_decref(json);
        json = call(f, KEY_A, "GET", path, NULL, &status);
        g_assert_cmpint(shown_cap(json), ==, steps[i].want);
        json_decref(json);
        g_assert_cmpint(stored_cap(f, id), ==, steps[i].want);
        /* The live side is told, so connected endpoints get the new cap at once. */
        g_assert_cmpuint(f->caps->len, ==, i + 1);
        g_autofree char *told = g_strdup_printf("%s:%s", id, steps[i].told);
        g_assert_cmpstr(g_ptr_array_index(f->caps, i), ==, told);
    }
}

static void test_cancel(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *id = create_at(f, KEY_A, NOW + 600);
    g_autofree char *path = path_of(id, "/cancel");
    expect_error(f, KEY_B, "POST", path, NULL, 404, "not_found", NULL);
    g_assert_cmpuint(f->ended->len, ==, 0);
    guint status = 0;
    json_t *json = call(f, KEY_A, "POST", path, NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    g_assert_cmpstr(json_string_value(json_object_get(json, "state")), ==, "cancelled");
    g_assert_cmpstr(json_string_value(json_object_get(json, "end_reason")), ==, "cancelled");
    json_decref(json);
    g_assert_cmpuint(f->ended->len, ==, 1);
    g_autofree char *want = g_strdup_printf("%s:cancelled", id);
    g_assert_cmpstr(f->ended->pdata[0], ==, want);
    expect_error(f, KEY_A, "POST", path, NULL, 409, "consult_ended", NULL);
}

static void test_add_participant(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *id = create_at(f, KEY_A, NOW + 600); /* 2 of max 4 */
    g_autofree char *path = path_of(id, "/participants");
    expect_error(f, KEY_A, "POST", path, "{\"role\":\"patient\"}", 400, "missing_field", "name");
    expect_error(f, KEY_A, "POST", path, "{\"name\":\"X\",\"role\":\"king\"}", 400, "invalid_field",
                 "role");
    expect_error(f, KEY_A, "POST", path, "{\"name\":\"X\",\"role\":\"patient\",\"age\":3}", 400,
                 "invalid_field", "age");
    g_autofree char *long_name = g_strnfill(101, 'n');
    g_autofree char *long_body =
        g_strdup_printf("{\"name\":\"%s\",\"role\":\"patient\"}", long_name);
    expect_error(f, KEY_A, "POST", path, long_body, 400, "invalid_field", "name");
    expect_error(f, KEY_B, "POST", path, "{\"name\":\"X\",\"role\":\"patient\"}", 404, "not_found",
                 NULL);

    guint status = 0;
    json_t *json = call(f, KEY_A, "POST", path, "{\"name\":\"Pat\",\"role\":\"patient\"}", &status);
    g_assert_cmpuint(status, ==, 201);
    const char *token = json_string_value(json_object_get(json, "token"));
    CgTokenClaims claims = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_jwt_verify(token, 4096, (const guint8 *)secret_text, strlen(secret_text), NOW,
                                30, &claims, &error));
    g_assert_cmpstr(claims.role, ==, "patient");
    g_assert_cmpstr(claims.consult, ==, id);
    g_assert_cmpstr(claims.sub, ==, json_string_value(json_object_get(json, "id")));
    g_assert_true(g_str_has_suffix(json_string_value(json_object_get(json, "join_url")), token));
    cg_token_claims_clear(&claims);
    json_decref(json);
    json_decref(call(f, KEY_A, "POST", path, "{\"name\":\"Obs\",\"role\":\"observer\"}", &status));
    g_assert_cmpuint(status, ==, 201);
    expect_error(f, KEY_A, "POST", path, "{\"name\":\"Five\",\"role\":\"observer\"}", 409,
                 "too_many_participants", "participants");

    /* A case conference never takes a patient, at creation or later. */
    g_autofree char *conf_body = body_at("case_conference", NOW + 600, NULL);
    json = call(f, KEY_A, "POST", "/api/v1/consults", conf_body, &status);
    g_autofree char *conf_path =
        path_of(json_string_value(json_object_get(json, "id")), "/participants");
    json_decref(json);
    expect_error(f, KEY_A, "POST", conf_path, "{\"name\":\"Pat\",\"role\":\"patient\"}", 400,
                 "invalid_field", "role");
}

static void test_mint_and_kick(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *body = body_at("virtual_consult", NOW + 600, NULL);
    guint status = 0;
    json_t *created = call(f, KEY_A, "POST", "/api/v1/consults", body, &status);
    const char *id = json_string_value(json_object_get(created, "id"));
    json_t *first = json_array_get(json_object_get(created, "participants"), 1);
    const char *pid = json_string_value(json_object_get(first, "id"));
    g_autofree char *mint = g_strdup_printf("/api/v1/consults/%s/participants/%s/token", id, pid);
    g_autofree char *kick = g_strdup_printf("/api/v1/consults/%s/participants/%s", id, pid);

    json_t *json = call(f, KEY_A, "POST", mint, NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    g_assert_cmpstr(json_string_value(json_object_get(json, "id")), ==, pid);
    g_assert_nonnull(json_string_value(json_object_get(json, "token")));
    json_decref(json);
    expect_error(f, KEY_B, "POST", mint, NULL, 404, "not_found", NULL);
    g_autofree char *bad = g_strdup_printf("/api/v1/consults/%s/participants/p_nope/token", id);
    expect_error(f, KEY_A, "POST", bad, NULL, 404, "not_found", NULL);

    expect_error(f, KEY_B, "DELETE", kick, NULL, 404, "not_found", NULL);
    g_assert_cmpuint(f->kicked->len, ==, 0);
    json = call(f, KEY_A, "DELETE", kick, NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    g_assert_true(json_is_true(json_object_get(json, "removed")));
    json_decref(json);
    g_autofree char *want = g_strdup_printf("%s/%s", id, pid);
    g_assert_cmpuint(f->kicked->len, ==, 1);
    g_assert_cmpstr(f->kicked->pdata[0], ==, want);
    CgParticipantRecord p = {0};
    g_assert_true(cg_store_get_participant(f->store, "a", id, pid, &p, NULL));
    g_assert_true(p.removed);
    cg_participant_record_clear(&p);
    expect_error(f, KEY_A, "POST", mint, NULL, 409, "participant_removed", NULL);

    /* Never a token for a cancelled consult. */
    const char *spec = json_string_value(
        json_object_get(json_array_get(json_object_get(created, "participants"), 0), "id"));
    g_autofree char *mint_spec =
        g_strdup_printf("/api/v1/consults/%s/participants/%s/token", id, spec);
    g_autofree char *cancel = path_of(id, "/cancel");
    json_decref(call(f, KEY_A, "POST", cancel, NULL, &status));
    expect_error(f, KEY_A, "POST", mint_spec, NULL, 409, "consult_ended", NULL);
    g_autofree char *add = path_of(id, "/participants");
    expect_error(f, KEY_A, "POST", add, "{\"name\":\"Late\",\"role\":\"observer\"}", 409,
                 "consult_ended", NULL);
    json_decref(created);

    /* ...nor for one over by time. */
    g_autofree char *old_body = body_at("virtual_consult", NOW - 3 * 3600, NULL);
    created = call(f, KEY_A, "POST", "/api/v1/consults", old_body, &status);
    g_autofree char *old_mint =
        g_strdup_printf("/api/v1/consults/%s/participants/%s/token",
                        json_string_value(json_object_get(created, "id")),
                        json_string_value(json_object_get(
                            json_array_get(json_object_get(created, "participants"), 0), "id")));
    expect_error(f, KEY_A, "POST", old_mint, NULL, 409, "consult_ended", NULL);
    json_decref(created);
}

static void test_audit_of_calls(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *id = create_at(f, KEY_A, NOW + 600);
    g_autofree char *get = path_of(id, "");
    g_autofree char *cancel = path_of(id, "/cancel");
    g_autofree char *audit = path_of(id, "/audit");
    guint status = 0;
    json_decref(call(f, KEY_A, "GET", get, NULL, &status));
    json_decref(call(f, KEY_B, "GET", get, NULL, &status)); /* B's 404 is B's record */
    json_decref(call(f, KEY_A, "POST", cancel, NULL, &status));
    json_decref(call(f, KEY_A, "POST", cancel, NULL, &status));
    expect_error(f, KEY_B, "GET", audit, NULL, 404, "not_found", NULL);

    json_t *json = call(f, KEY_A, "GET", audit, NULL, &status);
    g_assert_cmpuint(status, ==, 200);
    json_t *records = json_object_get(json, "records");
    static const char *const want[][2] = {{"consult.create", "ok"},
                                          {"consult.get", "ok"},
                                          {"consult.cancel", "ok"},
                                          {"consult.cancel", "consult_ended"}};
    g_assert_cmpuint(json_array_size(records), ==, G_N_ELEMENTS(want));
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        json_t *r = json_array_get(records, i);
        g_assert_cmpstr(json_string_value(json_object_get(r, "action")), ==, want[i][0]);
        g_assert_cmpstr(json_string_value(json_object_get(r, "outcome")), ==, want[i][1]);
        g_assert_cmpstr(json_string_value(json_object_get(r, "remote")), ==, "127.0.0.1");
    }
    json_decref(json);

    /* A failed authentication is audited with no tenant; the chain holds. */
    json_decref(call(f, "wrong", "GET", get, NULL, &status));
    g_assert_cmpuint(status, ==, 401);
    gint64 broken = 0;
    guint64 n = 0;
    g_assert_true(cg_audit_verify(f->store, &broken, &n, NULL));
    g_assert_cmpuint(n, ==, 8); /* 4 + B's get + B's audit + A's audit read + the 401 */
    g_autofree char *db = g_build_filename(f->dir, "consultd.db", NULL);
    sqlite3 *sdb = NULL;
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint(sqlite3_open(db, &sdb), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_prepare_v2(sdb,
                                       "SELECT tenant IS NULL, action, outcome FROM audit "
                                       "ORDER BY id DESC LIMIT 1",
                                       -1, &stmt, NULL),
                    ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int(stmt, 0), ==, 1);
    g_assert_cmpstr((const char *)sqlite3_column_text(stmt, 1), ==, "auth");
    g_assert_cmpstr((const char *)sqlite3_column_text(stmt, 2), ==, "unauthorized");
    sqlite3_finalize(stmt);
    sqlite3_close(sdb);
}

static void test_auth_failures_limited(Fixture *f, gconstpointer data)
{
    (void)data;
    guint status = 0;
    for (int i = 0; i < 3; i++) { /* config: 3 per 60 s */
        json_decref(call_from(f, "10.9.9.9", "wrong", "GET", "/api/v1/consults", NULL, &status));
        g_assert_cmpuint(status, ==, 401);
        g_assert_cmpint(f->retry_after, ==, 0);
    }
    json_t *json = call_from(f, "10.9.9.9", "wrong", "GET", "/api/v1/consults", NULL, &status);
    g_assert_cmpuint(status, ==, 429);
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(json, "error"), "code")), ==,
                    "too_many_failures");
    g_assert_cmpint(f->retry_after, ==, 60);
    json_decref(json);
    /* The right key is never refused because of others' failures at the
     * same address (a hospital's NAT: issue 9 finding 8)... */
    json_decref(call_from(f, "10.9.9.9", KEY_A, "GET", "/api/v1/consults", NULL, &status));
    g_assert_cmpuint(status, ==, 200);
    json_decref(call_from(f, "10.9.9.9", "wrong", "GET", "/api/v1/consults", NULL, &status));
    g_assert_cmpuint(status, ==, 429);
    /* ...while other addresses are not affected. */
    json_decref(call_from(f, "10.9.9.8", KEY_A, "GET", "/api/v1/consults", NULL, &status));
    g_assert_cmpuint(status, ==, 200);
    json_decref(call_from(f, "10.9.9.8", NULL, "GET", "/api/v1/consults", NULL, &status));
    g_assert_cmpuint(status, ==, 401);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/recurrence/expand", test_recurrence);
    g_test_add_func("/rate-limit/window", test_rate_limit);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
    ADD("/admin/create/recurring", test_recurring_create);
    ADD("/admin/create/validation", test_create_validation);
    ADD("/admin/list/by-phase", test_list_by_phase);
    ADD("/admin/get", test_get);
    ADD("/admin/patch", test_patch);
    ADD("/admin/field-ranges", test_field_ranges);
    ADD("/admin/video-bitrate/create", test_video_bitrate_create);
    ADD("/admin/video-bitrate/patch", test_video_bitrate_patch);
    ADD("/admin/cancel", test_cancel);
    ADD("/admin/participants/add", test_add_participant);
    ADD("/admin/participants/mint-and-kick", test_mint_and_kick);
    ADD("/admin/audit/of-calls", test_audit_of_calls);
    ADD("/admin/auth/failures-limited", test_auth_failures_limited);
#undef ADD
    return g_test_run();
}
