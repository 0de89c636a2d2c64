/* integration-consult-flow-controls: a specialist removes (the token then
 * no longer joins), mutes and ends a consult for everyone; only specialists
 * may; and the end timer disconnects everyone at starts_at + duration + grace. */
#include "flow_common.h"

#define PORT(d) cg_test_daemon_port(d), cg_test_daemon_certificate(d)

static void test_remove_and_mute(void)
{
    g_autoptr(CgTestDaemon) d = flow_start_daemon(1, NULL);
    g_autoptr(FlowConsult) c = flow_create(d, "virtual_consult", 0, 30,
                                           (const char *const[]){"specialist", "patient",
                                                                 "provider", NULL});
    g_autoptr(FlowEp) spec = flow_ep_new(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(FlowEp) provider = flow_ep_new(PORT(d), c->tokens[2], 0, 0);
    g_assert_nonnull(flow_ep_wait(spec, "joined", FLOW_TIMEOUT_MS));
    g_assert_nonnull(flow_ep_wait(provider, "joined", FLOW_TIMEOUT_MS));

    /* Only a specialist mutes; the socket of one who tries stays open. */
    flow_ep_send(provider, "mute", c->ids[0]);
    flow_ep_expect_error(provider, "not_allowed");
    flow_ep_send(provider, "end", NULL);
    flow_ep_expect_error(provider, "not_allowed");
    g_assert_false(cg_wss_client_is_closed(flow_ep_wss(provider)));

    flow_ep_send(spec, "mute", c->ids[2]);
    json_t *m = flow_ep_wait(provider, "muted", FLOW_TIMEOUT_MS);
    g_assert_nonnull(m);
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(m, "by"), "id")), ==,
                    c->ids[0]);
    g_assert_true(json_is_true(json_object_get(m, "may_unmute")));
    flow_ep_send(spec, "unmute", c->ids[2]);
    g_assert_nonnull(flow_ep_wait(provider, "unmuted", FLOW_TIMEOUT_MS));

    /* A waiting patient is removed from the waiting room; its token is dead. */
    g_autoptr(FlowEp) patient = flow_ep_new(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(flow_ep_wait(patient, "waiting", FLOW_TIMEOUT_MS));
    flow_ep_send(spec, "mute", c->ids[1]); /* not in the consult yet */
    flow_ep_expect_error(spec, "unknown_participant");

    flow_ep_send(spec, "remove", c->ids[2]);
    flow_ep_expect_error(provider, "participant_removed");
    flow_ep_expect_closed(provider, 1008, "participant_removed");
    g_autoptr(FlowEp) back = flow_ep_new(PORT(d), c->tokens[2], 0, 0);
    flow_ep_expect_error(back, "participant_removed");
    flow_ep_expect_closed(back, 1008, "participant_removed");

    flow_ep_send(spec, "remove", c->ids[1]);
    flow_ep_expect_closed(patient, 1008, "participant_removed");
    flow_ep_expect_waiting_list(spec, (const char *const[]){NULL});
    g_autoptr(FlowEp) patient_back = flow_ep_new(PORT(d), c->tokens[1], 0, 0);
    flow_ep_expect_error(patient_back, "participant_removed");
}

/* Waits until @spec has received more than @n audio packets from @id. */
static gboolean audio_grows(FlowEp *spec, const char *id, guint64 n, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (cg_rtc_peer_audio_packets(flow_ep_peer(spec), id) <= n &&
           g_get_monotonic_time() < deadline)
        cg_test_run_for(20);
    return cg_rtc_peer_audio_packets(flow_ep_peer(spec), id) > n;
}

/* A patient may not unmute itself, so the relay enforces the mute: its audio
 * stops reaching the others while its video goes on, and comes back on unmute. */
