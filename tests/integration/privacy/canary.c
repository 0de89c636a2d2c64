/* integration-privacy-canary: a consult whose title and participants' names
 * carry a canary string goes through everything that makes consultd log —
 * admin create, list and read, joins, the waiting room, admission, media, a
 * mute, refused tokens and messages, an invalid admin body, leaving, ending,
 * shutdown — at log level info (the most verbose production level; debug may
 * carry names, as docs/operations.md says). The canary, and every token,
 * must appear zero times in what consultd wrote. */
#include <gst/gst.h>
#include <string.h>

#include "daemon_harness.h"
#include "test_endpoint.h"

#define CANARY "Zqxcanary7Wv"
#define TIMEOUT_MS 20000

static json_t *admin(CgTestDaemon *d, const char *method, const char *path, const char *body,
                     guint want_status)
{
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    g_assert_true(cg_test_admin_request(d, method, path, cg_test_daemon_api_key(d, 0), body,
                                        &status, &resp, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, want_status);
    return resp;
}

static char *iso_now(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}

/* Every line consultd wrote so far, checked for @needle in any letter case. */
static void assert_not_logged(CgTestDaemon *d, const char *needle)
{
    g_autofree char *lower = g_ascii_strdown(needle, -1);
    g_autofree char *upper = g_ascii_strup(needle, -1);
    if (cg_test_daemon_log_contains(d, needle) || cg_test_daemon_log_contains(d, lower) ||
        cg_test_daemon_log_contains(d, upper))
        g_error("consultd logged patient data or a secret: \"%.24s...\"", needle);
}

/* Sends @message (consumed). */
static void send_json(CgWssClient *ws, json_t *message)
{
    cg_wss_client_send_json(ws, message);
    json_decref(message);
}

static const char *participant_token(json_t *consult, guint i)
{
    json_t *p = json_array_get(json_object_get(consult, "participants"), i);
    return json_string_value(json_object_get(p, "token"));
}

static void test_canary(void)
{
    g_autoptr(GError) error = NULL;
    CgTestDaemonOptions o = {0};
    g_autoptr(CgTestDaemon) d = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    guint16 port = cg_test_daemon_port(d);
    GTlsCertificate *cert = cg_test_daemon_certificate(d);

    g_autofree char *now = iso_now();
    g_autofree char *body = g_strdup_printf(
        "{\"kind\":\"virtual_consult\",\"specialty\":\"dermatology\","
        "\"title\":\"Rash of " CANARY " Doe\",\"starts_at\":\"%s\",\"duration_min\":30,"
        "\"participants\":[{\"name\":\"Dr. " CANARY "\",\"role\":\"specialist\"},"
        "{\"name\":\"" CANARY " Junior\",\"role\":\"patient\"},"
        "{\"name\":\"Nurse " CANARY "\",\"role\":\"provider\"}]}",
        now);
    json_t *consult = admin(d, "POST", "/api/v1/consults", body, 201);
    const char *id = json_string_value(json_object_get(consult, "id"));
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s", id);
    json_decref(admin(d, "GET", path, NULL, 200));
    json_decref(admin(d, "GET", "/api/v1/consults", NULL, 200));
    /* A refused body that carries the canary where a value is wrong. */
    json_decref(admin(d, "POST", "/api/v1/consults",
                      "{\"kind\":\"" CANARY "\",\"title\":\"" CANARY "\"}", 400));
    json_decref(admin(d, "POST", "/api/v1/consults", "{\"title\": \"" CANARY, 400));

    /* The specialist admits the patient; the provider joins straight in. */
    CgTestEndpointOptions host = {.media = {.tone_hz = 440, .color_rgb = 0xff0000},
                                  .admit_waiting = TRUE};
    CgTestEndpointOptions guest = {.media = {.tone_hz = 660, .color_rgb = 0x00ff00}};
    g_autoptr(CgTestEndpoint) specialist =
        cg_test_endpoint_new(port, cert, participant_token(consult, 0), &host);
    g_assert_true(cg_test_endpoint_wait_joined(specialist, TIMEOUT_MS, &error));
    g_autoptr(CgTestEndpoint) patient =
        cg_test_endpoint_new(port, cert, participant_token(consult, 1), &guest);
    g_assert_true(cg_test_endpoint_wait_joined(patient, TIMEOUT_MS, &error));
    g_autoptr(CgTestEndpoint) provider =
        cg_test_endpoint_new(port, cert, participant_token(consult, 2), &guest);
    g_assert_true(cg_test_endpoint_wait_joined(provider, TIMEOUT_MS, &error));
    g_assert_no_error(error);
    const char *patient_id = cg_test_endpoint_id(patient);
    g_assert_true(cg_test_endpoint_wait_frames(specialist, patient_id, 5, TIMEOUT_MS));

    /* A mute, and messages that are refused and carry the canary. */
    CgWssClient *ws = cg_test_endpoint_wss(specialist);
    send_json(ws, json_pack("{s:s, s:s}", "type", "mute", "participant", patient_id));
    send_json(ws, json_pack("{s:s, s:s}", "type", CANARY, "name", CANARY));
    cg_wss_client_send_text(ws, "{\"type\":\"" CANARY, -1);
    g_assert_true(cg_test_endpoint_wait_error(specialist, "unknown_type", TIMEOUT_MS));
    g_assert_true(cg_test_endpoint_wait_error(specialist, "malformed_message", TIMEOUT_MS));

    /* Refused joins: a token that is the canary, and a real token with a
     * forged signature (its claims carry the names). */
    g_autoptr(CgTestEndpoint) garbage = cg_test_endpoint_new(
        port, cert, CANARY ".e30." CANARY, &(CgTestEndpointOptions){.no_publish = TRUE});
    g_assert_true(cg_test_endpoint_wait_error(garbage, "bad_token", TIMEOUT_MS));
    g_autofree char *forged = g_strconcat(participant_token(consult, 1), "x", NULL);
    g_autoptr(CgTestEndpoint) forger =
        cg_test_endpoint_new(port, cert, forged, &(CgTestEndpointOptions){.no_publish = TRUE});
    g_assert_true(cg_test_endpoint_wait_error(forger, "bad_token", TIMEOUT_MS));

    cg_test_endpoint_leave(provider);
    g_assert_true(
        cg_test_endpoint_wait_left(specialist, cg_test_endpoint_id(provider), TIMEOUT_MS));
    send_json(ws, json_pack("{s:s}", "type", "end"));
    g_assert_true(cg_wss_client_wait_closed(cg_test_endpoint_wss(patient), TIMEOUT_MS));
    int status = -1;
    g_assert_true(cg_test_daemon_stop(d, 15000, &status, &error));
    g_assert_no_error(error);

    /* The test must be able to fail: the log it reads is the daemon's. */
    g_assert_true(cg_test_daemon_log_contains(d, id));
    assert_not_logged(d, CANARY);
    for (guint i = 0; i < 3; i++)
        assert_not_logged(d, participant_token(consult, i));
    assert_not_logged(d, forged);
    json_decref(consult);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    gst_init(&argc, &argv);
    g_test_add_func("/privacy/canary", test_canary);
    return g_test_run();
}
