/* integration-consult-flow-interpretation: the interpretation protocol
 * (issue 11, docs/protocol.md "Interpretation") against the real consultd,
 * over WSS, message by message (the audio itself is
 * tests/integration/interpretation/'s): joined's interpretation and
 * languages, the personalised "interpretation" state after joined and after
 * each change, every refusal with its code while the socket stays open and
 * the daemon serves the others, hand-over, the live interpreter leaving, a
 * resumed seat keeping its channel, the floor level surviving a restart, an
 * interpreter token whose language is not the consult's, consecutive mode
 * and a consult without interpretation. */
#include "consult_fixture.h"

#include <string.h>

#define WS(d) cg_test_daemon_port(d), "/ws", cg_test_daemon_certificate(d)

static const char *str(json_t *m, const char *key)
{
    return json_string_value(json_object_get(m, key));
}

/* ---- a consult with interpretation, made through the admin API ---- */

typedef struct {
    const char *role;
    const char *language;   /* nullable */
    const char *relay_from; /* nullable */
} Person;

typedef struct {
    char *id;
    guint n;
    char *ids[CG_FX_MAX_PARTIES];
    char *tokens[CG_FX_MAX_PARTIES];
} Consult;

static void consult_free(Consult *c)
{
    for (guint i = 0; i < c->n; i++) {
        g_free(c->ids[i]);
        g_free(c->tokens[i]);
    }
    g_free(c->id);
    g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Consult, consult_free)

/* @interpretation: a JSON object text for "interpretation", or NULL for none. */
static Consult *consult_new(CgTestDaemon *d, const char *interpretation, const Person *people,
                            guint n)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *starts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    json_t *list = json_array();
    for (guint i = 0; i < n; i++) {
        json_t *p = json_pack("{s:s, s:s}", "name", "Someone", "role", people[i].role);
        if (people[i].language)
            json_object_set_new(p, "language", json_string(people[i].language));
        if (people[i].relay_from)
            json_object_set_new(p, "relay_from", json_string(people[i].relay_from));
        json_array_append_new(list, p);
    }
    json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "kind", "virtual_consult",
                            "specialty", "dermatology", "title", "Interpretation test", "starts_at",
                            starts, "duration_min", 30, "participants", list);
    if (interpretation) {
        json_object_set_new(req, "interpretation", json_loads(interpretation, 0, NULL));
        json_object_set_new(req, "floor_language", json_string("en"));
    }
    g_autofree char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    guint status = 0;
    json_t *resp = NULL;
    g_autoptr(GError) error = NULL;
    cg_test_admin_request(d, "POST", "/api/v1/consults", cg_test_daemon_api_key(d, 0), body,
                          &status, &resp, &error);
    g_assert_no_error(error);
    if (status != 201) {
        g_autofree char *text = resp ? json_dumps(resp, JSON_COMPACT) : g_strdup("");
        g_error("POST /api/v1/consults: %u %s", status, text);
    }
    Consult *c = g_new0(Consult, 1);
    c->id = g_strdup(str(resp, "id"));
    c->n = n;
    json_t *ps = json_object_get(resp, "participants");
    for (guint i = 0; i < n; i++) {
        c->ids[i] = g_strdup(str(json_array_get(ps, i), "id"));
        c->tokens[i] = g_strdup(str(json_array_get(ps, i), "token"));
    }
    json_decref(resp);
    return c;
}

/* ---- a party: a bare socket driven message by message ---- */

typedef struct {
    CgWssClient *wss;
    json_t *joined;
    json_t *state; /* the newest "interpretation" */
} Party;

static void party_free(Party *p)
{
    if (!p)
        return;
    json_decref(p->joined);
    json_decref(p->state);
    cg_wss_client_free(p->wss);
    g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Party, party_free)

/* (transfer full) a socket that sent join (with @resume, nullable) and got
 * joined; a patient in the waiting room is admitted by @admitter. */
