/* integration-consult-flow-controls: a specialist removes (the token then
 * no longer joins), mutes and ends a consult for everyone; only specialists
 * may; and the end timer disconnects everyone at starts_at + duration + grace. */
#include "consult_fixture.h"

#define PORT(d) cg_test_daemon_port(d), cg_test_daemon_certificate(d)

static void test_remove_and_mute(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c =
        cg_fx_consult_at(d, "virtual_consult", 0, 30,
                         (const char *const[]){"specialist", "patient", "provider", NULL});
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(CgTestEndpoint) provider = cg_fx_endpoint(PORT(d), c->tokens[2], 0, 0);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_nonnull(cg_fx_wait(provider, "joined", CG_FX_REPLY_TIMEOUT_MS));

    /* Only a specialist mutes; the socket of one who tries stays open. */
    cg_fx_send(provider, "mute", c->ids[0]);
    cg_fx_expect_error(provider, "not_allowed");
    cg_fx_send(provider, "end", NULL);
    cg_fx_expect_error(provider, "not_allowed");
    g_assert_false(cg_wss_client_is_closed(cg_test_endpoint_wss(provider)));

    cg_fx_send(spec, "mute", c->ids[2]);
    json_t *m = cg_fx_wait(provider, "muted", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(m);
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(m, "by"), "id")), ==,
                    c->ids[0]);
    g_assert_true(json_is_true(json_object_get(m, "may_unmute")));
    cg_fx_send(spec, "unmute", c->ids[2]);
    g_assert_nonnull(cg_fx_wait(provider, "unmuted", CG_FX_REPLY_TIMEOUT_MS));

    /* A waiting patient is removed from the waiting room; its token is dead. */
    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(cg_fx_wait(patient, "waiting", CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_send(spec, "mute", c->ids[1]); /* not in the consult yet */
    cg_fx_expect_error(spec, "unknown_participant");

    cg_fx_send(spec, "remove", c->ids[2]);
    cg_fx_expect_error(provider, "participant_removed");
    cg_fx_assert_closed(cg_test_endpoint_wss(provider), 1008, "participant_removed",
                        CG_FX_REPLY_TIMEOUT_MS);
    g_autoptr(CgTestEndpoint) back = cg_fx_endpoint(PORT(d), c->tokens[2], 0, 0);
    cg_fx_expect_error(back, "participant_removed");
    cg_fx_assert_closed(cg_test_endpoint_wss(back), 1008, "participant_removed",
                        CG_FX_REPLY_TIMEOUT_MS);

    cg_fx_send(spec, "remove", c->ids[1]);
    cg_fx_assert_closed(cg_test_endpoint_wss(patient), 1008, "participant_removed",
                        CG_FX_REPLY_TIMEOUT_MS);
    cg_fx_expect_waiting_list(spec, (const char *const[]){NULL});
    g_autoptr(CgTestEndpoint) patient_back = cg_fx_endpoint(PORT(d), c->tokens[1], 0, 0);
    cg_fx_expect_error(patient_back, "participant_removed");
}

/* Waits until @spec has received more than @n audio packets from @id. */
static gboolean audio_grows(CgTestEndpoint *spec, const char *id, guint64 n, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (cg_rtc_peer_audio_packets(cg_test_endpoint_peer(spec), id) <= n &&
           g_get_monotonic_time() < deadline)
        cg_test_run_for(20);
    return cg_rtc_peer_audio_packets(cg_test_endpoint_peer(spec), id) > n;
}

/* A patient may not unmute itself, so the relay enforces the mute: its audio
 * stops reaching the others while its video goes on, and comes back on unmute. */
static void test_mute_is_enforced(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(
        d, "virtual_consult", 0, 30, (const char *const[]){"specialist", "patient", NULL});
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0xff4020, 440);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(PORT(d), c->tokens[1], 0x2080ff, 660);
    cg_fx_expect_waiting_list(spec, (const char *const[]){c->ids[1], NULL});
    cg_fx_send(spec, "admit", c->ids[1]);
    cg_fx_wait_frames(spec, c->ids[1], 10);
    g_assert_true(audio_grows(spec, c->ids[1], 20, CG_FX_REPLY_TIMEOUT_MS));

    cg_fx_send(spec, "mute", c->ids[1]);
    json_t *m = cg_fx_wait(patient, "muted", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(m);
    g_assert_true(json_is_false(json_object_get(m, "may_unmute")));
    /* Packets already on their way may land; then nothing for a while. Absence
     * has no event to wait for, hence the fixed windows. */
    cg_test_run_for(300);
    guint64 audio = cg_rtc_peer_audio_packets(cg_test_endpoint_peer(spec), c->ids[1]);
    guint frames = cg_rtc_peer_video_frames(cg_test_endpoint_peer(spec), c->ids[1]);
    cg_test_run_for(1500);
    g_assert_cmpuint(cg_rtc_peer_audio_packets(cg_test_endpoint_peer(spec), c->ids[1]), <=,
                     audio + 1);
    g_assert_cmpuint(cg_rtc_peer_video_frames(cg_test_endpoint_peer(spec), c->ids[1]), >,
                     frames + 5);

    cg_fx_send(spec, "unmute", c->ids[1]);
    g_assert_nonnull(cg_fx_wait(patient, "unmuted", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_true(audio_grows(spec, c->ids[1], audio + 20, CG_FX_REPLY_TIMEOUT_MS));
}

/* The others hear nothing of @id for a while, but keep seeing it. */
static void expect_silent_but_seen(CgTestEndpoint *spec, CgTestEndpoint *third, const char *id)
{
    cg_fx_wait_frames(spec, id, cg_test_endpoint_frames_from(spec, id) + 10);
    /* Packets already on their way may land; then nothing for a while.
     * Absence has no event to wait for, hence the fixed windows. */
    cg_test_run_for(300);
    guint64 heard = cg_rtc_peer_audio_packets(cg_test_endpoint_peer(spec), id);
    guint64 heard3 = cg_rtc_peer_audio_packets(cg_test_endpoint_peer(third), id);
    guint frames = cg_test_endpoint_frames_from(spec, id);
    cg_test_run_for(1500);
    g_assert_cmpuint(cg_rtc_peer_audio_packets(cg_test_endpoint_peer(spec), id), <=, heard + 1);
    g_assert_cmpuint(cg_rtc_peer_audio_packets(cg_test_endpoint_peer(third), id), <=, heard3 + 1);
    g_assert_cmpuint(cg_test_endpoint_frames_from(spec, id), >, frames + 5);
}

/* The endpoint's joined says muted, and "muted" names the specialist. */
static void expect_joined_muted(CgTestEndpoint *ep, const char *by)
{
    json_t *joined = cg_fx_wait(ep, "joined", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(joined);
    g_assert_true(json_is_true(json_object_get(joined, "muted")));
    json_t *m = cg_fx_wait(ep, "muted", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(m);
    g_assert_true(json_is_false(json_object_get(m, "may_unmute")));
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(m, "by"), "id")), ==, by);
}

/* Issue 9 #6: a specialist's mute of a patient holds when the patient
 * leaves and joins again, and when consultd is killed and started again on
 * the same database; only "unmute" lifts it. A removal holds across the
 * restart too. */
static void test_mute_persists(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(
        d, "virtual_consult", 0, 30,
        (const char *const[]){"specialist", "patient", "provider", "observer", NULL});
    const char *spec_id = c->ids[0], *patient_id = c->ids[1];
    GTlsCertificate *cert = cg_test_daemon_certificate(d);
    {
        g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0xff4020, 440);
        g_autoptr(CgTestEndpoint) third = cg_fx_endpoint(PORT(d), c->tokens[2], 0x20ff40, 550);
        g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
        g_assert_nonnull(cg_fx_wait(third, "joined", CG_FX_REPLY_TIMEOUT_MS));
        CgTestEndpoint *patient = cg_fx_endpoint(PORT(d), c->tokens[1], 0x2080ff, 660);
        cg_fx_expect_waiting_list(spec, (const char *const[]){patient_id, NULL});
        cg_fx_send(spec, "admit", patient_id);
        g_assert_true(audio_grows(spec, patient_id, 20, CG_FX_MEDIA_TIMEOUT_MS));
        g_assert_true(audio_grows(third, patient_id, 20, CG_FX_MEDIA_TIMEOUT_MS));
        cg_fx_send(spec, "mute", patient_id);
        g_assert_nonnull(cg_fx_wait(patient, "muted", CG_FX_REPLY_TIMEOUT_MS));

        /* it leaves and joins anew (no resume): still muted */
        cg_fx_send(patient, "leave", NULL);
        g_assert_true(
            cg_wss_client_wait_closed(cg_test_endpoint_wss(patient), CG_FX_REPLY_TIMEOUT_MS));
        cg_test_endpoint_free(patient);
        g_autoptr(CgTestEndpoint) again = cg_fx_endpoint(PORT(d), c->tokens[1], 0x2080ff, 660);
        expect_joined_muted(again, spec_id);
        g_assert_cmpuint(cg_fx_count_about(third, "participant_muted", patient_id), >=, 2);
        expect_silent_but_seen(spec, third, patient_id);
        g_autoptr(CgTestEndpoint) observer = cg_fx_endpoint(PORT(d), c->tokens[3], 0, 0);
        g_assert_nonnull(cg_fx_wait(observer, "joined", CG_FX_REPLY_TIMEOUT_MS));
        cg_fx_send(spec, "remove", c->ids[3]);
        cg_fx_assert_closed(cg_test_endpoint_wss(observer), 1008, "participant_removed",
                            CG_FX_REPLY_TIMEOUT_MS);
        cg_test_daemon_kill(d); /* SIGKILL mid-consult */
        g_assert_true(
            cg_wss_client_wait_closed(cg_test_endpoint_wss(spec), CG_FX_REPLY_TIMEOUT_MS));
    }

    cg_fx_daemon_restart(d); /* on the same dir and database */
    guint16 port = cg_test_daemon_port(d);
    {
        g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(port, cert, c->tokens[0], 0xff4020, 440);
        g_autoptr(CgTestEndpoint) third = cg_fx_endpoint(port, cert, c->tokens[2], 0x20ff40, 550);
        g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
        g_assert_nonnull(cg_fx_wait(third, "joined", CG_FX_REPLY_TIMEOUT_MS));
        g_autoptr(CgTestEndpoint) removed = cg_fx_endpoint(port, cert, c->tokens[3], 0, 0);
        cg_fx_expect_error(removed, "participant_removed");
        g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(port, cert, c->tokens[1], 0x2080ff, 660);
        expect_joined_muted(patient, spec_id);
        expect_silent_but_seen(spec, third, patient_id);

        /* unmute lifts it, for good */
        guint64 heard = cg_rtc_peer_audio_packets(cg_test_endpoint_peer(spec), patient_id);
        cg_fx_send(spec, "unmute", patient_id);
        g_assert_nonnull(cg_fx_wait(patient, "unmuted", CG_FX_REPLY_TIMEOUT_MS));
        g_assert_true(audio_grows(spec, patient_id, heard + 20, CG_FX_REPLY_TIMEOUT_MS));
        cg_fx_send(patient, "leave", NULL);
        g_assert_true(
            cg_wss_client_wait_closed(cg_test_endpoint_wss(patient), CG_FX_REPLY_TIMEOUT_MS));
        g_autoptr(CgTestEndpoint) back = cg_fx_endpoint(port, cert, c->tokens[1], 0, 0);
        json_t *joined = cg_fx_wait(back, "joined", CG_FX_REPLY_TIMEOUT_MS);
        g_assert_nonnull(joined);
        g_assert_null(json_object_get(joined, "muted"));
        g_assert_null(cg_fx_last(back, "muted"));
    }
    cg_fx_daemon_stop_clean(d, 10000);
}

/* Microphone and camera state is told to everyone, and a late joiner finds
 * it in the participants of its joined message. */
static void test_media_state(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c =
        cg_fx_consult_at(d, "virtual_consult", 0, 30,
                         (const char *const[]){"specialist", "provider", "observer", NULL});
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(CgTestEndpoint) provider = cg_fx_endpoint(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_nonnull(cg_fx_wait(provider, "joined", CG_FX_REPLY_TIMEOUT_MS));

    json_t *state = json_pack("{s:s, s:b, s:b}", "type", "media_state", "audio", 0, "video", 1);
    cg_wss_client_send_json(cg_test_endpoint_wss(provider), state);
    json_decref(state);
    json_t *seen = cg_fx_wait(spec, "participant_media_state", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(seen);
    g_assert_cmpstr(json_string_value(json_object_get(seen, "participant")), ==, c->ids[1]);
    g_assert_true(json_is_false(json_object_get(seen, "audio")));
    g_assert_true(json_is_true(json_object_get(seen, "video")));

    g_autoptr(CgTestEndpoint) late = cg_fx_endpoint(PORT(d), c->tokens[2], 0, 0);
    json_t *joined = cg_fx_wait(late, "joined", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(joined);
    json_t *others = json_object_get(joined, "participants");
    gboolean found = FALSE;
    for (gsize i = 0; i < json_array_size(others); i++) {
        json_t *p = json_array_get(others, i);
        if (g_strcmp0(json_string_value(json_object_get(p, "id")), c->ids[1]) != 0)
            continue;
        found = TRUE;
        g_assert_true(json_is_false(json_object_get(p, "audio")));
        g_assert_true(json_is_true(json_object_get(p, "video")));
    }
    g_assert_true(found);
}

static void test_end(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c =
        cg_fx_consult_at(d, "virtual_consult", 0, 30,
                         (const char *const[]){"specialist", "patient", "provider", NULL});
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(CgTestEndpoint) provider = cg_fx_endpoint(PORT(d), c->tokens[2], 0, 0);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_nonnull(cg_fx_wait(provider, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(cg_fx_wait(patient, "waiting", CG_FX_REPLY_TIMEOUT_MS));

    cg_fx_send(spec, "end", NULL);
    CgTestEndpoint *all[] = {spec, provider, patient};
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
        json_t *e = cg_fx_wait(all[i], "consult_ended", CG_FX_REPLY_TIMEOUT_MS);
        g_assert_nonnull(e);
        g_assert_cmpstr(json_string_value(json_object_get(e, "reason")), ==, "ended_by_specialist");
        cg_fx_assert_closed(cg_test_endpoint_wss(all[i]), 1000, "consult_ended",
                            CG_FX_REPLY_TIMEOUT_MS);
    }
    /* Its tokens never open it again. */
    for (guint i = 0; i < c->n; i++) {
        g_autoptr(CgTestEndpoint) again = cg_fx_endpoint(PORT(d), c->tokens[i], 0, 0);
        cg_fx_expect_error(again, "consult_ended");
        cg_fx_assert_closed(cg_test_endpoint_wss(again), 1008, "consult_ended",
                            CG_FX_REPLY_TIMEOUT_MS);
    }
}

/* A 5 min consult that started 20 min - 4 s ago ends (grace 15 min) in ~4 s. */
static void test_time_up(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c =
        cg_fx_consult_at(d, "virtual_consult", -(20 * 60 - 4), 5,
                         (const char *const[]){"specialist", "patient", NULL});
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_nonnull(cg_fx_wait(patient, "waiting", CG_FX_REPLY_TIMEOUT_MS));
    CgTestEndpoint *all[] = {spec, patient};
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
        json_t *e = cg_fx_wait(all[i], "consult_ended", 15000);
        g_assert_nonnull(e);
        g_assert_cmpstr(json_string_value(json_object_get(e, "reason")), ==, "time_up");
        cg_fx_assert_closed(cg_test_endpoint_wss(all[i]), 1000, "consult_ended",
                            CG_FX_REPLY_TIMEOUT_MS);
    }
    g_autoptr(CgTestEndpoint) again = cg_fx_endpoint(PORT(d), c->tokens[0], 0, 0);
    cg_fx_expect_error(again, "consult_ended");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult-flow/controls/remove-and-mute", test_remove_and_mute);
    g_test_add_func("/consult-flow/controls/mute-is-enforced", test_mute_is_enforced);
    g_test_add_func("/consult-flow/controls/mute-persists", test_mute_persists);
    g_test_add_func("/consult-flow/controls/media-state", test_media_state);
    g_test_add_func("/consult-flow/controls/end", test_end);
    g_test_add_func("/consult-flow/controls/time-up", test_time_up);
    return g_test_run();
}