static void test_mute_is_enforced(void)
{
    g_autoptr(CgTestDaemon) d = flow_start_daemon(1, NULL);
    g_autoptr(FlowConsult) c = flow_create(d, "virtual_consult", 0, 30,
                                           (const char *const[]){"specialist", "patient", NULL});
    g_autoptr(FlowEp) spec = flow_ep_new(PORT(d), c->tokens[0], 0xff4020, 440);
    g_assert_nonnull(flow_ep_wait(spec, "joined", FLOW_TIMEOUT_MS));
    g_autoptr(FlowEp) patient = flow_ep_new(PORT(d), c->tokens[1], 0x2080ff, 660);
    flow_ep_expect_waiting_list(spec, (const char *const[]){c->ids[1], NULL});
    flow_ep_send(spec, "admit", c->ids[1]);
    flow_ep_expect_frames(spec, c->ids[1], 10);
    g_assert_true(audio_grows(spec, c->ids[1], 20, FLOW_TIMEOUT_MS));

    flow_ep_send(spec, "mute", c->ids[1]);
    json_t *m = flow_ep_wait(patient, "muted", FLOW_TIMEOUT_MS);
    g_assert_nonnull(m);
    g_assert_true(json_is_false(json_object_get(m, "may_unmute")));
    /* Packets already on their way may land; then nothing for a while. Absence
     * has no event to wait for, hence the fixed windows. */
    cg_test_run_for(300);
    guint64 audio = cg_rtc_peer_audio_packets(flow_ep_peer(spec), c->ids[1]);
    guint frames = cg_rtc_peer_video_frames(flow_ep_peer(spec), c->ids[1]);
    cg_test_run_for(1500);
    g_assert_cmpuint(cg_rtc_peer_audio_packets(flow_ep_peer(spec), c->ids[1]), <=, audio + 1);
    g_assert_cmpuint(cg_rtc_peer_video_frames(flow_ep_peer(spec), c->ids[1]), >, frames + 5);

    flow_ep_send(spec, "unmute", c->ids[1]);
    g_assert_nonnull(flow_ep_wait(patient, "unmuted", FLOW_TIMEOUT_MS));
    g_assert_true(audio_grows(spec, c->ids[1], audio + 20, FLOW_TIMEOUT_MS));
}

/* The others hear nothing of @id for a while, but keep seeing it. */
static void expect_silent_but_seen(FlowEp *spec, FlowEp *third, const char *id)
{
    flow_ep_expect_frames(spec, id, flow_ep_frames(spec, id) + 10);
    /* Packets already on their way may land; then nothing for a while.
     * Absence has no event to wait for, hence the fixed windows. */
    cg_test_run_for(300);
    guint64 heard = cg_rtc_peer_audio_packets(flow_ep_peer(spec), id);
    guint64 heard3 = cg_rtc_peer_audio_packets(flow_ep_peer(third), id);
    guint frames = flow_ep_frames(spec, id);
    cg_test_run_for(1500);
    g_assert_cmpuint(cg_rtc_peer_audio_packets(flow_ep_peer(spec), id), <=, heard + 1);
    g_assert_cmpuint(cg_rtc_peer_audio_packets(flow_ep_peer(third), id), <=, heard3 + 1);
    g_assert_cmpuint(flow_ep_frames(spec, id), >, frames + 5);
}