static Party *party_join_via(CgTestDaemon *d, const char *token, const char *resume,
                             Party *admitter)
{
    Party *p = g_new0(Party, 1);
    p->wss = cg_wss_client_new(WS(d));
    json_t *join = json_pack("{s:s, s:s}", "type", "join", "token", token);
    if (resume)
        json_object_set_new(join, "resume", json_string(resume));
    cg_wss_client_send_json(p->wss, join);
    json_decref(join);
    while (!p->joined) {
        json_t *m = cg_wss_client_wait_message(p->wss, CG_FX_REPLY_TIMEOUT_MS);
        if (!m)
            g_error("no joined (closed %u %s)", cg_wss_client_close_status(p->wss),
                    cg_wss_client_close_reason(p->wss));
        const char *type = str(m, "type");
        if (g_strcmp0(type, "joined") == 0) {
            p->joined = m;
            break;
        }
        if (g_strcmp0(type, "waiting") == 0 && admitter) {
            json_t *admit = json_pack("{s:s, s:s}", "type", "admit", "participant",
                                      str(json_object_get(m, "you"), "id"));
            cg_wss_client_send_json(admitter->wss, admit);
            json_decref(admit);
        } else if (g_strcmp0(type, "error") == 0) {
            g_error("join refused: %s", str(m, "code"));
        }
        json_decref(m);
    }
    return p;
}

static Party *party_join(CgTestDaemon *d, const char *token, const char *resume)
{
    return party_join_via(d, token, resume, NULL);
}

static void send_json(Party *p, const char *text)
{
    cg_wss_client_send_text(p->wss, text, -1);
}

typedef gboolean (*StatePredicate)(json_t *state, gconstpointer data);

/* Waits for an "interpretation" for which @pred holds; fails naming the last one. */
static json_t *wait_state(Party *p, StatePredicate pred, gconstpointer data)
{
    gint64 deadline = g_get_monotonic_time() + CG_FX_REPLY_TIMEOUT_MS * 1000;
    while (!(p->state && pred(p->state, data))) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        json_t *m =
            left > 0 ? cg_wss_client_wait_type(p->wss, "interpretation", (guint)left) : NULL;
        if (!m) {
            g_autofree char *last = p->state ? json_dumps(p->state, JSON_COMPACT) : NULL;
            g_error("no interpretation state as expected; last: %s", last ? last : "none");
        }
        json_decref(p->state);
        p->state = m;
    }
    return p->state;
}

static json_t *you(json_t *state)
{
    return json_object_get(state, "you");
}

static json_t *channel(json_t *state, const char *language)
{
    json_t *list = json_object_get(state, "channels");
    for (gsize i = 0; i < json_array_size(list); i++)
        if (g_strcmp0(str(json_array_get(list, i), "language"), language) == 0)
            return json_array_get(list, i);
    return NULL;
}

static gboolean any_state(json_t *state, gconstpointer data)
{
    (void)data;
    return state != NULL;
}

static gboolean on_channel(json_t *state, gconstpointer data)
{
    return g_strcmp0(str(you(state), "channel"), data) == 0;
}

/* "es=p-x": es's live is p-x; "es=": nobody. */
static gboolean live_is(json_t *state, gconstpointer data)
{
    g_auto(GStrv) kv = g_strsplit(data, "=", 2);
    json_t *live = json_object_get(channel(state, kv[0]), "live");
    return *kv[1] ? g_strcmp0(json_string_value(live), kv[1]) == 0 : json_is_null(live);
}

static gboolean floor_is(json_t *state, gconstpointer data)
{
    return json_integer_value(json_object_get(state, "floor_level_db")) == GPOINTER_TO_INT(data);
}

static gboolean live_muted(json_t *state, gconstpointer data)
{
    return json_is_true(json_object_get(channel(state, data), "live_muted"));
}

static gboolean live_unmuted(json_t *state, gconstpointer data)
{
    return json_is_false(json_object_get(channel(state, data), "live_muted"));
}

static gboolean offered(json_t *state, gconstpointer data)
{
    (void)data;
    return json_is_true(json_object_get(you(state), "offered"));
}

/* The next error on @p has @code and names @needle (nullable) in its
 * message; the socket stays open. */
static void expect_error(Party *p, const char *code, const char *needle)
{
    json_t *e = cg_wss_client_wait_type(p->wss, "error", CG_FX_REPLY_TIMEOUT_MS);
    if (!e)
        g_error("no error %s", code);
    g_assert_cmpstr(str(e, "code"), ==, code);
    if (needle && !strstr(str(e, "message"), needle))
        g_error("error %s says \"%s\", not naming %s", code, str(e, "message"), needle);
    json_decref(e);
    g_assert_false(cg_wss_client_is_closed(p->wss));
}

