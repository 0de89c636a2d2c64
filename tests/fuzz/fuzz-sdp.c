/* fuzz-sdp.c — fuzz target for SDP as consultd accepts and rewrites it
 * (media/sdp_policy.c, media/sdp.c).
 *
 * The input is an endpoint's description. It goes through the policy filter
 * then the relay's model: parsed as a publish offer,
 * consultd's answer and a subscribe offer relaying it are written, and the
 * input is also checked as an endpoint's answer to that subscribe offer.
 * The Opus FEC/DTX rewrite (which consultd applies to its own
 * descriptions) runs on the filtered text too, for crashes only, and the
 * address policy's candidate reader on every line of the input. Besides "no
 * crash, no over-read, no UB, no leak" it checks that what consultd writes
 * parses again with its own parser (an endpoint sees it). */
#include "address_policy.h"
#include "fuzz.h"
#include "sdp.h"
#include "sdp_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static CgSdpFingerprint our_fp = {
    (char *)"sha-256", (char *)"11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
                               "66:77:88:99:AA:BB:CC:DD:EE:FF:00"};
static const char *const our_candidates[] = {
    "candidate:1 1 UDP 2015363327 192.0.2.7 50123 typ host", NULL};
static const CgSdpLocal our_local = {
    .ice_ufrag = "Xk3q",
    .ice_pwd = "Zq8Lm2Vn5Rt7Wy9Bc1Df3Gh4",
    .fingerprint = &our_fp,
    .setup = CG_SDP_SETUP_NONE,
    .candidates = our_candidates,
    .end_of_candidates = TRUE,
    .session_id = 7271828182845904523ull,
    .session_version = 2,
};

/* What consultd wrote must parse again. Returns the model (transfer full). */
static CgSdp *reparse(const char *text)
{
    g_autoptr(GError) error = NULL;
    CgSdp *sdp = cg_sdp_parse(text, strlen(text), &error);
    if (!sdp) {
        fprintf(stderr, "consultd's own SDP does not parse: %s\n%s", error->message, text);
        abort();
    }
    return sdp;
}

static void check_policy(const char *data, gsize size)
{
    CgSdpFingerprint fp = {0};
    g_autofree char *filtered = cg_sdp_policy_apply(data, size, &fp, NULL);
    if (!filtered)
        return;
    CHECK(fp.hash_func && fp.value);
    cg_sdp_fingerprint_clear(&fp);
    GstSDPMessage *msg = NULL;
    gst_sdp_message_new_from_text(filtered, &msg);
    if (!msg)
        return;
    cg_sdp_enable_opus_resilience(msg);
    g_autofree char *text = gst_sdp_message_as_text(msg);
    gst_sdp_message_free(msg);
    CHECK(text);
}

static void check_candidates(const char *data, gsize size)
{
    static CgAddressPolicy *policy;
    if (!policy)
        policy = cg_address_policy_new(NULL, NULL);
    g_autofree char *text = g_strndup(data, size); /* the reader stops at a NUL */
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_autofree char *address = cg_candidate_address(g_strstrip(lines[i]));
        /* An address was read only from a candidate line, and is judged. */
        CHECK(!address || g_str_has_prefix(lines[i], "candidate:") ||
              g_str_has_prefix(lines[i], "a=candidate:"));
        (void)cg_address_policy_refusal(policy, address);
    }
}

static void check_lean(const char *data, gsize size)
{
    g_autoptr(CgSdp) offer = cg_sdp_parse(data, size, NULL);
    if (!offer)
        return;
    CHECK(offer->n_media <= CG_MEDIA_MAX_MLINES);
    for (guint i = 0; i < 3; i++) {
        (void)cg_sdp_sending(offer, CG_SDP_KIND_AUDIO, i);
        (void)cg_sdp_sending(offer, CG_SDP_KIND_VIDEO, i);
    }
    g_autofree char *answer = cg_sdp_build_answer(offer, &our_local, NULL);
    if (answer) {
        g_autoptr(CgSdp) again = reparse(answer);
        CHECK(again->n_media == offer->n_media);
    }
    static const char *const mids[] = {"0", "1", "2", NULL};
    for (int screen = 0; screen < 2; screen++) {
        CgSdpRelay relay = {.stream_id = "p-91b0aa",
                            .audio_track_id = "p-91b0aa-audio",
                            .video_track_id = "p-91b0aa-video",
                            .mids = screen ? mids : NULL,
                            .screen_track_id = screen ? "p-91b0aa-screen" : NULL,
                            .screen_slot = screen};
        g_autofree char *sub = cg_sdp_build_sub_offer(offer, &our_local, &relay, NULL);
        if (!sub)
            continue;
        g_autoptr(CgSdp) sub_parsed = reparse(sub);
        /* the input as the endpoint's answer to that offer */
        CgSdpAccepted accepted[CG_MEDIA_MAX_MLINES];
        (void)cg_sdp_check_answer(sub_parsed, offer, accepted, NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    check_policy((const char *)data, size);
    check_candidates((const char *)data, size);
    check_lean((const char *)data, size);
    return 0;
}