/* The endpoint's joined says muted, and "muted" names the specialist. */
static void expect_joined_muted(FlowEp *ep, const char *by)
{
    json_t *joined = flow_ep_wait(ep, "joined", FLOW_TIMEOUT_MS);
    g_assert_nonnull(joined);
    g_assert_true(json_is_true(json_object_get(joined, "muted")));
    json_t *m = flow_ep_wait(ep, "muted", FLOW_TIMEOUT_MS);
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
    g_autoptr(CgTestDaemon) d = flow_start_daemon(1, NULL);
    g_autoptr(FlowConsult) c =
        flow_create(d, "virtual_consult", 0, 30,
                    (const char *const[]){"specialist", "patient", "provider", "observer", NULL});
    const char *spec_id = c->ids[0], *patient_id = c->ids[1];
    g_autofree char *dir = flow_daemon_dir(d);
    GTlsCertificate *cert = cg_test_daemon_certificate(d);
    {
        g_autoptr(FlowEp) spec = flow_ep_new(PORT(d), c->tokens[0], 0xff4020, 440);
        g_autoptr(FlowEp) third = flow_ep_new(PORT(d), c->tokens[2], 0x20ff40, 550);
        g_assert_nonnull(flow_ep_wait(spec, "joined", FLOW_TIMEOUT_MS));
        g_assert_nonnull(flow_ep_wait(third, "joined", FLOW_TIMEOUT_MS));
        FlowEp *patient = flow_ep_new(PORT(d), c->tokens[1], 0x2080ff, 660);
        flow_ep_expect_waiting_list(spec, (const char *const[]){patient_id, NULL});
        flow_ep_send(spec, "admit", patient_id);
        g_assert_true(audio_grows(spec, patient_id, 20, FLOW_MEDIA_TIMEOUT_MS));
        g_assert_true(audio_grows(third, patient_id, 20, FLOW_MEDIA_TIMEOUT_MS));
        flow_ep_send(spec, "mute", patient_id);
        g_assert_nonnull(flow_ep_wait(patient, "muted", FLOW_TIMEOUT_MS));

        /* it leaves and joins anew (no resume): still muted */
        flow_ep_send(patient, "leave", NULL);
        g_assert_true(cg_wss_client_wait_closed(flow_ep_wss(patient), FLOW_TIMEOUT_MS));
        flow_ep_free(patient);
        g_autoptr(FlowEp) again = flow_ep_new(PORT(d), c->tokens[1], 0x2080ff, 660);
        expect_joined_muted(again, spec_id);
        g_assert_cmpuint(flow_ep_count_about(third, "participant_muted", patient_id), >=, 2);
        expect_silent_but_seen(spec, third, patient_id);
        g_autoptr(FlowEp) observer = flow_ep_new(PORT(d), c->tokens[3], 0, 0);
        g_assert_nonnull(flow_ep_wait(observer, "joined", FLOW_TIMEOUT_MS));
        flow_ep_send(spec, "remove", c->ids[3]);
        flow_ep_expect_closed(observer, 1008, "participant_removed");
        cg_test_daemon_kill(d); /* SIGKILL mid-consult */
        g_assert_true(cg_wss_client_wait_closed(flow_ep_wss(spec), FLOW_TIMEOUT_MS));
    }

    FlowDaemon *restarted = flow_respawn(dir);
    guint16 port = flow_daemon_port(restarted);
    {
        g_autoptr(FlowEp) spec = flow_ep_new(port, cert, c->tokens[0], 0xff4020, 440);
        g_autoptr(FlowEp) third = flow_ep_new(port, cert, c->tokens[2], 0x20ff40, 550);
        g_assert_nonnull(flow_ep_wait(spec, "joined", FLOW_TIMEOUT_MS));
        g_assert_nonnull(flow_ep_wait(third, "joined", FLOW_TIMEOUT_MS));
        g_autoptr(FlowEp) removed = flow_ep_new(port, cert, c->tokens[3], 0, 0);
        flow_ep_expect_error(removed, "participant_removed");
        g_autoptr(FlowEp) patient = flow_ep_new(port, cert, c->tokens[1], 0x2080ff, 660);
        expect_joined_muted(patient, spec_id);
        expect_silent_but_seen(spec, third, patient_id);

        /* unmute lifts it, for good */
        guint64 heard = cg_rtc_peer_audio_packets(flow_ep_peer(spec), patient_id);
        flow_ep_send(spec, "unmute", patient_id);
        g_assert_nonnull(flow_ep_wait(patient, "unmuted", FLOW_TIMEOUT_MS));
        g_assert_true(audio_grows(spec, patient_id, heard + 20, FLOW_TIMEOUT_MS));
        flow_ep_send(patient, "leave", NULL);
        g_assert_true(cg_wss_client_wait_closed(flow_ep_wss(patient), FLOW_TIMEOUT_MS));
        g_autoptr(FlowEp) back = flow_ep_new(port, cert, c->tokens[1], 0, 0);
        json_t *joined = flow_ep_wait(back, "joined", FLOW_TIMEOUT_MS);
        g_assert_nonnull(joined);
        g_assert_null(json_object_get(joined, "muted"));
        g_assert_null(flow_ep_last(back, "muted"));
    }
    flow_daemon_stop(restarted);
    flow_daemon_free(restarted);
}

/* Microphone and camera state is told to everyone, and a late joiner finds
 * it in the participants of its joined message. */