static gboolean is_listed(json_t *list, const char *id)
{
    for (gsize i = 0; i < json_array_size(list); i++)
        if (g_strcmp0(json_string_value(json_array_get(list, i)), id) == 0)
            return TRUE;
    return FALSE;
}

enum { SPEC, PATIENT, ES1, ES2, AR, PROVIDER };
static const Person cast[] = {
    {"specialist", NULL, NULL},  {"patient", "es", NULL},     {"interpreter", "es", NULL},
    {"interpreter", "es", NULL}, {"interpreter", "ar", "es"}, {"provider", "en", NULL},
};
#define SIMULTANEOUS "{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"ar\"]}"

/* joined and the first state of each kind of member; channel switches. */
static void test_joined_and_state(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(Consult) c = consult_new(d, SIMULTANEOUS, cast, G_N_ELEMENTS(cast));
    g_autoptr(Party) spec = party_join(d, c->tokens[SPEC], NULL);
    json_t *in = json_object_get(spec->joined, "interpretation");
    g_assert_cmpstr(str(in, "mode"), ==, "simultaneous");
    g_assert_cmpstr(json_string_value(json_array_get(json_object_get(in, "languages"), 0)), ==,
                    "es");
    g_assert_cmpstr(json_string_value(json_array_get(json_object_get(in, "languages"), 1)), ==,
                    "ar");
    g_assert_cmpstr(str(in, "floor_language"), ==, "en");
    g_assert_null(json_object_get(json_object_get(spec->joined, "you"), "language"));
    json_t *st = wait_state(spec, any_state, NULL);
    g_assert_cmpint(json_integer_value(json_object_get(st, "floor_level_db")), ==, -15);
    g_assert_cmpstr(str(you(st), "channel"), ==, "floor");
    g_assert_true(json_is_false(json_object_get(you(st), "interpreter_only")));
    g_assert_true(json_is_null(json_object_get(channel(st, "es"), "live")));

    /* its mix connection is offered: consultd is the source, no participant */
    json_t *offer = cg_wss_client_wait_type(spec->wss, "offer", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(offer);
    g_assert_cmpstr(str(offer, "pc"), ==, "mix");
    g_assert_null(json_object_get(offer, "participant"));
    g_assert_nonnull(g_strstr_len(str(offer, "sdp"), -1, "opus/48000"));
    g_assert_nonnull(g_strstr_len(str(offer, "sdp"), -1, "m=audio"));
    g_assert_null(g_strstr_len(str(offer, "sdp"), -1, "m=video"));
    json_decref(offer);

    g_autoptr(Party) patient = party_join_via(d, c->tokens[PATIENT], NULL, spec);
    g_assert_cmpstr(str(json_object_get(patient->joined, "you"), "language"), ==, "es");
    wait_state(patient, on_channel, "es"); /* starts on its language */
    g_autoptr(Party) provider = party_join(d, c->tokens[PROVIDER], NULL);
    wait_state(provider, on_channel, "floor"); /* en is the floor's language */

    g_autoptr(Party) es1 = party_join(d, c->tokens[ES1], NULL);
    g_assert_cmpstr(str(json_object_get(es1->joined, "you"), "language"), ==, "es");
    st = wait_state(es1, any_state, NULL);
    g_assert_true(json_is_true(json_object_get(you(st), "interpreter")));
    g_assert_cmpstr(str(you(st), "language"), ==, "es");
    g_assert_true(json_is_true(json_object_get(you(st), "live"))); /* first in: live */
    g_assert_true(json_is_null(json_object_get(you(st), "relay_from")));
    g_assert_cmpuint(json_array_size(json_object_get(you(st), "partners")), ==, 0);
    /* the others see it live, and its language in the participant list */
    g_autofree char *es_live = g_strdup_printf("es=%s", c->ids[ES1]);
    wait_state(spec, live_is, es_live);
    wait_state(patient, live_is, es_live);
    json_t *pj = cg_wss_client_wait_type(spec->wss, "participant_joined", CG_FX_REPLY_TIMEOUT_MS);
    while (pj && g_strcmp0(str(json_object_get(pj, "participant"), "id"), c->ids[ES1]) != 0) {
        json_decref(pj);
        pj = cg_wss_client_wait_type(spec->wss, "participant_joined", CG_FX_REPLY_TIMEOUT_MS);
    }
    g_assert_nonnull(pj);
    g_assert_cmpstr(str(json_object_get(pj, "participant"), "language"), ==, "es");
    json_decref(pj);
    g_autoptr(Party) ar = party_join(d, c->tokens[AR], NULL);
    st = wait_state(ar, any_state, NULL);
    g_assert_cmpstr(str(you(st), "relay_from"), ==, "es");
    g_assert_true(is_listed(json_object_get(channel(st, "es"), "interpreters"), c->ids[ES1]));
    /* a newcomer's joined lists the interpreters with their language */
    g_autoptr(Party) late = party_join(d, c->tokens[ES2], NULL);
    json_t *ps = json_object_get(late->joined, "participants");
    guint labelled = 0;
    for (gsize i = 0; i < json_array_size(ps); i++)
        labelled += g_strcmp0(str(json_array_get(ps, i), "language"), "es") == 0;
    g_assert_cmpuint(labelled, ==, 2); /* the es patient and the es interpreter */

    /* a channel switch: the sender's state says it, the others' do not change */
    send_json(patient, "{\"type\":\"channel\",\"channel\":\"AR\",\"interpreter_only\":true}");
    st = wait_state(patient, on_channel, "ar");
    g_assert_true(json_is_true(json_object_get(you(st), "interpreter_only")));
    send_json(patient, "{\"type\":\"channel\",\"channel\":\"floor\",\"interpreter_only\":true}");
    st = wait_state(patient, on_channel, "floor");
    g_assert_true(json_is_false(json_object_get(you(st), "interpreter_only")));
    send_json(provider, "{\"type\":\"channel\",\"channel\":\"es\"}");
    wait_state(provider, on_channel, "es");
    /* a clean exit: under ASan also no leak */
    cg_fx_daemon_stop_clean(d, 10000);
}

/* Every refusal, each answered with its code on an open socket, and the
 * daemon goes on serving; then hand-over and the live interpreter leaving. */
static void test_refusals_and_hand_over(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(Consult) c = consult_new(d, SIMULTANEOUS, cast, G_N_ELEMENTS(cast));
    g_autoptr(Party) spec = party_join(d, c->tokens[SPEC], NULL);
    g_autoptr(Party) patient = party_join_via(d, c->tokens[PATIENT], NULL, spec);
    g_autoptr(Party) es1 = party_join(d, c->tokens[ES1], NULL);
    g_autofree char *es1_live = g_strdup_printf("es=%s", c->ids[ES1]);
    g_autofree char *es2_live = g_strdup_printf("es=%s", c->ids[ES2]);
    wait_state(es1, live_is, es1_live);

    send_json(es1, "{\"type\":\"hand_over\"}");
    expect_error(es1, "no_partner", NULL);
    g_autoptr(Party) es2 = party_join(d, c->tokens[ES2], NULL);
    wait_state(es2, live_is, es1_live);
    send_json(patient, "{\"type\":\"channel\",\"channel\":\"fr\"}");
    expect_error(patient, "unknown_channel", NULL);
    send_json(es1, "{\"type\":\"channel\",\"channel\":\"ar\"}");
    expect_error(es1, "not_allowed", NULL);
    send_json(es2, "{\"type\":\"go_live\"}");
    expect_error(es2, "channel_taken", c->ids[ES1]); /* names who is live */
    send_json(es2, "{\"type\":\"hand_over\"}");
    expect_error(es2, "not_live", NULL);
    send_json(patient, "{\"type\":\"go_live\"}");
    expect_error(patient, "not_allowed", NULL);
    send_json(patient, "{\"type\":\"floor_level\",\"db\":-20}");
    expect_error(patient, "not_allowed", NULL);
    send_json(es1, "{\"type\":\"floor_level\",\"db\":-20}");
    expect_error(es1, "not_allowed", NULL);
    send_json(spec, "{\"type\":\"floor_level\",\"db\":-41}");
    expect_error(spec, "malformed_message", "db");
    send_json(spec, "{\"type\":\"floor_level\",\"db\":\"loud\"}");
    expect_error(spec, "malformed_message", "db");
    send_json(es1, "{\"type\":\"hand_over\",\"to\":\"p-nobody\"}");
    expect_error(es1, "unknown_participant", NULL);

    /* still serving everyone: a floor level reaches all, a channel switch works */
    send_json(spec, "{\"type\":\"floor_level\",\"db\":-20}");
    wait_state(spec, floor_is, GINT_TO_POINTER(-20));
    wait_state(patient, floor_is, GINT_TO_POINTER(-20));
    wait_state(es2, floor_is, GINT_TO_POINTER(-20));
    send_json(patient, "{\"type\":\"channel\",\"channel\":\"ar\"}");
    wait_state(patient, on_channel, "ar");

    /* hand-over: live flips for everyone */
    send_json(es1, "{\"type\":\"hand_over\"}");
    json_t *st = wait_state(es1, live_is, es2_live);
    g_assert_true(json_is_false(json_object_get(you(st), "live")));
    st = wait_state(es2, live_is, es2_live);
    g_assert_true(json_is_true(json_object_get(you(st), "live")));
    wait_state(patient, live_is, es2_live);
    /* take_over back, then hand_over naming the partner */
    send_json(es1, "{\"type\":\"take_over\"}");
    wait_state(es2, live_is, es1_live);
    g_autofree char *to = g_strdup_printf("{\"type\":\"hand_over\",\"to\":\"%s\"}", c->ids[ES2]);
    send_json(es1, to);
    wait_state(spec, live_is, es2_live);

    /* the live interpreter leaves: nobody is live, its partner is offered */
    send_json(es2, "{\"type\":\"leave\"}");
    g_assert_true(cg_wss_client_wait_closed(es2->wss, CG_FX_REPLY_TIMEOUT_MS));
    wait_state(spec, live_is, "es=");
    wait_state(patient, live_is, "es=");
    st = wait_state(es1, offered, NULL);
    g_assert_true(json_is_false(json_object_get(you(st), "live")));
    send_json(es1, "{\"type\":\"go_live\"}"); /* it takes the free channel */
    st = wait_state(es1, live_is, es1_live);
    g_assert_true(json_is_false(json_object_get(you(st), "offered")));
    /* once more: nothing changes, but the sender hears the state again */
    for (json_t *m; (m = cg_wss_client_wait_type(es1->wss, "interpretation", 200));)
        json_decref(m);
    send_json(es1, "{\"type\":\"go_live\"}");
    json_t *again = cg_wss_client_wait_type(es1->wss, "interpretation", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(again);
    g_assert_true(json_is_true(json_object_get(you(again), "live")));
    json_decref(again);
    /* the live interpreter's microphone off: live_muted for everyone */
    send_json(es1, "{\"type\":\"media_state\",\"audio\":false,\"video\":true}");
    wait_state(patient, live_muted, "es");
    wait_state(spec, live_muted, "es");
    send_json(es1, "{\"type\":\"media_state\",\"audio\":true,\"video\":true}");
    wait_state(spec, live_unmuted, "es");

    /* audited with their outcome */
    CgTestConsult as_fixture = {.id = c->id};
    json_t *audit = cg_fx_audit(d, &as_fixture);
    g_assert_cmpuint(cg_fx_audit_count(audit, "interpretation.hand_over", c->ids[ES1]), >=, 3);
    g_assert_cmpuint(cg_fx_audit_count(audit, "interpretation.take_over", c->ids[ES1]), ==, 1);
    g_assert_cmpuint(cg_fx_audit_count(audit, "interpretation.go_live", c->ids[ES2]), ==, 1);
    /* -41 and "loud" never parsed; the patient's and the interpreter's are refused */
    g_assert_cmpuint(cg_fx_audit_count(audit, "interpretation.floor_level", c->ids[SPEC]), ==, 1);
    g_assert_cmpuint(cg_fx_audit_count(audit, "interpretation.floor_level", c->ids[PATIENT]), ==,
                     1);
    guint refused = 0;
    for (gsize i = 0; i < json_array_size(audit); i++) {
        json_t *r = json_array_get(audit, i);
        refused += g_strcmp0(str(r, "action"), "interpretation.go_live") == 0 &&
                   g_strcmp0(str(r, "outcome"), "channel_taken") == 0;
    }
    g_assert_cmpuint(refused, ==, 1);
    json_decref(audit);
    /* a clean exit: under ASan also no leak */
    cg_fx_daemon_stop_clean(d, 10000);
}

/* A resumed seat keeps its channel; a new join starts from the default. The
 * floor level is stored: it holds after consultd is killed and started. */
static void test_resume_and_restart(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(Consult) c = consult_new(d, SIMULTANEOUS, cast, G_N_ELEMENTS(cast));
    g_autoptr(Party) spec = party_join(d, c->tokens[SPEC], NULL);
    Party *patient = party_join_via(d, c->tokens[PATIENT], NULL, spec);
    send_json(patient, "{\"type\":\"channel\",\"channel\":\"ar\"}");
    wait_state(patient, on_channel, "ar");
    g_autofree char *resume = g_strdup(str(json_object_get(patient->joined, "resume"), "id"));
    party_free(patient); /* the TCP connection drops: the seat is held */
    g_autoptr(Party) back = party_join(d, c->tokens[PATIENT], resume);
    g_assert_true(json_is_true(json_object_get(back->joined, "resumed")));
    wait_state(back, on_channel, "ar");
    send_json(back, "{\"type\":\"leave\"}");
    g_assert_true(cg_wss_client_wait_closed(back->wss, CG_FX_REPLY_TIMEOUT_MS));
    g_autoptr(Party) again = party_join_via(d, c->tokens[PATIENT], NULL, spec);
    wait_state(again, on_channel, "es");

    send_json(spec, "{\"type\":\"floor_level\",\"db\":-27}");
    wait_state(spec, floor_is, GINT_TO_POINTER(-27));
    cg_test_daemon_kill(d);
    g_assert_true(cg_wss_client_wait_closed(spec->wss, CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_daemon_restart(d);
    g_autoptr(Party) spec2 = party_join(d, c->tokens[SPEC], NULL);
    wait_state(spec2, floor_is, GINT_TO_POINTER(-27));
    /* a clean exit: under ASan also no leak */
    cg_fx_daemon_stop_clean(d, 10000);
}

static void patch(CgTestDaemon *d, const char *consult_id, const char *body)
{
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s", consult_id);
    guint status = 0;
    json_t *resp = NULL;
    g_autoptr(GError) error = NULL;
    cg_test_admin_request(d, "PATCH", path, cg_test_daemon_api_key(d, 0), body, &status, &resp,
                          &error);
    g_assert_no_error(error);
    if (status != 200) {
        g_autofree char *text = resp ? json_dumps(resp, JSON_COMPACT) : g_strdup("");
        g_error("PATCH %s: %u %s", path, status, text);
    }
    json_decref(resp);
}

static gboolean n_channels_is(json_t *state, gconstpointer data)
{
    return json_array_size(json_object_get(state, "channels")) == GPOINTER_TO_UINT(data);
}

/* The admin API changes the interpretation of a running consult: a new floor
 * level reaches everyone and keeps the rest; new channels start everyone
 * again from the defaults. */
static void test_admin_patch(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(Consult) c = consult_new(d, SIMULTANEOUS, cast, G_N_ELEMENTS(cast));
    g_autoptr(Party) spec = party_join(d, c->tokens[SPEC], NULL);
    g_autoptr(Party) es1 = party_join(d, c->tokens[ES1], NULL);
    send_json(spec, "{\"type\":\"channel\",\"channel\":\"ar\"}");
    wait_state(spec, on_channel, "ar");
    patch(d, c->id, "{\"floor_level_db\":-30}");
    json_t *st = wait_state(spec, floor_is, GINT_TO_POINTER(-30));
    g_assert_cmpstr(str(you(st), "channel"), ==, "ar");
    wait_state(es1, floor_is, GINT_TO_POINTER(-30));
    patch(d, c->id,
          "{\"interpretation\":{\"mode\":\"simultaneous\",\"languages\":[\"es\",\"ar\","
          "\"fr\"]}}");
    st = wait_state(spec, n_channels_is, GUINT_TO_POINTER(3));
    g_assert_cmpstr(str(you(st), "channel"), ==, "floor");
    g_autofree char *es_live = g_strdup_printf("es=%s", c->ids[ES1]);
    st = wait_state(es1, n_channels_is, GUINT_TO_POINTER(3));
    g_assert_true(live_is(st, es_live));
    g_assert_true(json_is_true(json_object_get(you(st), "live")));
    /* a clean exit: under ASan also no leak */
    cg_fx_daemon_stop_clean(d, 10000);
}

/* (transfer full) @token's claims with "language" set to @language, signed again. */
static char *with_language(CgTestDaemon *d, const char *token, const char *language)
{
    json_t *claims = cg_fx_token_claims(token);
    json_object_set_new(claims, "language", json_string(language));
    g_autofree char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    return cg_test_mint_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload,
                              cg_test_daemon_secret(d, 0));
}

/* Consecutive: no channels (not_simultaneous), interpreters labelled. No
 * interpretation: no_interpretation. An interpreter token whose language is
 * not the consult's: bad_token. */
static void test_other_modes_and_tokens(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    const Person cons_cast[] = {{"specialist", NULL, NULL}, {"interpreter", "es", NULL}};
    g_autoptr(Consult) cons =
        consult_new(d, "{\"mode\":\"consecutive\",\"languages\":[\"es\"]}", cons_cast, 2);
    g_autoptr(Party) spec = party_join(d, cons->tokens[0], NULL);
    g_assert_cmpstr(str(json_object_get(spec->joined, "interpretation"), "mode"), ==,
                    "consecutive");
    g_autoptr(Party) interp = party_join(d, cons->tokens[1], NULL);
    g_assert_cmpstr(str(json_object_get(interp->joined, "you"), "language"), ==, "es");
    static const char *const requests[] = {"{\"type\":\"channel\",\"channel\":\"es\"}",
                                           "{\"type\":\"go_live\"}", "{\"type\":\"take_over\"}",
                                           "{\"type\":\"hand_over\"}",
                                           "{\"type\":\"floor_level\",\"db\":-20}"};
    for (gsize i = 0; i < G_N_ELEMENTS(requests); i++) {
        send_json(i == 0 || i == 4 ? spec : interp, requests[i]);
        expect_error(i == 0 || i == 4 ? spec : interp, "not_simultaneous", NULL);
    }
    /* no interpretation state in consecutive mode */
    g_assert_null(cg_wss_client_wait_type(spec->wss, "interpretation", 300));
    g_assert_null(cg_wss_client_wait_type(spec->wss, "offer", 0)); /* nor a mix connection */

    const Person plain_cast[] = {{"specialist", NULL, NULL}, {"provider", NULL, NULL}};
    g_autoptr(Consult) plain = consult_new(d, NULL, plain_cast, 2);
    g_autoptr(Party) host = party_join(d, plain->tokens[0], NULL);
    g_assert_null(json_object_get(host->joined, "interpretation"));
    for (gsize i = 0; i < G_N_ELEMENTS(requests); i++) {
        send_json(host, requests[i]);
        expect_error(host, "no_interpretation", NULL);
    }
    g_autoptr(Party) provider = party_join(d, plain->tokens[1], NULL);
    send_json(provider, "{\"type\":\"go_live\"}");
    expect_error(provider, "no_interpretation", NULL);

    /* a token (well signed) whose interpreter language is not the consult's */
    g_autoptr(Consult) sim = consult_new(d, SIMULTANEOUS, cast, G_N_ELEMENTS(cast));
    g_autofree char *fr = with_language(d, sim->tokens[ES1], "fr");
    g_autoptr(CgWssClient) w = cg_wss_client_new(WS(d));
    json_t *join = json_pack("{s:s, s:s}", "type", "join", "token", fr);
    cg_wss_client_send_json(w, join);
    json_decref(join);
    json_t *e = cg_wss_client_wait_type(w, "error", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(e);
    g_assert_cmpstr(str(e, "code"), ==, "bad_token");
    g_assert_nonnull(strstr(str(e, "message"), "language"));
    json_decref(e);
    cg_fx_assert_closed(w, 1008, "bad_token", CG_FX_REPLY_TIMEOUT_MS);
    /* the daemon serves on: the real token joins */
    g_autoptr(Party) ok = party_join(d, sim->tokens[ES1], NULL);
    g_assert_cmpstr(str(json_object_get(ok->joined, "you"), "language"), ==, "es");
    /* a clean exit: under ASan also no leak */
    cg_fx_daemon_stop_clean(d, 10000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult-flow/interpretation/joined-and-state", test_joined_and_state);
    g_test_add_func("/consult-flow/interpretation/refusals-and-hand-over",
                    test_refusals_and_hand_over);
    g_test_add_func("/consult-flow/interpretation/resume-and-restart", test_resume_and_restart);
    g_test_add_func("/consult-flow/interpretation/other-modes-and-tokens",
                    test_other_modes_and_tokens);
    g_test_add_func("/consult-flow/interpretation/admin-patch", test_admin_patch);
    return g_test_run();
}