static void test_media_state(void)
{
    g_autoptr(CgTestDaemon) d = flow_start_daemon(1, NULL);
    g_autoptr(FlowConsult) c = flow_create(d, "virtual_consult", 0, 30,
                                           (const char *const[]){"specialist", "provider",
                                                                 "observer", NULL});
    g_autoptr(FlowEp) spec = flow_ep_new(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(FlowEp) provider = flow_ep_new(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(flow_ep_wait(spec, "joined", FLOW_TIMEOUT_MS));
    g_assert_nonnull(flow_ep_wait(provider, "joined", FLOW_TIMEOUT_MS));

    json_t *state = json_pack("{s:s, s:b, s:b}", "type", "media_state", "audio", 0, "video", 1);
    cg_wss_client_send_json(flow_ep_wss(provider), state);
    json_decref(state);
    json_t *seen = flow_ep_wait(spec, "participant_media_state", FLOW_TIMEOUT_MS);
    g_assert_nonnull(seen);
    g_assert_cmpstr(json_string_value(json_object_get(seen, "participant")), ==, c->ids[1]);
    g_assert_true(json_is_false(json_object_get(seen, "audio")));
    g_assert_true(json_is_true(json_object_get(seen, "video")));

    g_autoptr(FlowEp) late = flow_ep_new(PORT(d), c->tokens[2], 0, 0);
    json_t *joined = flow_ep_wait(late, "joined", FLOW_TIMEOUT_MS);
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
    g_autoptr(CgTestDaemon) d = flow_start_daemon(1, NULL);
    g_autoptr(FlowConsult) c = flow_create(d, "virtual_consult", 0, 30,
                                           (const char *const[]){"specialist", "patient",
                                                                 "provider", NULL});
    g_autoptr(FlowEp) spec = flow_ep_new(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(FlowEp) provider = flow_ep_new(PORT(d), c->tokens[2], 0, 0);
    g_assert_nonnull(flow_ep_wait(spec, "joined", FLOW_TIMEOUT_MS));
    g_assert_nonnull(flow_ep_wait(provider, "joined", FLOW_TIMEOUT_MS));
    g_autoptr(FlowEp) patient = flow_ep_new(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(flow_ep_wait(patient, "waiting", FLOW_TIMEOUT_MS));

    flow_ep_send(spec, "end", NULL);
    FlowEp *all[] = {spec, provider, patient};
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
        json_t *e = flow_ep_wait(all[i], "consult_ended", FLOW_TIMEOUT_MS);
        g_assert_nonnull(e);
        g_assert_cmpstr(json_string_value(json_object_get(e, "reason")), ==,
                        "ended_by_specialist");
        flow_ep_expect_closed(all[i], 1000, "consult_ended");
    }
    /* Its tokens never open it again. */
    for (guint i = 0; i < c->n; i++) {
        g_autoptr(FlowEp) again = flow_ep_new(PORT(d), c->tokens[i], 0, 0);
        flow_ep_expect_error(again, "consult_ended");
        flow_ep_expect_closed(again, 1008, "consult_ended");
    }
}

/* A 5 min consult that started 20 min - 4 s ago ends (grace 15 min) in ~4 s. */
static void test_time_up(void)
{
    g_autoptr(CgTestDaemon) d = flow_start_daemon(1, NULL);
    g_autoptr(FlowConsult) c = flow_create(d, "virtual_consult", -(20 * 60 - 4), 5,
                                           (const char *const[]){"specialist", "patient", NULL});
    g_autoptr(FlowEp) spec = flow_ep_new(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(FlowEp) patient = flow_ep_new(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(flow_ep_wait(spec, "joined", FLOW_TIMEOUT_MS));
    g_assert_nonnull(flow_ep_wait(patient, "waiting", FLOW_TIMEOUT_MS));
    FlowEp *all[] = {spec, patient};
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
        json_t *e = flow_ep_wait(all[i], "consult_ended", 15000);
        g_assert_nonnull(e);
        g_assert_cmpstr(json_string_value(json_object_get(e, "reason")), ==, "time_up");
        flow_ep_expect_closed(all[i], 1000, "consult_ended");
    }
    g_autoptr(FlowEp) again = flow_ep_new(PORT(d), c->tokens[0], 0, 0);
    flow_ep_expect_error(again, "consult_ended");
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
